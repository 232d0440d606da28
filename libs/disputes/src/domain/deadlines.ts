import type { FireDeadline } from './dispute.commands';
import type {
  Decision,
  Dispute,
  DisputeState,
  EvidenceRequest,
  Resolution,
} from './dispute.events';
import type { DisputePolicy } from './policy';
import type { Instant } from './time';
import {
  type Actor,
  actsAs,
  type DeadlineConsequence,
  type DeadlineKind,
  type DisputeStatus,
  type ExpectedActionKind,
  type ExpectedActor,
  PARTY_ROLES,
  type ReachedBy,
  type Role,
} from './vocabulary';

/**
 * Read-side helpers over the state: the deadlines armed right now (for the deadline process
 * manager) and what each role is expected to do next, by when (for views).
 */

export interface PendingDeadline {
  readonly kind: DeadlineKind;
  readonly dueAt: Instant;
  /** Set for EVIDENCE_REQUEST deadlines only. */
  readonly requestId: string | null;
  /** What happens when it passes, in words a view can show. */
  readonly consequence: DeadlineConsequence;
}

/** A Record rather than a switch: a new deadline kind cannot be left without a consequence. */
const CONSEQUENCES: Readonly<Record<DeadlineKind, (policy: DisputePolicy) => DeadlineConsequence>> =
  {
    SELLER_RESPONSE: (policy) =>
      policy.onSellerSilence === 'escalate' ? 'ESCALATED_TO_MEDIATION' : 'BUYER_PROPOSAL_ACCEPTED',
    NEGOTIATION: () => 'ESCALATED_TO_MEDIATION',
    EVIDENCE_REQUEST: () => 'EVIDENCE_REQUEST_LAPSES',
    APPEAL_WINDOW: () => 'DECISION_BECOMES_FINAL',
    RETURN_ADDRESS: () => 'REFUND_WITHOUT_RETURN',
    RETURN_SHIPMENT: () => 'CLOSED_IN_SELLER_FAVOUR',
    RETURN_DELIVERY: () => 'ESCALATED_TO_MEDIATION',
    RETURN_RECEIPT: () => 'REFUND_RELEASED',
    REPLACEMENT_SHIPMENT: () => 'REFUND_INSTEAD_OF_REPLACEMENT',
    REPLACEMENT_COMPLAINT: () => 'REPLACEMENT_DEEMED_RECEIVED',
  };

const consequenceOf = (kind: DeadlineKind, policy: DisputePolicy): DeadlineConsequence =>
  CONSEQUENCES[kind](policy);

/**
 * The facts that say who must act next and by when: the decider's state has them, and so does
 * every view (`DisputeView`), so the rule is written once for both.
 */
export interface ExpectationFacts {
  readonly status: DisputeStatus;
  readonly deadline: Dispute['deadline'];
  readonly proposals: Dispute['proposals'];
  readonly evidenceRequests: readonly EvidenceRequest[];
  readonly decision: Pick<Decision, 'acceptedBy'> | null;
  readonly mediatorAssigned: boolean;
}

/**
 * Who holds the case and who made the decision under appeal: what makes a mediator's action one
 * viewer's rather than another's. The decider's state has them, and so does the staff's view;
 * other audiences' views do not, and their viewers never act for a mediator.
 */
export interface CaseHolders {
  readonly mediatorId: string | null;
  readonly decidedBy: string | null;
}

const factsOf = (state: Dispute): ExpectationFacts & CaseHolders => ({
  ...state,
  mediatorAssigned: state.mediatorId !== null,
});

/** Every deadline armed in `state`, earliest first. Empty once the dispute is closed. */
export function pendingDeadlines(state: DisputeState, policy: DisputePolicy): PendingDeadline[] {
  return state.status === 'NONE' ? [] : pendingDeadlinesOf(state, policy);
}

