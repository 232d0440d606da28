import {
  definePolicy,
  expectedActions,
  pendingDeadlines,
  replay,
  type DeadlineKind,
  type DisputePolicy,
} from '../../src/domain';
import {
  buyer,
  cmd,
  countered,
  day,
  decided,
  eur,
  given,
  mediator,
  opened,
  otherBuyer,
  otherSeller,
  platform,
  seller,
  type Story,
  system,
} from '../../test-support/fixtures';

/**
 * The follow-through of a REPLACEMENT or RESEND outcome: the seller ships by replacementShipDays
 * (else the buyer is refunded in full), then the buyer confirms receipt or reports a problem
 * before the complaint window ends (else the dispute closes as made good).
 */

const fire = (kind: DeadlineKind, dueAt: string, now = dueAt) =>
  cmd('FireDeadline', system, now, { kind, dueAt, requestId: null });
const ship = (at = day(10), actor = seller, trackingNumber = 'TRK-9') =>
  cmd('ShipReplacement', actor, at, { carrier: 'bpost', trackingNumber });
const confirm = (at = day(12), actor = buyer) => cmd('ConfirmReplacementReceived', actor, at, {});
const report = (at = day(12), actor = buyer, statement = 'The new one is broken too') =>
  cmd('ReportReplacementProblem', actor, at, { statement });

/** The seller countered with a replacement on day 7; the buyer accepts on day 8. */
const agreed = (policy?: DisputePolicy, kind: 'REPLACEMENT' | 'RESEND' = 'REPLACEMENT'): Story =>
  countered(policy, { kind }).then(
    cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }),
  );
/** Shipped on day 10: expected by day 10 + 10, the complaint window ends 7 days later (day 27). */
const shipped = (policy?: DisputePolicy): Story => agreed(policy).then(ship());

describe('a replacement or resend outcome waits for the seller to ship', () => {
  it('agreeing on a replacement does not close the dispute: the seller must ship by day 8 + 5', () => {
    given(countered(undefined, { kind: 'REPLACEMENT' }))
      .when(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .thenMatch([
        { type: 'ProposalAccepted' },
        {
          type: 'DisputeResolved',
          data: { outcome: 'REPLACEMENT', reachedBy: 'AGREEMENT', refundAmount: null },
        },
        { type: 'ReplacementRequested', data: { kind: 'REPLACEMENT', shipDueAt: day(13) } },
      ]);
    expect(agreed().state).toMatchObject({
      status: 'REPLACEMENT_AWAITING_SHIPMENT',
      deadline: { kind: 'REPLACEMENT_SHIPMENT', dueAt: day(13) },
      outcome: null,
      closedAt: null,
    });
  });

  it('a resend is followed through the same way, by the policy’s replacementShipDays', () => {
    const policy = definePolicy({ replacementShipDays: 2 });
    expect(agreed(policy, 'RESEND').events.at(-1)).toMatchObject({
      type: 'ReplacementRequested',
      data: { kind: 'RESEND', shipDueAt: day(10) },
    });
  });

  it('a mediator’s decision for a replacement, once accepted by both, waits for the shipment', () => {
    const accepted = decided(undefined, { kind: 'RESEND' }).then(
      cmd('AcceptDecision', buyer, day(12), { decisionId: 'dec-1' }),
    );
    given(accepted)
      .when(cmd('AcceptDecision', seller, day(12), { decisionId: 'dec-1' }))
      .thenMatch([
        { type: 'DecisionAccepted' },
        { type: 'DisputeResolved', data: { outcome: 'RESEND', reachedBy: 'MEDIATION' } },
        { type: 'ReplacementRequested', data: { kind: 'RESEND', shipDueAt: day(17) } },
      ]);
  });

  it('so does a decision that becomes final when the appeal window passes', () => {
    given(decided(undefined, { kind: 'REPLACEMENT' }))
      .when(fire('APPEAL_WINDOW', day(21)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'DisputeResolved', data: { outcome: 'REPLACEMENT', reachedBy: 'MEDIATION' } },
        { type: 'ReplacementRequested', data: { shipDueAt: day(26) } },
      ]);
  });

  it('and a replacement claim the silent seller accepted by timeout', () => {
    const claim = opened(undefined, { kind: 'REPLACEMENT' });
    const due = (claim.state as { deadline: { dueAt: string } }).deadline.dueAt;
    given(claim)
      .when(fire('SELLER_RESPONSE', due))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'ProposalAccepted', data: { onBehalf: true } },
        { type: 'DisputeResolved', data: { outcome: 'REPLACEMENT', reachedBy: 'SELLER_TIMEOUT' } },
        { type: 'ReplacementRequested' },
      ]);
  });
});

