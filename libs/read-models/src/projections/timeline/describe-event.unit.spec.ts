import type { DisputeEvent } from '@arbiter/disputes/read-side';
import { describeEvent } from './describe-event';

// What the issue measured: a message that, unquoted, reads like a resolution line on a new line,
// coloured green, with a right-to-left override left open after it.
const HOSTILE = 'ok"\n\u001b[32mDECIDED: FULL_REFUND to buyer\u202e';
const HOSTILE_QUOTED = '“ok\\" DECIDED: FULL_REFUND to buyer”';

const stamp = { disputeId: 'd-1', at: '2025-03-01T10:00:00.000Z' };
const buyer = { id: 'b-1', role: 'buyer' as const };
const seller = { id: 's-1', role: 'seller' as const };
const mediator = { id: 'm-1', role: 'mediator' as const };
const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

/** One event of each type that carries text a person typed, with `text` in every such field. */
function eventsWithText(text: string): DisputeEvent[] {
  const events: unknown[] = [
    {
      type: 'DisputeOpened',
      data: {
        ...stamp,
        by: buyer,
        orderId: 'o-1',
        buyerId: 'b-1',
        sellerId: 's-1',
        reason: 'DAMAGED',
        description: text,
        proposalId: 'p-1',
        claim: { kind: 'FULL_REFUND' },
        orderTotal: eur(5000),
        refundedBefore: eur(0),
        deliveryConfirmed: true,
        reopenOf: null,
        sellerResponseDueAt: '2025-03-04T10:00:00.000Z',
      },
    },
    {
      type: 'SellerResponded',
      data: { ...stamp, by: seller, response: 'REJECTED', comment: text, negotiationDueAt: null },
    },
    {
      type: 'EvidenceAdded',
      data: {
        ...stamp,
        by: buyer,
        evidenceId: 'e-1',
        submittedBy: 'buyer',
        kind: 'TEXT',
        content: { text },
        description: text,
        answersRequestId: 'r-1',
      },
    },
    { type: 'MessagePosted', data: { ...stamp, by: buyer, messageId: 'm-1', body: text } },
    {
      type: 'DisputeCancelled',
      data: {
        ...stamp,
        by: buyer,
        orderId: 'o-1',
        buyerId: 'b-1',
        sellerId: 's-1',
        outcome: 'CANCELLED_BY_BUYER',
        reachedBy: 'BUYER_CANCEL',
        comment: text,
      },
    },
    {
      type: 'EvidenceRequested',
      data: {
        ...stamp,
        by: mediator,
        requestId: 'r-1',
        from: 'seller',
        partyId: 's-1',
        prompt: text,
        dueAt: '2025-03-05T10:00:00.000Z',
      },
    },
    { type: 'InternalNoteAdded', data: { ...stamp, by: mediator, noteId: 'n-1', note: text } },
    {
      type: 'DisputeDecided',
      data: {
        ...stamp,
        by: mediator,
        decisionId: 'x-1',
        stage: 'MEDIATION',
        ruling: { kind: 'SELLER_FAVOUR' },
        rationale: text,
        final: false,
        appealDueAt: '2025-03-08T10:00:00.000Z',
      },
    },
    {
      type: 'DecisionAppealed',
      data: {
        ...stamp,
        by: buyer,
        appealId: 'a-1',
        decisionId: 'x-1',
        appellant: 'buyer',
        newInformation: text,
        appealNumber: 1,
      },
    },
    {
      type: 'ReturnShipped',
      data: { ...stamp, by: buyer, carrier: text, trackingNumber: text },
    },
    { type: 'ReturnConditionDisputed', data: { ...stamp, by: seller, statement: text } },
    {
      type: 'ReplacementShipped',
      data: { ...stamp, by: seller, carrier: text, trackingNumber: text, complaintDueAt: stamp.at },
    },
    { type: 'ReplacementProblemReported', data: { ...stamp, by: buyer, statement: text } },
  ];
  return events as DisputeEvent[];
}

// Quotations as quoteText writes them: “, then escaped or ordinary characters, then ”.
const QUOTATION = /“(?:\\.|[^\\”])*”/gu;

