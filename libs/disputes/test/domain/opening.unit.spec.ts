import { definePolicy, replay, type DisputeOpened } from '../../src/domain';
import {
  analyst,
  buyer,
  cmd,
  countered,
  day,
  eur,
  FULL,
  given,
  mediator,
  openCmd,
  opened,
  orderFactsFixture,
  otherBuyer,
  otherSeller,
  partial,
  rejected,
  seller,
  Story,
  system,
  TOTAL,
  withReturn,
} from '../../test-support/fixtures';

const fire = (dueAt: string) =>
  cmd('FireDeadline', system, dueAt, { kind: 'SELLER_RESPONSE', dueAt, requestId: null });

describe('opening a dispute', () => {
  it('records the dispute, the buyer claim and the seller response deadline', () => {
    const expected: DisputeOpened = {
      type: 'DisputeOpened',
      data: {
        disputeId: 'd-1',
        at: day(6),
        by: buyer,
        orderId: 'order-1',
        buyerId: buyer.id,
        sellerId: seller.id,
        reason: 'NOT_AS_DESCRIBED',
        description: 'The colour is wrong',
        proposalId: 'p-buyer-1',
        claim: FULL,
        orderTotal: TOTAL,
        refundedBefore: eur(0),
        deliveryConfirmed: false,
        reopenOf: null,
        sellerResponseDueAt: day(11),
      },
    };
    given([]).when(openCmd()).then([expected]);
  });

  it('accepts a time given without milliseconds and stores it canonically', () => {
    given([])
      .when(openCmd({}, '2026-03-07T00:00:00Z'))
      .thenMatch([{ data: { at: day(6) } }]);
  });

  it.each([
    ['not a buyer', mediator, 'FORBIDDEN_FOR_ROLE'],
    ['not the order buyer', otherBuyer, 'NOT_A_PARTY'],
  ] as const)('refuses an actor who is %s', (_label, actor, code) => {
    given([])
      .when(openCmd({}, day(6), actor))
      .thenFails(code);
  });

  it('refuses a second opening of the same dispute stream', () => {
    given(opened()).when(openCmd()).thenFails('DISPUTE_ALREADY_EXISTS');
  });

  it('refuses a malformed time', () => {
    given([]).when(openCmd({}, '2026-02-30T00:00:00Z')).thenFails('INVALID_INSTANT');
  });

  describe('protection period', () => {
    it('refuses before shipment', () => {
      given([])
        .when(openCmd({ order: orderFactsFixture({ shippedAt: null }) }))
        .thenFails('ORDER_NOT_SHIPPED');
      given([])
        .when(openCmd({}, day(-1)))
        .thenFails('ORDER_NOT_SHIPPED');
    });

    it('runs until protectionDays after the promised delivery deadline when delivery is unconfirmed', () => {
      // deadline = day 19, + 15 days = day 34
      given([])
        .when(openCmd({}, day(34)))
        .thenMatch([{ type: 'DisputeOpened' }]);
      given([])
        .when(openCmd({}, day(34.001)))
        .thenFails('PROTECTION_PERIOD_EXPIRED');
    });

    it('runs until protectionDays after the buyer confirmed delivery', () => {
      const order = orderFactsFixture({ deliveryConfirmedAt: day(4) });
      given([])
        .when(openCmd({ order }, day(19)))
        .thenMatch([{ data: { deliveryConfirmed: true } }]);
      given([])
        .when(openCmd({ order }, day(19.5)))
        .thenFails('PROTECTION_PERIOD_EXPIRED');
    });

    it('follows the policy', () => {
      const policy = definePolicy({ protectionDays: 30 });
      given([], policy)
        .when(openCmd({}, day(40)))
        .thenMatch([{ type: 'DisputeOpened' }]);
    });
  });

  describe('ITEM_NOT_RECEIVED', () => {
    const notReceived = { reason: 'ITEM_NOT_RECEIVED' } as const;

    it('opens from minDaysAfterShipmentForNotReceived after shipment', () => {
      given([])
        .when(openCmd(notReceived, day(5)))
        .thenMatch([{ data: { reason: 'ITEM_NOT_RECEIVED' } }]);
    });

    it('refuses earlier', () => {
      given([])
        .when(openCmd(notReceived, day(4.9)))
        .thenFails('NOT_RECEIVED_TOO_EARLY');
    });

    it('refuses once delivery was confirmed', () => {
      const order = orderFactsFixture({ deliveryConfirmedAt: day(4) });
      given([])
        .when(openCmd({ ...notReceived, order }, day(6)))
        .thenFails('ITEM_DELIVERY_CONFIRMED');
    });
  });

  describe('one dispute per order', () => {
    it('refuses when the order already has an open or closed dispute', () => {
      const order = orderFactsFixture({ previousDispute: { disputeId: 'd-0', cancelled: false } });
      given([]).when(openCmd({ order })).thenFails('DISPUTE_ALREADY_EXISTS');
    });

    it('refuses to reopen after a cancellation by default (seed 003)', () => {
      const order = orderFactsFixture({ previousDispute: { disputeId: 'd-0', cancelled: true } });
      given([]).when(openCmd({ order })).thenFails('DISPUTE_REOPEN_NOT_ALLOWED');
    });

    it('reopens after a cancellation when allowReopenAfterCancel is set (seed 002)', () => {
      const order = orderFactsFixture({ previousDispute: { disputeId: 'd-0', cancelled: true } });
      const policy = definePolicy({ allowReopenAfterCancel: true });
      given([], policy)
        .when(openCmd({ order }))
        .thenMatch([{ data: { reopenOf: 'd-0' } }]);
    });
  });

  describe('the claim', () => {
    it('may not exceed the order total less refunds already made', () => {
      const order = orderFactsFixture({ refunded: eur(4000) });
      given([])
        .when(openCmd({ order, claim: partial(6000) }))
        .thenMatch([{ data: { refundedBefore: eur(4000) } }]);
      given([])
        .when(openCmd({ order, claim: partial(6001) }))
        .thenFails('REFUND_EXCEEDS_ORDER_TOTAL');
      given([])
        .when(openCmd({ order, claim: withReturn(6001) }))
        .thenFails('REFUND_EXCEEDS_ORDER_TOTAL');
    });

    it('is in the order currency, positive, and a solution', () => {
      const usd = { kind: 'PARTIAL_REFUND', amount: { amountMinor: 10, currency: 'USD' } } as const;
      given([])
        .when(openCmd({ claim: usd }))
        .thenFails('CURRENCY_MISMATCH');
      given([])
        .when(openCmd({ claim: partial(0) }))
        .thenFails('INVALID_MONEY');
      given([])
        .when(
          openCmd({
            claim: { kind: 'PARTIAL_REFUND', amount: { amountMinor: 1.5, currency: 'EUR' } },
          }),
        )
        .thenFails('INVALID_MONEY');
      given([])
        .when(openCmd({ claim: { kind: 'SELLER_FAVOUR' } as never }))
        .thenFails('INVALID_COMMAND');
      given([])
        .when(openCmd({ claim: { kind: 'BOGUS' } as never }))
        .thenFails('INVALID_COMMAND');
      const badPayer = {
        kind: 'RETURN_AND_REFUND',
        amount: eur(10),
        returnShippingPaidBy: 'nobody',
      } as never;
      given([])
        .when(openCmd({ claim: badPayer }))
        .thenFails('INVALID_COMMAND');
    });

    it('is refused on an order that was fully refunded', () => {
      given([])
        .when(openCmd({ order: orderFactsFixture({ refunded: TOTAL }) }))
        .thenFails('ORDER_FULLY_REFUNDED');
    });
  });

  it('needs a known reason, a description and distinct ids', () => {
    given([])
      .when(openCmd({ reason: 'BORED' as never }))
      .thenFails('INVALID_COMMAND');
    given([])
      .when(openCmd({ description: '  ' }))
      .thenFails('INVALID_COMMAND');
    given([])
      .when(openCmd({ disputeId: '' }))
      .thenFails('INVALID_COMMAND');
    given([])
      .when(openCmd({ proposalId: '' }))
      .thenFails('INVALID_COMMAND');
    given([])
      .when(openCmd({ proposalId: 'd-1' }))
      .thenFails('DUPLICATE_ID');
  });
});