/** `pendingDeadlines` from the facts alone (a view's). */
export function pendingDeadlinesOf(
  state: Pick<ExpectationFacts, 'status' | 'deadline' | 'evidenceRequests'>,
  policy: DisputePolicy,
): PendingDeadline[] {
  const pending: PendingDeadline[] = [];
  if (state.deadline !== null) {
    const { kind, dueAt } = state.deadline;
    pending.push({ kind, dueAt, requestId: null, consequence: consequenceOf(kind, policy) });
  }
  if (state.status === 'IN_MEDIATION' || state.status === 'IN_APPEAL') {
    for (const r of state.evidenceRequests.filter((request) => request.status === 'OPEN')) {
      pending.push({
        kind: 'EVIDENCE_REQUEST',
        dueAt: r.dueAt,
        requestId: r.requestId,
        consequence: consequenceOf('EVIDENCE_REQUEST', policy),
      });
    }
  }
  // Canonical instants sort lexicographically in time order.
  return pending.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
}

/** The command the scheduler sends when `deadline` is due (idempotent by kind + dueAt). */
export function fireDeadlineCommand(
  deadline: Pick<PendingDeadline, 'kind' | 'dueAt' | 'requestId'>,
  now: Instant,
  actor: Actor = { id: 'deadline-scheduler', role: 'system' },
): FireDeadline {
  return {
    type: 'FireDeadline',
    data: { kind: deadline.kind, dueAt: deadline.dueAt, requestId: deadline.requestId },
    metadata: { actor, now },
  };
}

export interface ExpectedAction {
  readonly role: ExpectedActor;
  readonly action: ExpectedActionKind;
  /** The deadline for it, or null when nothing fires automatically. */
  readonly dueAt: Instant | null;
  readonly ifMissed: DeadlineConsequence | null;
}

/** One thing expected next, as one viewer is told it (`viewerActionsOf`). */
export interface NextActionView {
  /** Who is expected to do it. */
  actor: ExpectedActor;
  action: ExpectedActionKind;
  dueAt: Instant | null;
  ifMissed: DeadlineConsequence | null;
  /**
   * Whether the viewer may do it now: a party's or the platform's by role; a case nobody holds
   * is every mediator's to take (a senior's too), an appeal every senior's but the one whose
   * decision is appealed; deciding is only the holder's.
   */
  yours: boolean;
}

type Due = Pick<ExpectedAction, 'dueAt' | 'ifMissed'>;
const NO_DEADLINE: Due = { dueAt: null, ifMissed: null };

/** Per status, who is expected to act; `due` is the phase deadline (if any) and its consequence. */
const EXPECTED: Readonly<
  Record<
    DisputeStatus,
    (state: ExpectationFacts, due: Due, policy: DisputePolicy) => ExpectedAction[]
  >