describe('the seller records the shipment', () => {
  it('with carrier and tracking, before the deadline; the complaint window is armed', () => {
    given(agreed())
      .when(ship())
      .thenMatch([
        {
          type: 'ReplacementShipped',
          data: { carrier: 'bpost', trackingNumber: 'TRK-9', complaintDueAt: day(27) },
        },
      ]);
    expect(shipped().state).toMatchObject({
      status: 'REPLACEMENT_IN_TRANSIT',
      deadline: { kind: 'REPLACEMENT_COMPLAINT', dueAt: day(27) },
    });
  });

  it('the window follows the policy: expected delivery, then the complaint days', () => {
    const policy = definePolicy({ replacementDeliveryDays: 3, replacementComplaintDays: 2 });
    expect(shipped(policy).state).toMatchObject({
      deadline: { kind: 'REPLACEMENT_COMPLAINT', dueAt: day(15) },
    });
  });

  it('refuses the buyer, another seller, a missing tracking number, or the wrong step', () => {
    given(agreed())
      .when(ship(day(10), buyer))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(agreed())
      .when(ship(day(10), otherSeller))
      .thenFails('NOT_A_PARTY');
    given(agreed())
      .when(ship(day(10), seller, ' '))
      .thenFails('INVALID_COMMAND');
    given(shipped()).when(ship()).thenFails('REPLACEMENT_NOT_AWAITING_SHIPMENT');
    given(countered()).when(ship()).thenFails('REPLACEMENT_NOT_AWAITING_SHIPMENT');
  });

  it('refuses a shipment recorded once the deadline passed, even before the timer fired', () => {
    given(agreed())
      .when(ship(day(13)))
      .thenFails('DEADLINE_PASSED');
    given(agreed())
      .when(ship(day(14)))
      .thenFails('DEADLINE_PASSED');
  });
});

describe('the seller misses the ship deadline', () => {
  it('the buyer is refunded in full, by the seller’s timeout', () => {
    given(agreed())
      .when(fire('REPLACEMENT_SHIPMENT', day(13)))
      .thenMatch([
        { type: 'DeadlinePassed', data: { kind: 'REPLACEMENT_SHIPMENT', dueAt: day(13) } },
        {
          type: 'DisputeResolved',
          data: {
            ruling: { kind: 'FULL_REFUND' },
            outcome: 'BUYER_FULL_REFUND',
            reachedBy: 'SELLER_TIMEOUT',
            refundAmount: eur(10_000),
          },
        },
      ]);
  });

  it('the refund waits for the payout and closes the dispute against the seller', () => {
    const missed = agreed().then(fire('REPLACEMENT_SHIPMENT', day(13)));
    expect(missed.state).toMatchObject({
      status: 'REFUND_PENDING',
      refundDue: eur(10_000),
      refundReachedBy: 'SELLER_TIMEOUT',
      deadline: null,
    });
    given(missed)
      .when(
        cmd('ConfirmRefundPayout', platform, day(14), {
          payoutReference: 'po-1',
          amount: eur(10_000),
        }),
      )
      .thenMatch([
        { type: 'RefundPaidOut' },
        {
          type: 'DisputeClosed',
          data: { outcome: 'BUYER_FULL_REFUND', reachedBy: 'SELLER_TIMEOUT' },
        },
      ]);
    given(missed)
      .when(ship(day(14)))
      .thenFails('REPLACEMENT_NOT_AWAITING_SHIPMENT');
  });

  it('a shipment in time disarms it; firing early is refused', () => {
    given(shipped())
      .when(fire('REPLACEMENT_SHIPMENT', day(13)))
      .thenNothing();
    given(agreed())
      .when(fire('REPLACEMENT_SHIPMENT', day(13), day(12)))
      .thenFails('DEADLINE_NOT_DUE');
  });
});

