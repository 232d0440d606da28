import {
  definePolicy,
  expectedActions,
  fireDeadlineCommand,
  pendingDeadlines,
  replay,
  returnShippedV1ToV2,
  type Dispute,
  type DisputeEvent,
  type DisputePolicy,
  type ReturnShippedV1Data,
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
  partial,
  platform,
  returnAddressGiven,
  returnDelivered,
  returnRequested,
  returnShipped,
  seller,
  senior,
  Story,
  system,
  taken,
  withReturn,
} from '../../test-support/fixtures';

/**
 * Returns and deadlines (libs/disputes/README.md): returns that can neither strand the buyer nor
 * revive old offers, and deadlines that a late party cannot beat.
 */

const address = { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' };
const fire = (
  kind: Parameters<typeof fireDeadlineCommand>[0]['kind'],
  dueAt: string,
  now = dueAt,
) => fireDeadlineCommand({ kind, dueAt, requestId: null }, now, system);
const asDispute = (story: Story) => story.state as Dispute;

/**
 * The buyer claims a return-and-refund of 8000; the seller rejects; a mediator proposes a 2000
 * partial refund (the buyer accepts it), then decides a return-and-refund of 8000 that both
 * parties accept. The item goes back, is delivered on day 15, and the seller disputes its
 * condition on day 16: the case is in mediation again.
 */
function conditionDisputedAfterDecision(policy?: DisputePolicy): Story {
  return opened(policy, withReturn(8000))
    .then(cmd('RespondToDispute', seller, day(7), { response: 'REJECT', comment: 'Fine item' }))
    .then(cmd('EscalateDispute', buyer, day(8), {}))
    .then(cmd('TakeCase', mediator, day(9), {}))
    .then(
      cmd('SubmitProposal', mediator, day(9), { proposalId: 'p-med-1', solution: partial(2000) }),
    )
    .then(cmd('AcceptProposal', buyer, day(10), { proposalId: 'p-med-1' }))
    .then(
      cmd('DecideDispute', mediator, day(11), {
        decisionId: 'dec-1',
        ruling: withReturn(8000),
        rationale: 'Return it for 8000',
      }),
    )
    .then(cmd('AcceptDecision', buyer, day(11), { decisionId: 'dec-1' }))
    .then(cmd('AcceptDecision', seller, day(11), { decisionId: 'dec-1' }))
    .then(cmd('ProvideReturnAddress', seller, day(12), { address }))
    .then(cmd('ShipReturn', buyer, day(13), { carrier: 'bpost', trackingNumber: 'TRK-1' }))
    .then(cmd('RecordReturnDelivery', platform, day(15), {}))
    .then(cmd('DisputeReturnCondition', seller, day(16), { statement: 'It came back broken' }));
}

describe('item 1: a resolution supersedes every earlier proposal for good', () => {
  it('the seller cannot accept the mediator’s superseded 2000 proposal after a condition dispute', () => {
    const story = conditionDisputedAfterDecision();
    expect(story.state).toMatchObject({ status: 'IN_MEDIATION' });
    given(story)
      .when(cmd('AcceptProposal', seller, day(17), { proposalId: 'p-med-1' }))
      .thenFails('PROPOSAL_NOT_FOUND');
  });

  it('the seller cannot accept the buyer’s opening return claim again and start a second return', () => {
    given(conditionDisputedAfterDecision())
      .when(cmd('AcceptProposal', seller, day(17), { proposalId: 'p-buyer-1' }))
      .thenFails('PROPOSAL_NOT_FOUND');
  });

  it('the case comes back to mediation with no proposal on the table; new ones can be made', () => {
    const story = conditionDisputedAfterDecision();
    expect(asDispute(story).proposals).toEqual({ buyer: null, seller: null, mediator: null });
    const fresh = story
      .then(
        cmd('SubmitProposal', buyer, day(17), { proposalId: 'p-buyer-2', solution: partial(5000) }),
      )
      .then(cmd('AcceptProposal', seller, day(17), { proposalId: 'p-buyer-2' }));
    expect(fresh.state).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(5000) });
  });

  it('an agreement followed by a condition dispute does not revive the buyer’s other offer', () => {
    // The buyer's FULL_REFUND stays open while the buyer accepts the seller's return offer.
    const story = returnDelivered().then(
      cmd('DisputeReturnCondition', seller, day(13), { statement: 'Scratched' }),
    );
    given(story)
      .when(cmd('AcceptProposal', seller, day(14), { proposalId: 'p-buyer-1' }))
      .thenFails('PROPOSAL_NOT_FOUND');
  });

  it('replaying an older stream where a revived proposal was accepted does not fail', () => {
    // Written by the code before this rule: the seller accepted the revived mediator proposal.
    const before = conditionDisputedAfterDecision().events;
    const legacy: DisputeEvent[] = [
      ...before,
      {
        type: 'ProposalAccepted',
        data: {
          disputeId: 'd-1',
          at: day(17),
          by: seller,
          proposalId: 'p-med-1',
          proposer: 'mediator',
          acceptedBy: 'seller',
          onBehalf: false,
        },
      },
    ];
    expect(replay(legacy)).toMatchObject({
      status: 'IN_MEDIATION',
      proposals: { buyer: null, seller: null, mediator: null },
    });
  });
});

