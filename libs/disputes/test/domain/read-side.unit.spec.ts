import {
  canViewDispute,
  decide,
  DEFAULT_POLICY,
  definePolicy,
  type Dispute,
  type DisputeEvent,
  evolve,
  expectedActions,
  fireDeadlineCommand,
  initialState,
  nextActionFor,
  pendingDeadlines,
  REDACTED,
  replay,
  resolutionAsClosed,
  visibleEventFor,
  visibleEventsFor,
} from '../../src/domain';
import {
  analyst,
  appealed,
  appealTaken,
  buyer,
  cmd,
  countered,
  day,
  decided,
  escalated,
  eur,
  given,
  mediator,
  opened,
  otherBuyer,
  otherSeller,
  platform,
  refundPending,
  rejected,
  returnAddressGiven,
  returnRequested,
  returnDelivered,
  returnShipped,
  seller,
  senior,
  system,
  taken,
} from '../../test-support/fixtures';

const P = DEFAULT_POLICY;

describe('decide', () => {
  it('uses the default policy when none is given', () => {
    expect(decide(cmd('EscalateDispute', buyer, day(9), {}), countered().state)).toHaveLength(1);
  });
});

describe('pending deadlines (for the scheduler)', () => {
  it('lists the phase deadline with its consequence', () => {
    expect(pendingDeadlines(opened().state, P)).toEqual([
      {
        kind: 'SELLER_RESPONSE',
        dueAt: day(11),
        requestId: null,
        consequence: 'BUYER_PROPOSAL_ACCEPTED',
      },
    ]);
    expect(
      pendingDeadlines(opened().state, definePolicy({ onSellerSilence: 'escalate' }))[0]
        .consequence,
    ).toBe('ESCALATED_TO_MEDIATION');
    expect(pendingDeadlines(countered().state, P)[0]).toMatchObject({
      kind: 'NEGOTIATION',
      consequence: 'ESCALATED_TO_MEDIATION',
    });
    expect(pendingDeadlines(decided().state, P)[0]).toMatchObject({
      kind: 'APPEAL_WINDOW',
      consequence: 'DECISION_BECOMES_FINAL',
    });
    expect(pendingDeadlines(returnRequested().state, P)[0]).toMatchObject({
      consequence: 'REFUND_WITHOUT_RETURN',
    });
    expect(pendingDeadlines(returnAddressGiven().state, P)[0]).toMatchObject({
      consequence: 'CLOSED_IN_SELLER_FAVOUR',
    });
    // In transit the platform's delivery record is due; unrecorded, the case goes to a mediator.
    expect(pendingDeadlines(returnShipped().state, P)).toEqual([
      {
        kind: 'RETURN_DELIVERY',
        dueAt: day(30),
        requestId: null,
        consequence: 'ESCALATED_TO_MEDIATION',
      },
    ]);
    expect(pendingDeadlines(returnDelivered().state, P)).toEqual([
      { kind: 'RETURN_RECEIPT', dueAt: day(22), requestId: null, consequence: 'REFUND_RELEASED' },
    ]);
  });

  it('lists open evidence requests in mediation, earliest first, and nothing when closed', () => {
    // In request order: a command is never dated before the stream's last event.
    const asked = taken()
      .then(
        cmd('RequestEvidence', mediator, day(10.5), {
          requestId: 'r-1',
          from: 'buyer',
          prompt: 'label',
        }),
      )
      .then(
        cmd('RequestEvidence', mediator, day(11), {
          requestId: 'r-2',
          from: 'seller',
          prompt: 'invoice',
        }),
      );
    expect(pendingDeadlines(asked.state, P)).toEqual([
      {
        kind: 'EVIDENCE_REQUEST',
        dueAt: day(13.5),
        requestId: 'r-1',
        consequence: 'EVIDENCE_REQUEST_LAPSES',
      },
      {
        kind: 'EVIDENCE_REQUEST',
        dueAt: day(14),
        requestId: 'r-2',
        consequence: 'EVIDENCE_REQUEST_LAPSES',
      },
    ]);
    expect(pendingDeadlines(initialState, P)).toEqual([]);
    const closed = refundPending().then(
      cmd('ConfirmRefundPayout', platform, day(9), {
        payoutReference: 'po',
        amount: { amountMinor: 3000, currency: 'EUR' },
      }),
    );
    expect(pendingDeadlines(closed.state, P)).toEqual([]);
  });

  it('builds the idempotent timer command that fires a deadline', () => {
    const [deadline] = pendingDeadlines(opened().state, P);
    const command = fireDeadlineCommand(deadline, day(11));
    expect(command).toEqual({
      type: 'FireDeadline',
      data: { kind: 'SELLER_RESPONSE', dueAt: day(11), requestId: null },
      metadata: { actor: { id: 'deadline-scheduler', role: 'system' }, now: day(11) },
    });
    expect(fireDeadlineCommand(deadline, day(11), system).metadata.actor).toBe(system);
  });
});