describe("the seller's response", () => {
  it('accepting settles the dispute by agreement on the buyer claim', () => {
    given(opened())
      .when(
        cmd('RespondToDispute', seller, day(7), {
          response: 'ACCEPT',
          comment: '',
          proposalId: 'p-buyer-1',
        }),
      )
      .thenMatch([
        { type: 'SellerResponded', data: { response: 'ACCEPTED', negotiationDueAt: null } },
        {
          type: 'ProposalAccepted',
          data: { proposalId: 'p-buyer-1', acceptedBy: 'seller', onBehalf: false },
        },
        {
          type: 'DisputeResolved',
          data: {
            outcome: 'BUYER_FULL_REFUND',
            reachedBy: 'AGREEMENT',
            refundAmount: TOTAL,
            returnRequired: false,
          },
        },
      ]);
  });

  it('accepting refuses a claim the buyer has replaced since (PROPOSAL_CHANGED)', () => {
    const replaced = opened().then(
      cmd('SubmitProposal', buyer, day(7), { proposalId: 'p-buyer-2', solution: partial(4000) }),
    );
    const accept = (proposalId: string) =>
      cmd('RespondToDispute', seller, day(8), { response: 'ACCEPT', comment: '', proposalId });
    given(replaced).when(accept('p-buyer-1')).thenFails('PROPOSAL_CHANGED');
    given(replaced).when(accept('p-unknown')).thenFails('PROPOSAL_CHANGED');
    given(replaced)
      .when(accept('p-buyer-2'))
      .thenMatch([
        { type: 'SellerResponded', data: { response: 'ACCEPTED' } },
        { type: 'ProposalAccepted', data: { proposalId: 'p-buyer-2', acceptedBy: 'seller' } },
        {
          type: 'DisputeResolved',
          data: { outcome: 'BUYER_PARTIAL_REFUND', refundAmount: eur(4000) },
        },
      ]);
  });

  it('replacing the claim before the seller answers restarts the seller response time', () => {
    // Opened day 6, due day 11; replaced on day 10: the seller gets sellerResponseDays again.
    const events = given(opened())
      .when(
        cmd('SubmitProposal', buyer, day(10), { proposalId: 'p-buyer-2', solution: partial(4000) }),
      )
      .thenMatch([
        {
          type: 'ProposalSubmitted',
          data: { proposalId: 'p-buyer-2', replaces: 'p-buyer-1', sellerResponseDueAt: day(15) },
        },
      ]);
    const state = replay(events, opened().state);
    expect(state).toMatchObject({
      status: 'AWAITING_SELLER',
      deadline: { kind: 'SELLER_RESPONSE', dueAt: day(15) },
    });
    // The old deadline no longer fires; the new one accepts the claim the seller could see.
    const replaced = new Story([...opened().events, ...events]);
    given(replaced)
      .when(fire(day(11)))
      .thenNothing();
    given(replaced)
      .when(fire(day(15)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'ProposalAccepted', data: { proposalId: 'p-buyer-2', onBehalf: true } },
        { type: 'DisputeResolved', data: { reachedBy: 'SELLER_TIMEOUT' } },
      ]);
  });

  it('a proposal in negotiation leaves the negotiation deadline alone', () => {
    const events = given(countered())
      .when(
        cmd('SubmitProposal', buyer, day(9), { proposalId: 'p-buyer-2', solution: partial(4000) }),
      )
      .thenMatch([{ type: 'ProposalSubmitted' }]);
    expect(events[0]?.data).not.toHaveProperty('sellerResponseDueAt');
    expect(replay(events, countered().state)).toMatchObject({
      deadline: { kind: 'NEGOTIATION', dueAt: day(22) },
    });
  });

  it('countering opens negotiation with the seller proposal and the negotiation deadline', () => {
    const state = given(opened())
      .when(
        cmd('RespondToDispute', seller, day(7), {
          response: 'COUNTER',
          comment: '',
          proposalId: 'p-seller-1',
          solution: partial(3000),
        }),
      )
      .thenState();
    expect(state).toMatchObject({
      status: 'NEGOTIATING',
      sellerRejected: false,
      deadline: { kind: 'NEGOTIATION', dueAt: day(22) },
      proposals: { seller: { proposalId: 'p-seller-1', solution: partial(3000) } },
    });
  });

  it('a counter proposal is validated like any proposal', () => {
    const counter = (proposalId: string, solution = partial(3000)) =>
      cmd('RespondToDispute', seller, day(7), {
        response: 'COUNTER',
        comment: '',
        proposalId,
        solution,
      });
    given(opened()).when(counter('p-buyer-1')).thenFails('DUPLICATE_ID');
    given(opened())
      .when(counter('p-s', partial(10_001)))
      .thenFails('REFUND_EXCEEDS_ORDER_TOTAL');
  });

  it('rejecting opens negotiation and needs a reason', () => {
    expect(rejected().state).toMatchObject({ status: 'NEGOTIATING', sellerRejected: true });
    given(opened())
      .when(cmd('RespondToDispute', seller, day(7), { response: 'REJECT', comment: '' }))
      .thenFails('INVALID_COMMAND');
  });

  it('refuses anyone but the order seller, and a second response', () => {
    const accept = (actor = seller) =>
      cmd('RespondToDispute', actor, day(7), {
        response: 'ACCEPT',
        comment: '',
        proposalId: 'p-buyer-1',
      });
    given(opened()).when(accept(buyer)).thenFails('FORBIDDEN_FOR_ROLE');
    given(opened()).when(accept(otherSeller)).thenFails('NOT_A_PARTY');
    given(countered()).when(accept()).thenFails('DISPUTE_NOT_AWAITING_SELLER');
  });

  it('refuses an unknown response or a missing comment', () => {
    given(opened())
      .when(cmd('RespondToDispute', seller, day(7), { response: 'MAYBE', comment: '' } as never))
      .thenFails('INVALID_COMMAND');
    given(opened())
      .when(cmd('RespondToDispute', seller, day(7), { response: 'ACCEPT' } as never))
      .thenFails('INVALID_COMMAND');
  });
});

