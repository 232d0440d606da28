import {
  type Audience,
  type Dispute,
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
  ROLES,
  viewerActions,
} from '../src/domain';

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
    for (const role of ROLES) {
      const told = viewerActions(state, role, policy);
      expect(nextActionsInView(view, role, policy)).toEqual(told);
      expect(nextActionInView(view, role, policy)).toEqual(told[0] ?? null);
    }
  }
}

/**
 * What every role is told is next in `state` agrees with what the decider expects: nothing only
 * once the dispute is over; otherwise every expected action, each once, with `yours` exactly
 * where the viewer takes that part, and the viewer's own first and led by `nextActionFor`.
 */
export function expectEveryoneToldWhatNext(state: DisputeState, policy: DisputePolicy): void {
  const expected = expectedActions(state, policy);
  const over = state.status === 'NONE' || state.status === 'CLOSED' || state.status === 'CANCELLED';
  for (const role of ROLES) {
    const told = viewerActions(state, role, policy);
    expect(told.length === 0).toBe(over);
    const asExpected = told.map(asExpectedAction);
    expect(asExpected).toHaveLength(expected.length);
    expect(asExpected).toEqual(expect.arrayContaining(expected));
    expect(told.map((a) => a.yours)).toEqual(told.map((a) => actsAs(role, a.actor)));
    // A deadline always says what it does; without one nothing happens by itself.
    expect(told.map((a) => a.dueAt === null)).toEqual(told.map((a) => a.ifMissed === null));
    const mine = told.filter((a) => a.yours);
    expect(told.slice(0, mine.length)).toEqual(mine);
    // The one a viewer is told first is their own next action, when they have one.
    expect(nextActionFor(state, role, policy)).toEqual(mine[0] ? asExpectedAction(mine[0]) : null);
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