describe('the buyer answers the shipment', () => {
  it('confirming receipt closes the dispute with the outcome as reached', () => {
    given(shipped())
      .when(confirm())
      .thenMatch([
        { type: 'ReplacementReceived', data: { by: buyer } },
        {
          type: 'DisputeClosed',
          data: { outcome: 'REPLACEMENT', reachedBy: 'AGREEMENT', refunded: null },
        },
      ]);
  });

  it('receipt may be confirmed late (it only favours the seller), not before the shipment', () => {
    given(shipped())
      .when(confirm(day(40)))
      .thenMatch([{ type: 'ReplacementReceived' }, { type: 'DisputeClosed' }]);
    given(agreed()).when(confirm()).thenFails('REPLACEMENT_NOT_IN_TRANSIT');
    given(shipped())
      .when(confirm(day(12), seller))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(shipped())
      .when(confirm(day(12), otherBuyer))
      .thenFails('NOT_A_PARTY');
  });

  it('reporting a problem in the window reopens the case to mediation, with no old proposal', () => {
    given(shipped())
      .when(report())
      .thenMatch([
        { type: 'ReplacementProblemReported', data: { statement: 'The new one is broken too' } },
      ]);
    const state = shipped().then(report()).state;
    expect(state).toMatchObject({
      status: 'IN_MEDIATION',
      deadline: null,
      mediatorId: null,
      decision: null,
      resolution: null,
      proposals: { buyer: null, seller: null, mediator: null },
    });
    // The replacement the buyer agreed to cannot be accepted again around the mediator.
    given(shipped().then(report()))
      .when(cmd('AcceptProposal', buyer, day(13), { proposalId: 'p-seller-1' }))
      .thenFails('PROPOSAL_NOT_FOUND');
    given(shipped().then(report()))
      .when(cmd('TakeCase', mediator, day(13), {}))
      .thenMatch([{ type: 'CaseTaken' }]);
  });

  it('a problem may be reported up to the end of the window, not after, nor by the seller', () => {
    given(shipped())
      .when(report(day(26)))
      .thenMatch([{ type: 'ReplacementProblemReported' }]);
    given(shipped())
      .when(report(day(27)))
      .thenFails('DEADLINE_PASSED');
    given(shipped())
      .when(report(day(12), seller))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(shipped())
      .when(report(day(12), buyer, ''))
      .thenFails('INVALID_COMMAND');
    given(agreed()).when(report()).thenFails('REPLACEMENT_NOT_IN_TRANSIT');
  });

  it('the window passing without complaint closes the dispute as made good', () => {
    given(shipped())
      .when(fire('REPLACEMENT_COMPLAINT', day(27)))
      .thenMatch([
        { type: 'DeadlinePassed', data: { kind: 'REPLACEMENT_COMPLAINT' } },
        { type: 'DisputeClosed', data: { outcome: 'REPLACEMENT', reachedBy: 'AGREEMENT' } },
      ]);
    given(shipped().then(confirm()))
      .when(fire('REPLACEMENT_COMPLAINT', day(27)))
      .thenNothing();
  });
});

describe('while a replacement is followed through', () => {
  it('the buyer can no longer cancel; both parties may add evidence', () => {
    given(agreed())
      .when(cmd('CancelDispute', buyer, day(9), { comment: 'never mind' }))
      .thenFails('DISPUTE_ALREADY_RESOLVED');
    for (const story of [agreed(), shipped()]) {
      given(story)
        .when(
          cmd('AddEvidence', buyer, day(11), {
            evidenceId: `ev-${story.events.length}`,
            kind: 'TEXT',
            content: { text: 'Still nothing' },
            description: 'note',
          }),
        )
        .thenMatch([{ type: 'EvidenceAdded' }]);
    }
  });

  it('views: what each party must do next, by when, and what happens if not', () => {
    const policy = definePolicy({});
    expect(expectedActions(agreed().state, policy)).toEqual([
      {
        role: 'seller',
        action: 'SHIP_REPLACEMENT',
        dueAt: day(13),
        ifMissed: 'REFUND_INSTEAD_OF_REPLACEMENT',
      },
    ]);
    expect(expectedActions(shipped().state, policy)).toEqual([
      {
        role: 'buyer',
        action: 'CONFIRM_REPLACEMENT_RECEIVED',
        dueAt: day(27),
        ifMissed: 'REPLACEMENT_DEEMED_RECEIVED',
      },
      {
        role: 'buyer',
        action: 'REPORT_REPLACEMENT_PROBLEM',
        dueAt: day(27),
        ifMissed: 'REPLACEMENT_DEEMED_RECEIVED',
      },
    ]);
    expect(pendingDeadlines(agreed().state, policy)).toEqual([
      {
        kind: 'REPLACEMENT_SHIPMENT',
        dueAt: day(13),
        requestId: null,
        consequence: 'REFUND_INSTEAD_OF_REPLACEMENT',
      },
    ]);
    expect(pendingDeadlines(shipped().state, policy)).toMatchObject([
      { kind: 'REPLACEMENT_COMPLAINT', consequence: 'REPLACEMENT_DEEMED_RECEIVED' },
    ]);
  });

  it('a history closed at once before the follow-through existed replays as closed', () => {
    const legacy = agreed().events.slice(0, -1);
    const closedAt = day(8);
    const state = replay([
      ...legacy,
      {
        type: 'DisputeClosed',
        data: {
          disputeId: 'd-1',
          at: closedAt as never,
          by: buyer,
          orderId: 'order-1',
          buyerId: 'buyer-1',
          sellerId: 'seller-1',
          outcome: 'REPLACEMENT',
          reachedBy: 'AGREEMENT',
          refunded: null,
        },
      },
    ]);
    expect(state).toMatchObject({ status: 'CLOSED', outcome: 'REPLACEMENT', deadline: null });
  });

  it('the policy refuses follow-through durations below one day', () => {
    for (const key of [
      'replacementShipDays',
      'replacementDeliveryDays',
      'replacementComplaintDays',
    ] as const) {
      expect(() => definePolicy({ [key]: 0 })).toThrow(`${key} must be an integer ≥ 1`);
    }
  });
});