describe('item 2: a return that is never recorded as delivered does not strand the buyer', () => {
  it('shipping the return arms RETURN_DELIVERY, returnDeliveryDays after shipment', () => {
    const events = given(returnAddressGiven())
      .when(cmd('ShipReturn', buyer, day(10), { carrier: 'bpost', trackingNumber: 'TRK-1' }))
      .thenMatch([{ type: 'ReturnShipped', data: { deliveryDueAt: day(30) } }]);
    const state = replay(events, returnAddressGiven().state);
    expect(state).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_DELIVERY', dueAt: day(30) },
    });
    expect(
      returnAddressGiven(definePolicy({ returnDeliveryDays: 40 })).then(
        cmd('ShipReturn', buyer, day(10), { carrier: 'bpost', trackingNumber: 'TRK-1' }),
      ).state,
    ).toMatchObject({ deadline: { kind: 'RETURN_DELIVERY', dueAt: day(50) } });
  });

  it('the scheduler and the views see it: the platform must record delivery, or mediation follows', () => {
    const state = returnShipped().state;
    expect(pendingDeadlines(state, definePolicy())).toEqual([
      {
        kind: 'RETURN_DELIVERY',
        dueAt: day(30),
        requestId: null,
        consequence: 'ESCALATED_TO_MEDIATION',
      },
    ]);
    expect(expectedActions(state, definePolicy())).toEqual([
      {
        role: 'seller',
        action: 'CONFIRM_RETURN_RECEIVED',
        dueAt: day(30),
        ifMissed: 'ESCALATED_TO_MEDIATION',
      },
      {
        role: 'platform',
        action: 'RECORD_RETURN_DELIVERY',
        dueAt: day(30),
        ifMissed: 'ESCALATED_TO_MEDIATION',
      },
    ]);
  });

  it('when it passes, the case goes to a mediator, who rules afresh', () => {
    const events = given(returnShipped())
      .when(fire('RETURN_DELIVERY', day(30)))
      .thenMatch([
        { type: 'DeadlinePassed', data: { kind: 'RETURN_DELIVERY', dueAt: day(30) } },
        {
          type: 'DisputeEscalated',
          data: { trigger: 'RETURN_NOT_DELIVERED', sellerRejected: false, by: system },
        },
      ]);
    const state = replay(events, returnShipped().state) as Dispute;
    expect(state).toMatchObject({
      status: 'IN_MEDIATION',
      deadline: null,
      mediatorId: null,
      decision: null,
      resolution: null,
      proposals: { buyer: null, seller: null, mediator: null },
    });
    expect(expectedActions(state, definePolicy())[0]).toMatchObject({ action: 'TAKE_CASE' });
    const ruled = new Story([...returnShipped().events, ...events])
      .then(cmd('TakeCase', mediator, day(31), {}))
      .then(
        cmd('DecideDispute', mediator, day(32), {
          decisionId: 'dec-lost',
          ruling: { kind: 'FULL_REFUND' },
          rationale: 'Tracking shows the parcel lost in transit',
        }),
      );
    expect(ruled.state).toMatchObject({ status: 'DECIDED' });
  });

  it('nothing fires early, nor once the delivery is recorded', () => {
    given(returnShipped())
      .when(fire('RETURN_DELIVERY', day(30), day(29)))
      .thenFails('DEADLINE_NOT_DUE');
    given(returnDelivered())
      .when(fire('RETURN_DELIVERY', day(30)))
      .thenNothing();
  });

  it('a return shipped before this rule (no deliveryDueAt) keeps no clock', () => {
    // As stored then (schema version 1), read as every reader reads it: through its upcaster.
    const v1 = (data: object) =>
      ({ ...data, deliveryDueAt: undefined }) as unknown as ReturnShippedV1Data;
    const shipped = returnShipped().events.map((e) =>
      e.type === 'ReturnShipped'
        ? ({ ...e, data: returnShippedV1ToV2(v1(e.data)) } as unknown as DisputeEvent)
        : e,
    );
    const state = replay(shipped);
    expect(state).toMatchObject({ status: 'RETURN_IN_TRANSIT', deadline: null });
    expect(expectedActions(state, definePolicy()).map((a) => a.action)).toEqual([
      'CONFIRM_RETURN_RECEIVED',
      'RECORD_RETURN_DELIVERY',
    ]);
  });
});

