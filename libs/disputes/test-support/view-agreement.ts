import {
  type Actor,
  AUDIENCE_OF_ROLE,
  type Audience,
  decide,
  type Dispute,
  type DisputeCommand,
  DomainError,
  type DomainErrorCode,
  type ExpectedActionKind,
  fromEpochMs,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeState,
  type NextActionView,
  actsAs,
  expectedActions,
  nextActionFor,
  nextActionInView,
  nextActionsInView,
  pendingDeadlines,
  pendingDeadlinesOf,
  replayView,
  resolutionAsClosed,
  toEpochMs,
  viewerActions,
} from '../src/domain';
import {
  analyst,
  buyer,
  mediator,
  mediator2,
  platform,
  seller,
  senior,
  senior2,
  system,
} from './fixtures';

/** Everyone who may view the fixtures' dispute: its parties, two of each kind of staff, others. */
const VIEWERS: readonly Actor[] = [
  buyer,
  seller,
  mediator,
  mediator2,
  senior,
  senior2,
  platform,
  analyst,
  system,
];

const AUDIENCES: readonly Audience[] = ['staff', 'party', 'platform', 'analyst'];

/**
 * Asserts that the view folded from `events` (for every audience) shows the facts the decider's
 * state holds after them, and the same next action for every role: `evolveView` follows
 * `evolve` fact for fact, so a view never tells a viewer something the decider disagrees with.
 */
export function expectViewAgrees(
  events: readonly DisputeEvent[],
  state: DisputeState,
  policy: DisputePolicy,
): void {
  for (const audience of AUDIENCES) {
    const view = replayView(events, audience);
    if (state.status === 'NONE') {
      expect(view).toBeNull();
      continue;
    }
    expect(view).not.toBeNull();
    if (view === null) return;
    expect(factsOfView(view)).toEqual(factsOfState(state, audience));
    // The deadline process manager arms what the staff view lists: the decider's deadlines.
    if (audience === 'staff')
      expect(pendingDeadlinesOf(view, policy)).toEqual(pendingDeadlines(state, policy));
    for (const viewer of VIEWERS) {
      // Staff are told from the staff's view, the only one that says who holds the case.
      if (AUDIENCE_OF_ROLE[viewer.role] === 'staff' && audience !== 'staff') continue;
      const told = viewerActions(state, viewer, policy);
      expect(nextActionsInView(view, viewer, policy)).toEqual(told);
      expect(nextActionInView(view, viewer, policy)).toEqual(told[0] ?? null);
    }
  }
}

/**
 * What every viewer is told is next in `state` agrees with what the decider expects: nothing
 * only once the dispute is over; otherwise every expected action, each once, with `yours`
 * exactly where the viewer takes that part, and the viewer's own first. Each action is tried
 * on the decider as that viewer (`ATTEMPT`): a mediator's is `yours` exactly when the decider
 * does not refuse it for who they are or for the case's state (`NOT_YOURS`), so no mediator is
 * told to do what they would be refused nor told that what they may do is someone else's; any
 * other is `yours` by role, and then never refused for those reasons either.
 */
export function expectEveryoneToldWhatNext(state: DisputeState, policy: DisputePolicy): void {
  const expected = expectedActions(state, policy);
  const over = state.status === 'NONE' || state.status === 'CLOSED' || state.status === 'CANCELLED';
  for (const viewer of VIEWERS) {
    const told = viewerActions(state, viewer, policy);
    expect(told.length === 0).toBe(over);
    const asExpected = told.map(asExpectedAction);
    expect(asExpected).toHaveLength(expected.length);
    expect(asExpected).toEqual(expect.arrayContaining(expected));
    const shouldBeYours = told.map((a) => {
      const attempt = ATTEMPT[a.action];
      const refusal = attempt && refusalOf(attempt(viewer, a, state as Dispute), state, policy);
      const refused = typeof refusal === 'string' && NOT_YOURS.includes(refusal);
      // A mediator's action: yours exactly when the decider would let you. Anyone else's (each
      // party's or the platform's own): by role, and then never refused for who you are.
      return MEDIATORS_PART.includes(a.action)
        ? !refused
        : actsAs(viewer.role, a.actor) && !refused;
    });
    expect(told.map((a) => `${a.action}: ${a.yours}`)).toEqual(
      told.map((a, i) => `${a.action}: ${shouldBeYours[i]}`),
    );
    // A deadline always says what it does; without one nothing happens by itself.
    expect(told.map((a) => a.dueAt === null)).toEqual(told.map((a) => a.ifMissed === null));
    const mine = told.filter((a) => a.yours);
    expect(told.slice(0, mine.length)).toEqual(mine);
    // A viewer's own actions are among their role's (`nextActionFor`, by role, leads them).
    const roles = expected.filter((a) => actsAs(viewer.role, a.role));
    expect(roles).toEqual(expect.arrayContaining(mine.map(asExpectedAction)));
    expect(nextActionFor(state, viewer.role, policy)).toEqual(roles[0] ?? null);
  }
}

/** The refusals that say an action is not the viewer's to do now (whatever its content). */
const NOT_YOURS: readonly DomainErrorCode[] = [
  'FORBIDDEN_FOR_ROLE',
  'NOT_A_PARTY',
  'NOT_ASSIGNED_MEDIATOR',
  'CASE_ALREADY_ASSIGNED',
  'APPEAL_NEEDS_ANOTHER_SENIOR',
  'EVIDENCE_REQUEST_PENDING',
  'DISPUTE_NOT_IN_MEDIATION',
  'DISPUTE_NOT_IN_APPEAL',
];

const ruling = {
  decisionId: 'probe-decision',
  ruling: { kind: 'SELLER_FAVOUR' },
  rationale: 'probe',
} as const;

