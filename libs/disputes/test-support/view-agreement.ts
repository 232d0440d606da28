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
 * exactly where the viewer takes that part, and the viewer's own first. A mediator's action is
 * `yours` exactly when the decider, asked by that viewer, does not refuse it for who they are
 * or for the case's state (`refusedAsNotYours`): so no viewer is ever told to do what they
 * would be refused, and none who may is told it is someone else's.
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
    const shouldBeYours = told.map(({ actor, action }) => {
      const attempt = MEDIATORS_ATTEMPT[action];
      if (!attempt) return actsAs(viewer.role, actor);
      const refusal = refusalOf(attempt(viewer), state, policy);
      return refusal === null || !NOT_YOURS.includes(refusal);
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
const PROBE_AT = '2100-01-01T00:00:00.000Z';

/** The command by which `viewer` would do a mediator's expected action. */
const MEDIATORS_ATTEMPT: Partial<Record<ExpectedActionKind, (viewer: Actor) => DisputeCommand>> = {
  TAKE_CASE: (actor) => ({ type: 'TakeCase', data: {}, metadata: { actor, now: PROBE_AT } }),
  TAKE_APPEAL: (actor) => ({ type: 'TakeCase', data: {}, metadata: { actor, now: PROBE_AT } }),
  DECIDE: (actor) => ({ type: 'DecideDispute', data: ruling, metadata: { actor, now: PROBE_AT } }),
  DECIDE_APPEAL: (actor) => ({
    type: 'DecideAppeal',
    data: ruling,
    metadata: { actor, now: PROBE_AT },
  }),
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