describe('escalation', () => {
  it('is allowed to either party from minDaysBeforeEscalation after opening', () => {
    // opened day 6 → escalation from day 9
    given(countered())
      .when(cmd('EscalateDispute', buyer, day(9), {}))
      .thenMatch([{ type: 'DisputeEscalated', data: { trigger: 'BUYER', sellerRejected: false } }]);
    given(countered())
      .when(cmd('EscalateDispute', seller, day(9), {}))
      .thenMatch([{ type: 'DisputeEscalated', data: { trigger: 'SELLER' } }]);
  });

  it('is refused earlier', () => {
    given(countered())
      .when(cmd('EscalateDispute', buyer, day(8.9), {}))
      .thenFails('ESCALATION_TOO_EARLY');
  });

  it('is allowed at once after the seller rejected', () => {
    given(rejected())
      .when(cmd('EscalateDispute', buyer, day(7), {}))
      .thenMatch([{ type: 'DisputeEscalated', data: { sellerRejected: true } }]);
  });

  it('moves the dispute to mediation, unassigned', () => {
    const state = given(rejected())
      .when(cmd('EscalateDispute', buyer, day(7), {}))
      .thenState();
    expect(state).toMatchObject({ status: 'IN_MEDIATION', mediatorId: null, deadline: null });
  });

  it('is refused outside negotiation and to non-parties', () => {
    given(opened())
      .when(cmd('EscalateDispute', buyer, day(9), {}))
      .thenFails('DISPUTE_NOT_IN_NEGOTIATION');
    given(countered())
      .when(cmd('EscalateDispute', mediator, day(9), {}))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(countered())
      .when(cmd('EscalateDispute', otherBuyer, day(9), {}))
      .thenFails('NOT_A_PARTY');
  });
});

