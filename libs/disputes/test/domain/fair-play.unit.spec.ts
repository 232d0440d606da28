import {
  currencyMinorUnits,
  decide,
  definePolicy,
  formatMoney,
  type Dispute,
  type DisputeEvent,
  money,
  replay,
  requireMayOpenDispute,
} from '../../src/domain';
import {
  analyst,
  appealed,
  buyer,
  cmd,
  codeOf,
  countered,
  day,
  decided,
  escalated,
  eur,
  given,
  mediator,
  openCmd,
  opened,
  orderFactsFixture,
  otherSeller,
  partial,
  platform,
  refundPending,
  seller,
  senior,
  Story,
  taken,
  withReturn,
} from '../../test-support/fixtures';

/**
 * The fair-play rules (libs/disputes/README.md, "Fair play"): appeals, cancellation, money and
 * times that cannot be gamed.
 */

const senior2 = { id: 'senior-2', role: 'senior_mediator' } as const;
const address = { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' };

/** A senior mediator held the case in mediation and decided it (5000), then the seller appealed. */
const seniorDecidedThenAppealed = (policy = definePolicy()) =>
  escalated(policy)
    .then(cmd('TakeCase', senior, day(10), {}))
    .then(
      cmd('DecideDispute', senior, day(11), {
        decisionId: 'dec-1',
        ruling: partial(5000),
        rationale: 'Photos show damage',
      }),
    )
    .then(
      cmd('AppealDecision', seller, day(12), {
        appealId: 'appeal-1',
        decisionId: 'dec-1',
        newInformation: 'Courier report attached',
      }),
    );

describe('an appeal goes to another senior than the one who decided (item 4)', () => {
  it('the senior who decided cannot take the appeal; another senior can, and decides it', () => {
    given(seniorDecidedThenAppealed())
      .when(cmd('TakeCase', senior, day(13), {}))
      .thenFails('APPEAL_NEEDS_ANOTHER_SENIOR');
    const story = seniorDecidedThenAppealed().then(cmd('TakeCase', senior2, day(13), {}));
    given(story)
      .when(
        cmd('DecideAppeal', senior2, day(14), {
          decisionId: 'dec-2',
          ruling: partial(4000),
          rationale: 'The courier report settles it',
        }),
      )
      .thenMatch([
        { type: 'DisputeDecided', data: { stage: 'APPEAL', final: true } },
        { type: 'DisputeResolved', data: { reachedBy: 'APPEAL' } },
      ]);
  });

  it('records who decided, so a second appeal avoids the senior who decided the first', () => {
    const policy = definePolicy({ maxAppeals: 2 });
    const story = seniorDecidedThenAppealed(policy)
      .then(cmd('TakeCase', senior2, day(13), {}))
      .then(
        cmd('DecideAppeal', senior2, day(14), {
          decisionId: 'dec-2',
          ruling: partial(4000),
          rationale: 'Partly right',
        }),
      )
      .then(
        cmd('AppealDecision', buyer, day(15), {
          appealId: 'appeal-2',
          decisionId: 'dec-2',
          newInformation: 'A second opinion',
        }),
      );
    expect((story.state as Dispute).decidedBy).toBe(senior2.id);
    given(story)
      .when(cmd('TakeCase', senior2, day(16), {}))
      .thenFails('APPEAL_NEEDS_ANOTHER_SENIOR');
    // The first decider did not decide the decision under appeal: they may review it.
    given(story)
      .when(cmd('TakeCase', senior, day(16), {}))
      .thenMatch([{ type: 'CaseTaken' }]);
  });

  it('a history where the decider holds the appeal (written before the rule) cannot decide it', () => {
    const base = seniorDecidedThenAppealed();
    const state = base.state as Dispute;
    const taken: DisputeEvent = {
      type: 'CaseTaken',
      data: { disputeId: state.disputeId, at: day(13), by: senior, previousMediatorId: null },
    };
    given([...base.events, taken])
      .when(
        cmd('DecideAppeal', senior, day(14), {
          decisionId: 'dec-2',
          ruling: partial(4000),
          rationale: 'I stand by it',
        }),
      )
      .thenFails('APPEAL_NEEDS_ANOTHER_SENIOR');
  });
});

describe('cancelling is for before a decision (item 5)', () => {
  const reopenPolicy = definePolicy({ allowReopenAfterCancel: true });
  const cancel = (at = day(12)) => cmd('CancelDispute', buyer, at, { comment: 'never mind' });

  it('is refused once a decision exists, and during its appeal', () => {
    given(decided(reopenPolicy)).when(cancel()).thenFails('DISPUTE_ALREADY_DECIDED');
    given(appealed(reopenPolicy))
      .when(cancel(day(13)))
      .thenFails('DISPUTE_ALREADY_DECIDED');
  });

  it('is refused when a settled return came back to mediation over its condition', () => {
    const story = countered(reopenPolicy, withReturn(6000))
      .then(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .then(cmd('ProvideReturnAddress', seller, day(9), { address }))
      .then(cmd('ShipReturn', buyer, day(10), { carrier: 'bpost', trackingNumber: 'T-1' }))
      .then(cmd('RecordReturnDelivery', platform, day(12), {}))
      .then(cmd('DisputeReturnCondition', seller, day(13), { statement: 'Broken' }));
    expect(story.state.status).toBe('IN_MEDIATION');
    given(story)
      .when(cancel(day(14)))
      .thenFails('DISPUTE_ALREADY_RESOLVED');
  });

  it('before a decision the buyer cancels, and (allowReopenAfterCancel) reopens a fresh dispute', () => {
    const cancelled = taken(reopenPolicy).then(cancel(day(11)));
    expect(cancelled.state.status).toBe('CANCELLED');
    const reopened = new Story([], reopenPolicy).then(
      openCmd(
        {
          disputeId: 'd-2',
          proposalId: 'p-buyer-2',
          order: orderFactsFixture({ previousDispute: { disputeId: 'd-1', cancelled: true } }),
        },
        day(12),
      ),
    );
    expect(reopened.events[0]).toMatchObject({ type: 'DisputeOpened', data: { reopenOf: 'd-1' } });
    expect(reopened.state).toMatchObject({ status: 'AWAITING_SELLER', appealsUsed: 0 });
  });
});

describe('the seller marks a refund sent; the platform confirms it (item 7)', () => {
  const markSent = (actor = seller, amount = eur(3000), reference = 'bank-transfer-1') =>
    cmd('MarkRefundSent', actor, day(9), { amount, reference });

  it('records the seller’s refund, then the platform’s confirmation closes the dispute', () => {
    given(refundPending())
      .when(markSent())
      .thenMatch([
        {
          type: 'RefundMarkedSent',
          data: { amount: eur(3000), reference: 'bank-transfer-1', by: seller },
        },
      ]);
    const story = refundPending().then(markSent());
    expect(story.state).toMatchObject({ status: 'REFUND_PENDING', refundMarkedSentAt: day(9) });
    given(story)
      .when(
        cmd('ConfirmRefundPayout', platform, day(10), {
          payoutReference: 'po-1',
          amount: eur(3000),
        }),
      )
      .thenMatch([
        { type: 'RefundPaidOut', data: { amount: eur(3000) } },
        { type: 'DisputeClosed', data: { refunded: eur(3000) } },
      ]);
  });

  it('money never moves twice: a second mark, or a mark after the payout, is refused', () => {
    given(refundPending().then(markSent()))
      .when(markSent())
      .thenFails('REFUND_ALREADY_MARKED_SENT');
    const paid = refundPending().then(
      cmd('ConfirmRefundPayout', platform, day(10), { payoutReference: 'po-1', amount: eur(3000) }),
    );
    given(paid).when(markSent()).thenFails('DISPUTE_CLOSED');
  });

  it('only the order’s seller, only the amount due, only while a refund is pending', () => {
    given(refundPending()).when(markSent(buyer)).thenFails('FORBIDDEN_FOR_ROLE');
    given(refundPending()).when(markSent(platform)).thenFails('FORBIDDEN_FOR_ROLE');
    given(refundPending()).when(markSent(otherSeller)).thenFails('NOT_A_PARTY');
    given(refundPending())
      .when(markSent(seller, eur(2999)))
      .thenFails('REFUND_AMOUNT_MISMATCH');
    given(refundPending())
      .when(markSent(seller, money(3000, 'USD')))
      .thenFails('REFUND_AMOUNT_MISMATCH');
    given(refundPending())
      .when(markSent(seller, eur(3000), ' '))
      .thenFails('INVALID_COMMAND');
    given(countered()).when(markSent()).thenFails('REFUND_NOT_PENDING');
  });
});

describe('money in ISO 4217 currencies (item 8)', () => {
  it('refuses a code that is not an ISO 4217 currency', () => {
    expect(codeOf(() => money(100, 'ABC'))).toBe('INVALID_MONEY');
    expect(codeOf(() => money(100, 'XXX'))).toBe('INVALID_MONEY');
    expect(codeOf(() => money(100, 'eur'))).toBe('INVALID_MONEY');
    expect(money(1500, 'JPY')).toEqual({ amountMinor: 1500, currency: 'JPY' });
  });

  it('knows each currency’s minor units', () => {
    expect(currencyMinorUnits('JPY')).toBe(0);
    expect(currencyMinorUnits('EUR')).toBe(2);
    expect(currencyMinorUnits('KWD')).toBe(3);
  });

  it('formats an amount in its currency’s minor units', () => {
    expect(formatMoney(money(1500, 'JPY'))).toBe('1500 JPY');
    expect(formatMoney(money(1500, 'KWD'))).toBe('1.500 KWD');
    expect(formatMoney(money(1500, 'EUR'))).toBe('15.00 EUR');
    expect(formatMoney(money(5, 'EUR'))).toBe('0.05 EUR');
    expect(formatMoney(money(0, 'KWD'))).toBe('0.000 KWD');
    // A code stored before made-up codes were refused still reads.
    expect(formatMoney({ amountMinor: 1500, currency: 'ABC' })).toBe('15.00 ABC');
  });

  it('an order in a made-up currency cannot be disputed', () => {
    const order = orderFactsFixture({ total: { amountMinor: 10_000, currency: 'ABC' } });
    expect(codeOf(() => decide(openCmd({ order }), replay([])))).toBe('INVALID_MONEY');
  });
});

describe('evidence requests do not outlive a settlement (item 9b)', () => {
  it('an open request lapses when the parties agree, and does not block a later decision', () => {
    const story = countered(undefined, withReturn(6000))
      .then(cmd('EscalateDispute', buyer, day(9), {}))
      .then(cmd('TakeCase', mediator, day(10), {}))
      .then(
        cmd('RequestEvidence', mediator, day(10), {
          requestId: 'req-1',
          from: 'seller',
          prompt: 'Photos of the item as sent',
        }),
      )
      .then(cmd('AcceptProposal', buyer, day(11), { proposalId: 'p-seller-1' }));
    expect((story.state as Dispute).evidenceRequests).toMatchObject([
      { requestId: 'req-1', status: 'LAPSED' },
    ]);
    const back = story
      .then(cmd('ProvideReturnAddress', seller, day(12), { address }))
      .then(cmd('ShipReturn', buyer, day(13), { carrier: 'bpost', trackingNumber: 'T-1' }))
      .then(cmd('RecordReturnDelivery', platform, day(15), {}))
      .then(cmd('DisputeReturnCondition', seller, day(16), { statement: 'Broken' }))
      .then(cmd('TakeCase', mediator, day(17), {}));
    given(back)
      .when(
        cmd('DecideDispute', mediator, day(18), {
          decisionId: 'dec-1',
          ruling: partial(3000),
          rationale: 'Half the damage is the buyer’s',
        }),
      )
      .thenMatch([{ type: 'DisputeDecided' }]);
  });
});

describe('no return of an item that never arrived (item 9c)', () => {
  const notReceived = () => new Story().then(openCmd({ reason: 'ITEM_NOT_RECEIVED' }));

  it('an ITEM_NOT_RECEIVED claim cannot ask for return-and-refund', () => {
    given([])
      .when(openCmd({ reason: 'ITEM_NOT_RECEIVED', claim: withReturn(6000) }))
      .thenFails('SOLUTION_NOT_FOR_REASON');
  });

  it('nor can a proposal, a counter-proposal or a decision on such a dispute', () => {
    given(notReceived())
      .when(cmd('SubmitProposal', buyer, day(6), { proposalId: 'p-2', solution: withReturn(6000) }))
      .thenFails('SOLUTION_NOT_FOR_REASON');
    given(notReceived())
      .when(
        cmd('RespondToDispute', seller, day(7), {
          response: 'COUNTER',
          comment: 'Send it back',
          proposalId: 'p-seller-1',
          solution: withReturn(6000),
        }),
      )
      .thenFails('SOLUTION_NOT_FOR_REASON');
    const inMediation = notReceived()
      .then(cmd('RespondToDispute', seller, day(7), { response: 'REJECT', comment: 'Delivered' }))
      .then(cmd('EscalateDispute', buyer, day(8), {}))
      .then(cmd('TakeCase', mediator, day(9), {}));
    given(inMediation)
      .when(
        cmd('DecideDispute', mediator, day(10), {
          decisionId: 'dec-1',
          ruling: withReturn(6000),
          rationale: 'Return it',
        }),
      )
      .thenFails('SOLUTION_NOT_FOR_REASON');
    given(inMediation)
      .when(
        cmd('DecideDispute', mediator, day(10), {
          decisionId: 'dec-1',
          ruling: partial(6000),
          rationale: 'Refund most',
        }),
      )
      .thenMatch([{ type: 'DisputeDecided' }]);
  });
});

describe('a command’s time never goes backwards within a stream (item 10)', () => {
  it('a command dated before the last event is dated at the last event', () => {
    // The seller countered at day 7; a message taken at day 6.5 lands after it.
    given(countered())
      .when(cmd('PostMessage', buyer, day(6.5), { messageId: 'm-1', body: 'Hello' }))
      .thenMatch([{ type: 'MessagePosted', data: { at: day(7) } }]);
    given(countered())
      .when(cmd('PostMessage', buyer, day(8), { messageId: 'm-1', body: 'Hello' }))
      .thenMatch([{ type: 'MessagePosted', data: { at: day(8) } }]);
  });

  it('keeps the last event’s time in state', () => {
    expect(opened().state).toMatchObject({ lastEventAt: day(6) });
    expect(countered().state).toMatchObject({ lastEventAt: day(7) });
  });
});

describe('order ids cannot be probed (item 11)', () => {
  it('only a buyer may open: the handler asks before it looks the order up', () => {
    expect(codeOf(() => requireMayOpenDispute(buyer))).toBeUndefined();
    for (const actor of [analyst, seller, mediator, platform]) {
      expect(codeOf(() => requireMayOpenDispute(actor))).toBe('FORBIDDEN_FOR_ROLE');
    }
  });
});