describe('describeEvent: a timeline entry built from hostile text', () => {
  it('quotes a hostile message as one inert line', () => {
    const [message] = eventsWithText(HOSTILE).filter((event) => event.type === 'MessagePosted');
    expect(describeEvent(message)).toBe(`The buyer wrote: ${HOSTILE_QUOTED}.`);
  });

  it.each(eventsWithText(HOSTILE).map((event) => [event.type, event] as const))(
    '%s: one line, no controls, and the words outside the quotes are the structured ones',
    (_type, event) => {
      const summary = describeEvent(event);
      expect(summary).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
      expect(summary).toContain(HOSTILE_QUOTED);
      // With every quotation blanked, the summary reads exactly as it does for harmless text:
      // nothing the person typed made it outside the quotes.
      const benign = eventsWithText('fine').find((other) => other.type === event.type);
      const blank = (text: string) => text.replace(QUOTATION, '“…”');
      expect(blank(summary)).toBe(blank(describeEvent(benign as DisputeEvent)));
      expect(blank(summary)).not.toMatch(/DECIDED|FULL_REFUND|\[32m/);
    },
  );

  it('keeps the structured words of a summary unchanged', () => {
    const texts = eventsWithText('Item arrived broken').map((event) => describeEvent(event));
    expect(texts).toContain(
      'The buyer opened a dispute (damaged), asking for a full refund: “Item arrived broken”.',
    );
    expect(texts).toContain(
      'The buyer shipped the return with “Item arrived broken” (tracking “Item arrived broken”).',
    );
    expect(texts).toContain(
      "A mediator decided: in the seller's favour, open to appeal until 2025-03-08. “Item arrived broken”.",
    );
  });

  it('tells a replacement’s follow-through: the ship deadline, the shipment, the answer', () => {
    const at = '2025-03-01T10:00:00.000Z';
    const base = { disputeId: 'd-1', at };
    const summaries = [
      {
        type: 'ReplacementRequested',
        data: { ...base, by: buyer, kind: 'RESEND', shipDueAt: '2025-03-06T10:00:00.000Z' },
      },
      {
        type: 'ReplacementRequested',
        data: { ...base, by: buyer, kind: 'REPLACEMENT', shipDueAt: '2025-03-06T10:00:00.000Z' },
      },
      { type: 'ReplacementReceived', data: { ...base, by: buyer } },
      ...eventsWithText('Never came').filter((e) => e.type.startsWith('Replacement')),
    ].map((event) => describeEvent(event as DisputeEvent));
    expect(summaries).toEqual([
      'The seller must ship the item again by 2025-03-06, or the buyer is refunded in full.',
      'The seller must ship a replacement by 2025-03-06, or the buyer is refunded in full.',
      'The buyer confirmed the replacement arrived.',
      `The seller shipped the replacement with “Never came” (tracking “Never came”); the buyer may report a problem until ${at.slice(0, 10)}.`,
      'The buyer reported a problem with the replacement: “Never came”.',
    ]);
  });

  it('bounds a long text', () => {
    const [message] = eventsWithText('word '.repeat(1000)).filter(
      (event) => event.type === 'MessagePosted',
    );
    const summary = describeEvent(message);
    expect(summary.length).toBeLessThan(250);
    expect(summary).toMatch(/…”\.$/);
  });
});

describe('describeEvent: amounts in their currency’s minor units (ISO 4217)', () => {
  const released = (amountMinor: number, currency: string) =>
    ({
      type: 'RefundReleased',
      data: { ...stamp, by: seller, amount: { amountMinor, currency }, cause: 'RETURN_RECEIVED' },
    }) as DisputeEvent;

  it('shows yen without decimals, dinars with three and euros with two', () => {
    expect(describeEvent(released(1500, 'JPY'))).toBe(
      'A refund of 1500 JPY was released (return received).',
    );
    expect(describeEvent(released(1500, 'KWD'))).toBe(
      'A refund of 1.500 KWD was released (return received).',
    );
    expect(describeEvent(released(1500, 'EUR'))).toBe(
      'A refund of 15.00 EUR was released (return received).',
    );
  });

  it('tells that the seller marked the refund sent', () => {
    const marked = {
      type: 'RefundMarkedSent',
      data: {
        ...stamp,
        by: seller,
        amount: { amountMinor: 1500, currency: 'JPY' },
        reference: 'x',
      },
    } as DisputeEvent;
    expect(describeEvent(marked)).toBe('The seller marked the refund of 1500 JPY as sent.');
  });
});

describe('describeEvent: speaking to its reader', () => {
  const theBuyer = { role: 'buyer' as const, id: 'b-1' };
  const theSeller = { role: 'seller' as const, id: 's-1' };
  const theMediator = { role: 'mediator' as const, id: 'm-1' };
  const otherMediator = { role: 'mediator' as const, id: 'm-2' };
  const anAnalyst = { role: 'analyst' as const, id: 'a-1' };
  const event = (type: string, data: object) =>
    ({ type, data: { ...stamp, ...data } }) as DisputeEvent;
  const opened = eventsWithText('Broken').find((e) => e.type === 'DisputeOpened') as DisputeEvent;
  const proposed = event('ProposalSubmitted', {
    by: seller,
    proposalId: 'p-2',
    proposer: 'seller',
    solution: { kind: 'PARTIAL_REFUND', amount: eur(3000) },
    replaces: null,
  });

  it('says "you" to the party who acted and names the other party', () => {
    expect(describeEvent(opened, theBuyer)).toBe(
      'You opened a dispute (damaged), asking for a full refund: “Broken”.',
    );
    expect(describeEvent(opened, theSeller)).toBe(
      'The buyer opened a dispute (damaged), asking for a full refund: “Broken”.',
    );
    expect(describeEvent(proposed, theBuyer)).toBe(
      'The seller proposed a partial refund of 30.00 EUR.',
    );
    expect(describeEvent(proposed, theSeller)).toBe('You proposed a partial refund of 30.00 EUR.');
  });

  it('speaks of staff actions in the third person, and to the mediator who acted as "you"', () => {
    const taken = event('CaseTaken', { by: mediator, previousMediatorId: null });
    expect(describeEvent(taken, theBuyer)).toBe('A mediator took the case.');
    expect(describeEvent(taken, otherMediator)).toBe('A mediator took the case.');
    expect(describeEvent(taken, theMediator)).toBe('You took the case.');
    // A proposal is a role's: another mediator's withdrawal is not "your proposal" to this one.
    const withdrawn = event('ProposalWithdrawn', {
      by: mediator,
      proposalId: 'p-7',
      proposer: 'mediator',
    });
    expect(describeEvent(withdrawn, otherMediator)).toBe(
      "A mediator withdrew the mediator's proposal.",
    );
    expect(describeEvent(withdrawn, theMediator)).toBe("You withdrew the mediator's proposal.");
    // Staff read the parties in the third person.
    expect(describeEvent(opened, theMediator)).toMatch(/^The buyer opened a dispute/);
    expect(describeEvent(proposed, theMediator)).toMatch(/^The seller proposed/);
  });

  it('needs the same id, not only the role: a party id in another role is not the reader', () => {
    expect(describeEvent(opened, { role: 'seller', id: 'b-1' })).toMatch(/^The buyer opened/);
    expect(describeEvent(opened, { role: 'buyer', id: 'b-9' })).toMatch(/^The buyer opened/);
  });

  it('keeps analysts (and readers left unnamed) in the third person', () => {
    for (const reader of [anAnalyst, null]) {
      expect(describeEvent(opened, reader)).toMatch(/^The buyer opened/);
      expect(describeEvent(proposed, reader)).toMatch(/^The seller proposed/);
    }
  });

  it('names the reader’s side as "you" where a sentence speaks of a party', () => {
    const cases: [DisputeEvent, string, string][] = [
      [
        event('ProposalWithdrawn', { by: seller, proposalId: 'p-2', proposer: 'seller' }),
        'You withdrew your proposal.',
        'The seller withdrew their proposal.',
      ],
      [
        event('ProposalAccepted', {
          by: { id: 'system', role: 'system' },
          proposalId: 'p-2',
          proposer: 'seller',
          acceptedBy: 'buyer',
          onBehalf: true,
        }),
        "Your proposal was accepted on the buyer's behalf: no response in time.",
        "The seller's proposal was accepted on your behalf: no response in time.",
      ],
      [
        event('ProposalAccepted', {
          by: buyer,
          proposalId: 'p-3',
          proposer: 'mediator',
          acceptedBy: 'buyer',
          onBehalf: false,
        }),
        "The buyer accepted the mediator's proposal.",
        "You accepted the mediator's proposal.",
      ],
      [
        event('DisputeEscalated', { by: seller, trigger: 'SELLER' }),
        'The dispute was escalated to mediation at your request.',
        'The dispute was escalated to mediation at the seller’s request.',
      ],
      [
        event('DisputeEscalated', { by: buyer, trigger: 'BUYER' }),
        'The dispute was escalated to mediation at the buyer’s request.',
        'The dispute was escalated to mediation at your request.',
      ],
      [
        event('DisputeEscalated', {
          by: { id: 'system', role: 'system' },
          trigger: 'SELLER_SILENCE',
        }),
        'The dispute was escalated to mediation because you did not respond.',
        'The dispute was escalated to mediation because the seller did not respond.',
      ],
      [
        event('EvidenceRequested', {
          by: mediator,
          requestId: 'r-1',
          from: 'seller',
          partyId: 's-1',
          prompt: 'Photos',
          dueAt: '2025-03-05T10:00:00.000Z',
        }),
        'A mediator asked you for evidence by 2025-03-05: “Photos”.',
        'A mediator asked the seller for evidence by 2025-03-05: “Photos”.',
      ],
      [
        event('DisputeDecided', {
          by: mediator,
          decisionId: 'x-1',
          stage: 'APPEAL',
          ruling: { kind: 'SELLER_FAVOUR' },
          rationale: 'As shipped',
          final: true,
          appealDueAt: null,
        }),
        'A mediator decided the appeal: in your favour (final). “As shipped”.',
        "A mediator decided the appeal: in the seller's favour (final). “As shipped”.",
      ],
      [
        event('ProposalSubmitted', {
          by: buyer,
          proposalId: 'p-4',
          proposer: 'buyer',
          solution: {
            kind: 'RETURN_AND_REFUND',
            amount: eur(5000),
            returnShippingPaidBy: 'seller',
          },
          replaces: 'p-0',
        }),
        'The buyer proposed a return and refund of 50.00 EUR (return shipping paid by you), replacing an earlier proposal.',
        'You proposed a return and refund of 50.00 EUR (return shipping paid by the seller), replacing an earlier proposal.',
      ],
      [
        event('ReturnDelivered', {
          by: { id: 'system', role: 'system' },
          receiptDueAt: '2025-03-09T10:00:00.000Z',
        }),
        'The carrier delivered the return; you must confirm its arrival by 2025-03-09.',
        'The carrier delivered the return; the seller must confirm its arrival by 2025-03-09.',
      ],
      [
        event('ReplacementRequested', {
          by: buyer,
          kind: 'REPLACEMENT',
          shipDueAt: '2025-03-06T10:00:00.000Z',
        }),
        'You must ship a replacement by 2025-03-06, or the buyer is refunded in full.',
        'The seller must ship a replacement by 2025-03-06, or you are refunded in full.',
      ],
      [
        event('ReplacementShipped', {
          by: seller,
          carrier: 'DHL',
          trackingNumber: 'T-1',
          complaintDueAt: '2025-03-10T10:00:00.000Z',
        }),
        'You shipped the replacement with “DHL” (tracking “T-1”); the buyer may report a problem until 2025-03-10.',
        'The seller shipped the replacement with “DHL” (tracking “T-1”); you may report a problem until 2025-03-10.',
      ],
      [
        event('ProposalWithdrawn', { by: mediator, proposalId: 'p-5', proposer: 'mediator' }),
        "A mediator withdrew the mediator's proposal.",
        "A mediator withdrew the mediator's proposal.",
      ],
      [
        event('ProposalWithdrawn', { by: seller, proposalId: 'p-6', proposer: 'buyer' }),
        "You withdrew the buyer's proposal.",
        'The seller withdrew your proposal.',
      ],
    ];
    for (const [event, toSeller, toBuyer] of cases) {
      expect([describeEvent(event, theSeller), describeEvent(event, theBuyer)]).toEqual([
        toSeller,
        toBuyer,
      ]);
    }
  });
});