describe('item 6: an action its deadline governs is refused once the deadline passed', () => {
  // Opened day 6: the seller answers by day 11.
  it('SELLER_RESPONSE: the seller’s reject, counter or accept, and the buyer’s new claim', () => {
    const late = day(12);
    given(opened())
      .when(cmd('RespondToDispute', seller, late, { response: 'REJECT', comment: 'No' }))
      .thenFails('DEADLINE_PASSED');
    given(opened())
      .when(
        cmd('RespondToDispute', seller, day(11), {
          response: 'COUNTER',
          comment: 'Part',
          proposalId: 'p-s',
          solution: partial(100),
        }),
      )
      .thenFails('DEADLINE_PASSED');
    given(opened())
      .when(
        cmd('RespondToDispute', seller, late, {
          response: 'ACCEPT',
          comment: '',
          proposalId: 'p-buyer-1',
        }),
      )
      .thenFails('DEADLINE_PASSED');
    given(opened())
      .when(cmd('SubmitProposal', buyer, late, { proposalId: 'p-b2', solution: partial(9000) }))
      .thenFails('DEADLINE_PASSED');
    // Just in time is in time.
    given(opened())
      .when(cmd('RespondToDispute', seller, day(10.99), { response: 'REJECT', comment: 'No' }))
      .thenMatch([{ type: 'SellerResponded' }]);
  });

  // Countered day 7: negotiation runs to day 22.
  it('NEGOTIATION: proposing, withdrawing, accepting and escalating', () => {
    const late = day(22);
    given(countered())
      .when(cmd('SubmitProposal', buyer, late, { proposalId: 'p-b2', solution: partial(5000) }))
      .thenFails('DEADLINE_PASSED');
    given(countered())
      .when(cmd('WithdrawProposal', seller, late, { proposalId: 'p-seller-1' }))
      .thenFails('DEADLINE_PASSED');
    given(countered())
      .when(cmd('AcceptProposal', buyer, late, { proposalId: 'p-seller-1' }))
      .thenFails('DEADLINE_PASSED');
    given(countered())
      .when(cmd('EscalateDispute', buyer, late, {}))
      .thenFails('DEADLINE_PASSED');
  });

  // Decided day 11: the appeal window runs to day 21.
  it('APPEAL_WINDOW: accepting the decision (the appeal keeps APPEAL_WINDOW_CLOSED)', () => {
    given(decided())
      .when(cmd('AcceptDecision', buyer, day(21), { decisionId: 'dec-1' }))
      .thenFails('DEADLINE_PASSED');
    given(decided())
      .when(
        cmd('AppealDecision', buyer, day(21), {
          appealId: 'a-1',
          decisionId: 'dec-1',
          newInformation: 'More',
        }),
      )
      .thenFails('APPEAL_WINDOW_CLOSED');
  });

  // Return agreed day 8: address due day 13.
  it('RETURN_ADDRESS: an address two days late', () => {
    given(returnRequested())
      .when(cmd('ProvideReturnAddress', seller, day(15), { address }))
      .thenFails('DEADLINE_PASSED');
  });

  // Address given day 9: shipment due day 19.
  it('RETURN_SHIPMENT: shipping the return late', () => {
    given(returnAddressGiven())
      .when(cmd('ShipReturn', buyer, day(19), { carrier: 'bpost', trackingNumber: 'TRK-1' }))
      .thenFails('DEADLINE_PASSED');
  });

  // Shipped day 10: delivery due day 30.
  it('RETURN_DELIVERY: recording the delivery or confirming receipt late', () => {
    given(returnShipped())
      .when(cmd('RecordReturnDelivery', platform, day(30), {}))
      .thenFails('DEADLINE_PASSED');
    given(returnShipped())
      .when(cmd('ConfirmReturnReceived', seller, day(30), {}))
      .thenFails('DEADLINE_PASSED');
  });

  // Delivered day 12: receipt due day 22.
  it('RETURN_RECEIPT: confirming or disputing the condition late', () => {
    given(returnDelivered())
      .when(cmd('ConfirmReturnReceived', seller, day(22), {}))
      .thenFails('DEADLINE_PASSED');
    given(returnDelivered())
      .when(cmd('DisputeReturnCondition', seller, day(23), { statement: 'Broken' }))
      .thenFails('DEADLINE_PASSED');
  });

  // Requested day 10: the answer is due day 13.
  it('EVIDENCE_REQUEST: answering the request late; other evidence is still welcome', () => {
    const requested = taken().then(
      cmd('RequestEvidence', mediator, day(10), {
        requestId: 'req-1',
        from: 'buyer',
        prompt: 'Photo?',
      }),
    );
    const evidence = (answersRequestId: string | null) =>
      cmd('AddEvidence', buyer, day(13), {
        evidenceId: `ev-${String(answersRequestId)}`,
        kind: 'TEXT',
        content: { text: 'Here it is' },
        description: 'late',
        answersRequestId,
      });
    given(requested).when(evidence('req-1')).thenFails('DEADLINE_PASSED');
    given(requested)
      .when(evidence(null))
      .thenMatch([{ type: 'EvidenceAdded' }]);
  });

  it('recording a return’s delivery twice is refused: the receipt clock does not restart', () => {
    given(returnDelivered())
      .when(cmd('RecordReturnDelivery', platform, day(14), {}))
      .thenFails('RETURN_ALREADY_DELIVERED');
    expect(returnDelivered().state).toMatchObject({
      deadline: { kind: 'RETURN_RECEIPT', dueAt: day(22) },
    });
  });
});