describe('expected actions (what you must do, by when)', () => {
  it('awaiting the seller: the seller responds by the response deadline', () => {
    expect(expectedActions(opened().state, P)).toEqual([
      {
        role: 'seller',
        action: 'RESPOND_TO_DISPUTE',
        dueAt: day(11),
        ifMissed: 'BUYER_PROPOSAL_ACCEPTED',
      },
    ]);
    expect(nextActionFor(opened().state, 'buyer', P)).toBeNull();
  });

  it('negotiating: each party negotiates or answers the other proposal', () => {
    expect(expectedActions(countered().state, P).map((a) => [a.role, a.action, a.dueAt])).toEqual([
      ['buyer', 'ANSWER_PROPOSAL', day(22)],
      ['seller', 'ANSWER_PROPOSAL', day(22)],
    ]);
    const withdrawn = rejected().then(
      cmd('WithdrawProposal', buyer, day(8), { proposalId: 'p-buyer-1' }),
    );
    expect(expectedActions(withdrawn.state, P).map((a) => a.action)).toEqual([
      'NEGOTIATE',
      'NEGOTIATE',
    ]);
    expect(nextActionFor(rejected().state, 'buyer', P)?.action).toBe('NEGOTIATE');
    expect(nextActionFor(rejected().state, 'seller', P)?.action).toBe('ANSWER_PROPOSAL');
  });

  it('in mediation: take the case, then decide, but not while a party is asked for evidence; parties answer requests and the platform proposal', () => {
    expect(nextActionFor(taken().state, 'mediator', P)?.action).toBe('DECIDE');
    expect(nextActionFor(escalated().state, 'mediator', P)?.action).toBe('TAKE_CASE');
    expect(nextActionFor(escalated().state, 'senior_mediator', P)?.action).toBe('TAKE_CASE');
    const busy = taken()
      .then(
        cmd('RequestEvidence', mediator, day(10.5), {
          requestId: 'r-1',
          from: 'buyer',
          prompt: 'label',
        }),
      )
      .then(
        cmd('SubmitProposal', mediator, day(10.5), {
          proposalId: 'p-med',
          solution: { kind: 'RESEND' },
        }),
      )
      .then(cmd('AcceptProposal', seller, day(10.6), { proposalId: 'p-med' }));
    // The decider refuses a decision while the request is open (EVIDENCE_REQUEST_PENDING).
    expect(nextActionFor(busy.state, 'mediator', P)).toBeNull();
    expect(expectedActions(busy.state, P)).toEqual([
      {
        role: 'buyer',
        action: 'ANSWER_EVIDENCE_REQUEST',
        dueAt: day(13.5),
        ifMissed: 'EVIDENCE_REQUEST_LAPSES',
      },
      { role: 'buyer', action: 'ANSWER_PROPOSAL', dueAt: null, ifMissed: null },
    ]);
  });

  it('decided: each party that has not accepted accepts or appeals by the window end', () => {
    expect(expectedActions(decided().state, P)).toEqual([
      {
        role: 'buyer',
        action: 'ACCEPT_OR_APPEAL_DECISION',
        dueAt: day(21),
        ifMissed: 'DECISION_BECOMES_FINAL',
      },
      {
        role: 'seller',
        action: 'ACCEPT_OR_APPEAL_DECISION',
        dueAt: day(21),
        ifMissed: 'DECISION_BECOMES_FINAL',
      },
    ]);
    const one = decided().then(cmd('AcceptDecision', buyer, day(12), { decisionId: 'dec-1' }));
    expect(expectedActions(one.state, P).map((a) => a.role)).toEqual(['seller']);
  });

  it('in appeal: a senior takes and decides it', () => {
    expect(nextActionFor(appealed().state, 'senior_mediator', P)?.action).toBe('TAKE_APPEAL');
    expect(nextActionFor(appealTaken().state, 'senior_mediator', P)?.action).toBe('DECIDE_APPEAL');
    expect(nextActionFor(appealTaken().state, 'mediator', P)).toBeNull();
  });

  it('in appeal: a mediator’s proposal left from the mediation is nobody’s to answer (nothing is accepted in an appeal)', () => {
    const appealedOverProposal = taken()
      .then(
        cmd('SubmitProposal', mediator, day(10.5), {
          proposalId: 'p-med',
          solution: { kind: 'PARTIAL_REFUND', amount: eur(2000) },
        }),
      )
      .then(
        cmd('DecideDispute', mediator, day(11), {
          decisionId: 'dec-1',
          ruling: { kind: 'SELLER_FAVOUR' },
          rationale: 'No damage shown',
        }),
      )
      .then(
        cmd('AppealDecision', buyer, day(12), {
          appealId: 'appeal-1',
          decisionId: 'dec-1',
          newInformation: 'Courier report attached',
        }),
      );
    expect(appealedOverProposal.state.status).toBe('IN_APPEAL');
    expect(nextActionFor(appealedOverProposal.state, 'buyer', P)).toBeNull();
    expect(nextActionFor(appealedOverProposal.state, 'seller', P)).toBeNull();
    given(appealedOverProposal)
      .when(cmd('AcceptProposal', seller, day(12.5), { proposalId: 'p-med' }))
      .thenFails('DISPUTE_NOT_IN_NEGOTIATION');
  });

  it('return and refund steps', () => {
    expect(nextActionFor(returnRequested().state, 'seller', P)).toEqual({
      role: 'seller',
      action: 'PROVIDE_RETURN_ADDRESS',
      dueAt: day(13),
      ifMissed: 'REFUND_WITHOUT_RETURN',
    });
    expect(nextActionFor(returnAddressGiven().state, 'buyer', P)?.action).toBe('SHIP_RETURN');
    // In transit: the platform records delivery by RETURN_DELIVERY (else mediation), or the
    // seller confirms arrival.
    const inTransit = { dueAt: day(30), ifMissed: 'ESCALATED_TO_MEDIATION' };
    expect(expectedActions(returnShipped().state, P)).toEqual([
      { role: 'seller', action: 'CONFIRM_RETURN_RECEIVED', ...inTransit },
      { role: 'platform', action: 'RECORD_RETURN_DELIVERY', ...inTransit },
    ]);
    expect(nextActionFor(returnShipped().state, 'buyer', P)).toBeNull();
    // Delivered: the seller's receipt deadline runs, the platform has nothing left to record.
    expect(expectedActions(returnDelivered().state, P)).toEqual([
      {
        role: 'seller',
        action: 'CONFIRM_RETURN_RECEIVED',
        dueAt: day(22),
        ifMissed: 'REFUND_RELEASED',
      },
    ]);
    expect(nextActionFor(returnDelivered().state, 'platform', P)).toBeNull();
    expect(nextActionFor(refundPending().state, 'platform', P)?.action).toBe(
      'CONFIRM_REFUND_PAYOUT',
    );
  });

  it('nothing once closed, cancelled or before opening', () => {
    const cancelled = countered().then(cmd('CancelDispute', buyer, day(8), { comment: '' }));
    expect(expectedActions(cancelled.state, P)).toEqual([]);
    const closed = countered()
      .then(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .then(
        cmd('ConfirmRefundPayout', platform, day(9), {
          payoutReference: 'po',
          amount: { amountMinor: 3000, currency: 'EUR' },
        }),
      );
    expect(expectedActions(closed.state, P)).toEqual([]);
    expect(expectedActions(initialState, P)).toEqual([]);
  });
});

describe('the resolution as the dispute ended (for views)', () => {
  const fireShipment = cmd('FireDeadline', system, day(19), {
    kind: 'RETURN_SHIPMENT',
    dueAt: day(19),
    requestId: null,
  });

  it('no return shipped in time: seller favour, nothing refunded, whatever was agreed', () => {
    const closed = returnAddressGiven().then(fireShipment).state as Dispute;
    expect(closed.resolution).toMatchObject({ refundAmount: { amountMinor: 6000 } });
    expect(resolutionAsClosed(closed)).toEqual({
      ruling: { kind: 'SELLER_FAVOUR' },
      outcome: 'SELLER_FAVOUR',
      reachedBy: 'RETURN_TIMEOUT',
      refundAmount: null,
      returnRequired: true,
      returnShippingPaidBy: 'seller',
    });
  });

  it('otherwise the resolution as reached: before closing, closed as agreed, or none', () => {
    const pending = returnAddressGiven().state as Dispute;
    expect(resolutionAsClosed(pending)).toBe(pending.resolution);
    const paid = refundPending().then(
      cmd('ConfirmRefundPayout', platform, day(12), {
        payoutReference: 'po-1',
        amount: { amountMinor: 3000, currency: 'EUR' },
      }),
    ).state as Dispute;
    expect(paid.status).toBe('CLOSED');
    expect(resolutionAsClosed(paid)).toBe(paid.resolution);
    expect(resolutionAsClosed(opened().state as Dispute)).toBeNull();
  });
});

describe('visibility', () => {
  const story = taken()
    .then(cmd('AddInternalNote', mediator, day(10.2), { noteId: 'n-1', note: 'Suspicious buyer' }))
    .then(cmd('PostMessage', mediator, day(10.3), { messageId: 'm-1', body: 'Please send photos' }))
    .then(
      cmd('AddEvidence', buyer, day(10.4), {
        evidenceId: 'e-1',
        kind: 'TEXT',
        content: { text: 'My address is 5 Elm' },
        description: 'note',
      }),
    )
    .then(cmd('TakeCase', senior, day(10.5), {}));
  const events = story.events;

  it('staff and the system see everything', () => {
    expect(visibleEventsFor('mediator', events)).toEqual(events);
    expect(visibleEventsFor('senior_mediator', events)).toEqual(events);
    expect(visibleEventsFor('system', events)).toEqual(events);
  });

  it('parties never see internal notes, nor the ids of staff', () => {
    for (const role of ['buyer', 'seller', 'platform'] as const) {
      const seen = visibleEventsFor(role, events);
      expect(seen.map((e) => e.type)).not.toContain('InternalNoteAdded');
      expect(JSON.stringify(seen)).not.toContain('Suspicious buyer');
      expect(JSON.stringify(seen)).not.toContain(mediator.id);
      expect(JSON.stringify(seen)).not.toContain(senior.id);
    }
    const message = events.find((e) => e.type === 'MessagePosted') as DisputeEvent;
    expect(visibleEventFor('buyer', message)?.data).toMatchObject({
      body: 'Please send photos',
      by: { id: REDACTED, role: 'mediator' },
    });
    const evidence = events.find((e) => e.type === 'EvidenceAdded') as DisputeEvent;
    expect(visibleEventFor('seller', evidence)).toBe(evidence);
  });

  it('analysts see no notes and no personal free text', () => {
    const seen = visibleEventsFor('analyst', events);
    expect(seen.map((e) => e.type)).not.toContain('InternalNoteAdded');
    const text = JSON.stringify(seen);
    for (const secret of ['Suspicious buyer', 'Please send photos', '5 Elm', 'The colour is wrong'])
      expect(text).not.toContain(secret);
    const evidence = seen.find((e) => e.type === 'EvidenceAdded');
    expect(evidence?.data).toMatchObject({ content: { text: REDACTED }, kind: 'TEXT' });
    const address = returnAddressGiven().events.find(
      (e) => e.type === 'ReturnAddressProvided',
    ) as DisputeEvent;
    expect(visibleEventFor('analyst', address)?.data).toMatchObject({
      address: { name: REDACTED, lines: [REDACTED], postalCode: REDACTED, country: REDACTED },
    });
    const photo = countered()
      .then(
        cmd('AddEvidence', buyer, day(8), {
          evidenceId: 'e-2',
          kind: 'PHOTO',
          content: { file: { sha256: 'a'.repeat(64), mediaType: 'image/png', sizeBytes: 1 } },
          description: 'x',
        }),
      )
      .events.at(-1) as DisputeEvent;
    // A file's fingerprint could find the photo elsewhere: withheld; its kind and size are not.
    expect(visibleEventFor('analyst', photo)?.data).toMatchObject({
      content: { file: { sha256: REDACTED, mediaType: 'image/png', sizeBytes: 1 } },
    });
    const escalation = escalated().events.at(-1) as DisputeEvent;
    expect(visibleEventFor('analyst', escalation)).toEqual(escalation);
  });

  it('the platform sees order facts, statuses, outcomes and refunds, not the conversation', () => {
    const seen = visibleEventsFor('platform', events);
    expect(seen.map((e) => e.type)).not.toContain('InternalNoteAdded');
    const text = JSON.stringify(seen);
    for (const secret of [
      'Please send photos',
      '5 Elm',
      'The colour is wrong',
      'I can refund part',
    ])
      expect(text).not.toContain(secret);
    const opening = seen.find((e) => e.type === 'DisputeOpened');
    // The order's parties are the marketplace's own facts: kept, unlike for analysts.
    expect(opening?.data).toMatchObject({
      description: REDACTED,
      orderId: 'order-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      reason: 'NOT_AS_DESCRIBED',
    });
    const message = seen.find((e) => e.type === 'MessagePosted');
    expect(message?.data).toMatchObject({ body: REDACTED, by: { id: REDACTED, role: 'mediator' } });
    const address = returnAddressGiven().events.find(
      (e) => e.type === 'ReturnAddressProvided',
    ) as DisputeEvent;
    expect(visibleEventFor('platform', address)?.data).toMatchObject({
      address: { name: REDACTED, lines: [REDACTED], postalCode: REDACTED, country: REDACTED },
    });
    // Statuses, amounts, outcomes and deadlines stay as recorded.
    const settlement = refundPending().events.slice(-2);
    expect(settlement.map((e) => e.type)).toEqual(['ProposalAccepted', 'DisputeResolved']);
    expect(visibleEventsFor('platform', settlement)).toEqual(settlement);
  });

  it('a party sees only disputes of its own orders', () => {
    const state = opened().state;
    expect(canViewDispute(buyer, state)).toBe(true);
    expect(canViewDispute(seller, state)).toBe(true);
    expect(canViewDispute(otherBuyer, state)).toBe(false);
    expect(canViewDispute(otherSeller, state)).toBe(false);
    expect(canViewDispute(mediator, state)).toBe(true);
    expect(canViewDispute(analyst, state)).toBe(true);
    expect(canViewDispute(buyer, initialState)).toBe(false);
  });
});

describe('evolve', () => {
  it('folds the accepted response, a settlement without refund and a final decision', () => {
    const accepted = opened().then(
      cmd('RespondToDispute', seller, day(7), {
        response: 'ACCEPT',
        comment: '',
        proposalId: 'p-buyer-1',
      }),
    );
    expect(accepted.state).toMatchObject({
      status: 'REFUND_PENDING',
      refundDue: { amountMinor: 10_000 },
      deadline: null,
    });
    const resend = countered(undefined, { kind: 'RESEND' }).then(
      cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }),
    );
    expect(resend.state).toMatchObject({
      status: 'REPLACEMENT_AWAITING_SHIPMENT',
      resolution: { outcome: 'RESEND', reachedBy: 'AGREEMENT', refundAmount: null },
      refunded: null,
    });
    const final = taken(definePolicy({ maxAppeals: 0 })).then(
      cmd('DecideDispute', mediator, day(11), {
        decisionId: 'dec-1',
        ruling: { kind: 'SELLER_FAVOUR' },
        rationale: 'r',
      }),
    );
    expect(final.state).toMatchObject({
      status: 'CLOSED',
      outcome: 'SELLER_FAVOUR',
      reachedBy: 'MEDIATION',
    });
  });

  it('answers and lapses only the evidence request concerned', () => {
    const asked = taken()
      .then(
        cmd('RequestEvidence', mediator, day(10.5), {
          requestId: 'r-1',
          from: 'buyer',
          prompt: 'label',
        }),
      )
      .then(
        cmd('RequestEvidence', mediator, day(10.5), {
          requestId: 'r-2',
          from: 'seller',
          prompt: 'invoice',
        }),
      )
      .then(
        cmd('AddEvidence', buyer, day(11), {
          evidenceId: 'e',
          kind: 'TEXT',
          content: { text: 'x' },
          description: '',
          answersRequestId: 'r-1',
        }),
      )
      .then(
        cmd('FireDeadline', system, day(14), {
          kind: 'EVIDENCE_REQUEST',
          dueAt: day(13.5),
          requestId: 'r-2',
        }),
      );
    expect(asked.state).toMatchObject({
      evidenceRequests: [
        { requestId: 'r-1', status: 'ANSWERED' },
        { requestId: 'r-2', status: 'LAPSED' },
      ],
    });
  });

  it('ignores events other than an opening on an empty stream, and unknown event types', () => {
    const stray = countered().events[1];
    expect(evolve(initialState, stray)).toBe(initialState);
    const state = opened().state;
    const unknown = { type: 'FromTheFuture', data: {} } as unknown as DisputeEvent;
    expect(evolve(state, unknown)).toEqual({ ...state, revision: state.revision + 1 });
  });

  it('tracks the stream revision for the handler expectedRevision', () => {
    expect(initialState.revision).toBe(-1);
    expect(replay(countered().events).revision).toBe(countered().events.length - 1);
  });
});