describe('cancellation', () => {
  it('the buyer cancels before resolution; the payment goes to the seller', () => {
    given(countered())
      .when(cmd('CancelDispute', buyer, day(8), { comment: 'Sorted it out' }))
      .thenMatch([
        {
          type: 'DisputeCancelled',
          data: {
            outcome: 'CANCELLED_BY_BUYER',
            reachedBy: 'BUYER_CANCEL',
            buyerId: buyer.id,
            sellerId: seller.id,
          },
        },
      ]);
  });

  it('is refused to the seller, to strangers and after resolution', () => {
    const cancel = (actor = buyer) => cmd('CancelDispute', actor, day(9), { comment: '' });
    given(countered()).when(cancel(seller)).thenFails('FORBIDDEN_FOR_ROLE');
    given(countered()).when(cancel(otherBuyer)).thenFails('NOT_A_PARTY');
    const resolved = countered().then(
      cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }),
    );
    given(resolved).when(cancel()).thenFails('DISPUTE_ALREADY_RESOLVED');
    given(countered())
      .when(cmd('CancelDispute', buyer, day(9), {} as never))
      .thenFails('INVALID_COMMAND');
  });

  it('leaves a cancelled dispute accepting nothing', () => {
    const cancelled = countered().then(cmd('CancelDispute', buyer, day(8), { comment: '' }));
    expect(cancelled.state).toMatchObject({ status: 'CANCELLED', outcome: 'CANCELLED_BY_BUYER' });
    given(cancelled)
      .when(cmd('PostMessage', buyer, day(9), { messageId: 'm-1', body: 'hello?' }))
      .thenFails('DISPUTE_CLOSED');
  });
});

describe('who may command at all', () => {
  it('refuses analysts and non-timer system commands, and unknown disputes', () => {
    given(countered())
      .when(cmd('PostMessage', analyst, day(8), { messageId: 'm', body: 'x' }))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(countered())
      .when(cmd('PostMessage', { id: 's', role: 'system' }, day(8), { messageId: 'm', body: 'x' }))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(new Story())
      .when(cmd('EscalateDispute', buyer, day(9), {}))
      .thenFails('DISPUTE_NOT_FOUND');
  });

  it('refuses an unknown command type', () => {
    given(countered())
      .when({ type: 'Explode', data: {}, metadata: { actor: buyer, now: day(8) } } as never)
      .thenFails('INVALID_COMMAND');
  });
});