> = {
  AWAITING_SELLER: (_s, due) => [{ role: 'seller', action: 'RESPOND_TO_DISPUTE', ...due }],
  NEGOTIATING: (state, due) =>
    PARTY_ROLES.map((role) => ({
      role,
      action: otherPartyProposes(state, role) ? 'ANSWER_PROPOSAL' : 'NEGOTIATE',
      ...due,
    })),
  IN_MEDIATION: (state, _due, policy) => [
    ...mediatorsPart(state, 'mediator', 'TAKE_CASE', 'DECIDE'),
    ...partiesToAnswer(state, policy),
  ],
  IN_APPEAL: (state, _due, policy) => [
    ...mediatorsPart(state, 'senior_mediator', 'TAKE_APPEAL', 'DECIDE_APPEAL'),
    // Only evidence requests: nothing is accepted in an appeal, so a mediator's proposal left
    // from the mediation is no longer the parties' to answer.
    ...partiesToAnswer(state, policy, { proposals: false }),
  ],
  DECIDED: (state, due) =>
    PARTY_ROLES.filter((role) => !(state.decision as Decision).acceptedBy.includes(role)).map(
      (role) => ({ role, action: 'ACCEPT_OR_APPEAL_DECISION', ...due }),
    ),
  RETURN_REQUESTED: (_s, due) => [{ role: 'seller', action: 'PROVIDE_RETURN_ADDRESS', ...due }],
  RETURN_AWAITING_SHIPMENT: (_s, due) => [{ role: 'buyer', action: 'SHIP_RETURN', ...due }],
  // In transit the platform records the delivery by RETURN_DELIVERY (else mediation) and the
  // seller may confirm arrival; once delivered, the seller confirms by RETURN_RECEIPT. Returns
  // shipped before RETURN_DELIVERY existed run no clock (`due` is then NO_DEADLINE).
  RETURN_IN_TRANSIT: (state, due) =>
    state.deadline?.kind === 'RETURN_RECEIPT'
      ? [{ role: 'seller', action: 'CONFIRM_RETURN_RECEIVED', ...due }]
      : [
          { role: 'seller', action: 'CONFIRM_RETURN_RECEIVED', ...due },
          { role: 'platform', action: 'RECORD_RETURN_DELIVERY', ...due },
        ],
  REPLACEMENT_AWAITING_SHIPMENT: (_s, due) => [
    { role: 'seller', action: 'SHIP_REPLACEMENT', ...due },
  ],
  REPLACEMENT_IN_TRANSIT: (_s, due) => [
    { role: 'buyer', action: 'CONFIRM_REPLACEMENT_RECEIVED', ...due },
    { role: 'buyer', action: 'REPORT_REPLACEMENT_PROBLEM', ...due },
  ],
  REFUND_PENDING: () => [{ role: 'platform', action: 'CONFIRM_REFUND_PAYOUT', ...NO_DEADLINE }],
  CLOSED: () => [],
  CANCELLED: () => [],
};

/** What every role is expected to do next in `state`, each with its deadline. */
export function expectedActions(state: DisputeState, policy: DisputePolicy): ExpectedAction[] {
  return state.status === 'NONE' ? [] : expectedActionsOf(factsOf(state), policy);
}

/** `expectedActions` from the facts alone (a view's). */
export function expectedActionsOf(
  state: ExpectationFacts,
  policy: DisputePolicy,
): ExpectedAction[] {
  const phase = state.deadline;
  const due: Due =
    phase === null
      ? NO_DEADLINE
      : { dueAt: phase.dueAt, ifMissed: consequenceOf(phase.kind, policy) };
  return EXPECTED[state.status](state, due, policy);
}

/**
 * The first thing expected of `role`, or null when nothing is: by role alone, so a mediator's
 * DECIDE is listed for every mediator; `viewerActions` says whether it is one viewer's.
 */
export function nextActionFor(
  state: DisputeState,
  role: Role,
  policy: DisputePolicy,
): ExpectedAction | null {
  return state.status === 'NONE' ? null : nextActionOf(factsOf(state), role, policy);
}

/** `nextActionFor` from the facts alone (a view's). */
export function nextActionOf(
  state: ExpectationFacts,
  role: Role,
  policy: DisputePolicy,
): ExpectedAction | null {
  // A senior mediator can do what a mediator is expected to.
  return expectedActionsOf(state, policy).find((a) => actsAs(role, a.role)) ?? null;
}

/**
 * Everything expected of anyone in `state`, as `viewer` is told it: the viewer's own actions
 * first (`yours`), then what the others must do, so a viewer with nothing to do still sees whom
 * they wait for and until when. Empty only once nothing is expected of anyone (closed,
 * cancelled). Every role gets it, analysts too: the facts it rests on (status, deadlines, open
 * evidence requests, who accepted) are in every audience's view.
 */
export function viewerActions(
  state: DisputeState,
  viewer: Actor,
  policy: DisputePolicy,
): NextActionView[] {
  return state.status === 'NONE' ? [] : viewerActionsOf(factsOf(state), viewer, policy);
}