const MEDIATORS_PART: readonly ExpectedActionKind[] = [
  'TAKE_CASE',
  'TAKE_APPEAL',
  'DECIDE',
  'DECIDE_APPEAL',
];

type Attempt = (viewer: Actor, told: NextActionView, state: Dispute) => DisputeCommand;

/** `viewer` attempting `type` with `data`, just before the action's deadline if it has one. */
const attempt =
  <T extends DisputeCommand['type']>(
    type: T,
    data: (told: NextActionView, state: Dispute) => Extract<DisputeCommand, { type: T }>['data'],
  ): Attempt =>
  (actor, told, state) =>
    ({
      type,
      data: data(told, state),
      metadata: {
        actor,
        now: told.dueAt === null ? PROBE_AT : fromEpochMs(toEpochMs(told.dueAt) - 1),
      },
    }) as DisputeCommand;

const PROBE_AT = '2100-01-01T00:00:00.000Z';
const shipment = { carrier: 'probe', trackingNumber: 'PROBE-1' };

/**
 * The command by which a viewer would do an expected action (NEGOTIATE and ANSWER_PROPOSAL have
 * many; they are told by role alone).
 */
const ATTEMPT: Partial<Record<ExpectedActionKind, Attempt>> = {
  TAKE_CASE: attempt('TakeCase', () => ({})),
  TAKE_APPEAL: attempt('TakeCase', () => ({})),
  DECIDE: attempt('DecideDispute', () => ruling),
  DECIDE_APPEAL: attempt('DecideAppeal', () => ruling),
  RESPOND_TO_DISPUTE: attempt('RespondToDispute', () => ({ response: 'REJECT', comment: 'probe' })),
  ANSWER_EVIDENCE_REQUEST: attempt('AddEvidence', (told, state) => ({
    evidenceId: 'probe-evidence',
    kind: 'TEXT',
    content: { text: 'probe' },
    description: 'probe',
    answersRequestId:
      state.evidenceRequests.find(
        (r) => r.status === 'OPEN' && r.from === told.actor && r.dueAt === told.dueAt,
      )?.requestId ?? null,
  })),
  ACCEPT_OR_APPEAL_DECISION: attempt('AcceptDecision', (_told, state) => ({
    decisionId: state.decision?.decisionId ?? 'none',
  })),
  PROVIDE_RETURN_ADDRESS: attempt('ProvideReturnAddress', () => ({
    address: { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' },
  })),
  SHIP_RETURN: attempt('ShipReturn', () => shipment),
  RECORD_RETURN_DELIVERY: attempt('RecordReturnDelivery', () => ({})),
  CONFIRM_RETURN_RECEIVED: attempt('ConfirmReturnReceived', () => ({})),
  SHIP_REPLACEMENT: attempt('ShipReplacement', () => shipment),
  CONFIRM_REPLACEMENT_RECEIVED: attempt('ConfirmReplacementReceived', () => ({})),
  REPORT_REPLACEMENT_PROBLEM: attempt('ReportReplacementProblem', () => ({ statement: 'probe' })),
  CONFIRM_REFUND_PAYOUT: attempt('ConfirmRefundPayout', (_told, state) => ({
    payoutReference: 'probe',
    amount: state.refundDue ?? { amountMinor: 0, currency: 'EUR' },
  })),
};

function refusalOf(
  command: DisputeCommand,
  state: DisputeState,
  policy: DisputePolicy,
): DomainErrorCode | null {
  try {
    decide(command, state, policy);
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

const asExpectedAction = ({ actor, action, dueAt, ifMissed }: NextActionView) => ({
  role: actor,
  action,
  dueAt,
  ifMissed,
});

function factsOfView(view: NonNullable<ReturnType<typeof replayView>>) {
  return {
    status: view.status,
    revision: view.revision,
    deadline: view.deadline,
    proposals: view.proposals,
    evidenceRequests: view.evidenceRequests.map(({ requestId, from, dueAt, status }) => ({
      requestId,
      from,
      dueAt,
      status,
    })),
    decision: view.decision && {
      decisionId: view.decision.decisionId,
      stage: view.decision.stage,
      ruling: view.decision.ruling,
      final: view.decision.final,
      appealDueAt: view.decision.appealDueAt,
      acceptedBy: view.decision.acceptedBy,
    },
    mediatorId: view.mediatorId,
    mediatorAssigned: view.mediatorAssigned,
    resolution: view.resolution,
    refundDue: view.refundDue,
    refunded: view.refunded,
    refundable: view.refundable.amountMinor,
    refundMarkedSentAt: view.refundMarkedSentAt,
    closedAt: view.closedAt,
    outcome: view.outcome,
  };
}

function factsOfState(state: Dispute, audience: Audience) {
  const resolution = resolutionAsClosed(state);
  return {
    status: state.status,
    revision: state.revision,
    deadline: state.deadline,
    proposals: state.proposals,
    evidenceRequests: state.evidenceRequests,
    decision: state.decision,
    mediatorId: audience === 'staff' ? state.mediatorId : null,
    mediatorAssigned: state.mediatorId !== null,
    resolution: state.resolution,
    refundDue: state.refundDue,
    refunded: state.refunded,
    refundable: Math.max(
      0,
      state.orderTotal.amountMinor -
        state.refundedBefore.amountMinor -
        (state.refunded?.amountMinor ?? 0),
    ),
    refundMarkedSentAt: state.refundMarkedSentAt,
    closedAt: state.closedAt,
    outcome:
      state.outcome === null || state.reachedBy === null
        ? null
        : {
            outcome: state.outcome,
            reachedBy: state.reachedBy,
            ruling: resolution?.ruling ?? null,
            refundAmount: resolution?.refundAmount ?? null,
          },
  };
}