describe('item 9a: the seller judges the condition of a return only once it is delivered', () => {
  it('disputing the condition of a return still in transit is refused', () => {
    given(returnShipped())
      .when(cmd('DisputeReturnCondition', seller, day(11), { statement: 'Broken' }))
      .thenFails('RETURN_NOT_DELIVERED');
  });

  it('confirming its arrival before the carrier’s record is the seller’s own admission: accepted', () => {
    given(returnShipped())
      .when(cmd('ConfirmReturnReceived', seller, day(11), {}))
      .thenMatch([{ type: 'ReturnReceived' }, { type: 'RefundReleased' }]);
  });
});

describe('item 9d: after a condition dispute, the appeals already used still count', () => {
  /** A return-and-refund ruled on day 11 (appealed and upheld, or accepted), then disputed. */
  const conditionDisputed = (appeal: boolean) => {
    const ruled = appeal
      ? decided(undefined, withReturn(8000))
          .then(
            cmd('AppealDecision', seller, day(12), {
              appealId: 'appeal-1',
              decisionId: 'dec-1',
              newInformation: 'Courier report',
            }),
          )
          .then(cmd('TakeCase', senior, day(13), {}))
          .then(
            cmd('DecideAppeal', senior, day(14), {
              decisionId: 'dec-2',
              ruling: withReturn(8000),
              rationale: 'Upheld',
            }),
          )
      : decided(undefined, withReturn(8000))
          .then(cmd('AcceptDecision', buyer, day(12), { decisionId: 'dec-1' }))
          .then(cmd('AcceptDecision', seller, day(12), { decisionId: 'dec-1' }));
    return ruled
      .then(cmd('ProvideReturnAddress', seller, day(15), { address }))
      .then(cmd('ShipReturn', buyer, day(16), { carrier: 'bpost', trackingNumber: 'TRK-1' }))
      .then(cmd('RecordReturnDelivery', platform, day(18), {}))
      .then(cmd('DisputeReturnCondition', seller, day(19), { statement: 'Broken' }))
      .then(cmd('TakeCase', mediator, day(20), {}));
  };
  const decideCondition = cmd('DecideDispute', mediator, day(21), {
    decisionId: 'dec-3',
    ruling: partial(4000),
    rationale: 'Came back damaged: half',
  });

  it('with maxAppeals used, the condition ruling is final at once', () => {
    given(conditionDisputed(true))
      .when(decideCondition)
      .thenMatch([
        { type: 'DisputeDecided', data: { final: true, appealDueAt: null } },
        { type: 'DisputeResolved', data: { reachedBy: 'MEDIATION', refundAmount: eur(4000) } },
      ]);
  });

  it('with no appeal used yet, the condition ruling opens the appeal window', () => {
    given(conditionDisputed(false))
      .when(decideCondition)
      .thenMatch([{ type: 'DisputeDecided', data: { final: false, appealDueAt: day(31) } }]);
  });
});
