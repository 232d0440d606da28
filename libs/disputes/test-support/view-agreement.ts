import {
  type Audience,
  type Dispute,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeState,
  nextActionFor,
  nextActionInView,
  pendingDeadlines,
  pendingDeadlinesOf,
  replayView,
  resolutionAsClosed,
  ROLES,
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
      const expected = nextActionFor(state, role, policy);
      expect(nextActionInView(view, role, policy)).toEqual(
        expected && { action: expected.action, dueAt: expected.dueAt, ifMissed: expected.ifMissed },
      );
    }
  }
}

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