/** `viewerActions` from the facts alone (a view's). */
export function viewerActionsOf(
  state: ExpectationFacts & CaseHolders,
  viewer: Actor,
  policy: DisputePolicy,
): NextActionView[] {
  const told = expectedActionsOf(state, policy).map(
    ({ role: actor, action, dueAt, ifMissed }): NextActionView => ({
      actor,
      action,
      dueAt,
      ifMissed,
      yours: actsAs(viewer.role, actor) && mayTakePart(state, viewer, action),
    }),
  );
  return [...told.filter((a) => a.yours), ...told.filter((a) => !a.yours)];
}

/**
 * Beyond the role, what the decider asks of a mediator (decide.mediation.ts): only the holder
 * decides (NOT_ASSIGNED_MEDIATOR), and an appeal goes to another senior than the one whose
 * decision is appealed (APPEAL_NEEDS_ANOTHER_SENIOR).
 */
function mayTakePart(state: CaseHolders, viewer: Actor, action: ExpectedActionKind): boolean {
  if (action === 'DECIDE' || action === 'DECIDE_APPEAL') return viewer.id === state.mediatorId;
  if (action === 'TAKE_APPEAL') return viewer.id !== state.decidedBy;
  return true;
}

/**
 * The mediators' part: taking the case while nobody holds it, then deciding it; but while an
 * evidence request is open the decider refuses a decision (EVIDENCE_REQUEST_PENDING), so then
 * nothing is expected of the holder: the case waits for the party's answer or its deadline.
 */
function mediatorsPart(
  state: ExpectationFacts,
  role: 'mediator' | 'senior_mediator',
  take: ExpectedActionKind,
  decide: ExpectedActionKind,
): ExpectedAction[] {
  if (!state.mediatorAssigned) return [{ role, action: take, ...NO_DEADLINE }];
  const waiting = state.evidenceRequests.some((r) => r.status === 'OPEN');
  return waiting ? [] : [{ role, action: decide, ...NO_DEADLINE }];
}

function otherPartyProposes(state: ExpectationFacts, role: 'buyer' | 'seller'): boolean {
  const other = state.proposals[role === 'buyer' ? 'seller' : 'buyer'];
  return other !== null || state.proposals.mediator !== null;
}

function partiesToAnswer(
  state: ExpectationFacts,
  policy: DisputePolicy,
  { proposals } = { proposals: true },
): ExpectedAction[] {
  const fromRequests: ExpectedAction[] = state.evidenceRequests
    .filter((r) => r.status === 'OPEN')
    .map((r) => ({
      role: r.from,
      action: 'ANSWER_EVIDENCE_REQUEST',
      dueAt: r.dueAt,
      ifMissed: consequenceOf('EVIDENCE_REQUEST', policy),
    }));
  const proposal = proposals ? state.proposals.mediator : null;
  const fromProposal: ExpectedAction[] =
    proposal === null
      ? []
      : PARTY_ROLES.filter((role) => !proposal.acceptedBy.includes(role)).map((role) => ({
          role,
          action: 'ANSWER_PROPOSAL',
          ...NO_DEADLINE,
        }));
  return [...fromRequests, ...fromProposal];
}

/**
 * The resolution as the dispute ended, for views. A return deadline can close the dispute
 * another way than the ruling reached (no return shipped: SELLER_FAVOUR by RETURN_TIMEOUT); the
 * state keeps the ruling as it was reached, so a view must not show its refund.
 */
export function resolutionAsClosed(state: Dispute): Resolution | null {
  const { resolution, outcome, reachedBy } = state;
  if (resolution === null || outcome === null || outcome === resolution.outcome) return resolution;
  return {
    ...resolution,
    ruling: { kind: 'SELLER_FAVOUR' },
    outcome,
    reachedBy: reachedBy as ReachedBy,
    refundAmount: null,
  };
}
