import {
  analystFormOf,
  DISPUTE_EVENT_TYPES,
  ERASED,
  personalDataSubjectOf,
  type DisputeEvent,
  type DisputeEventType,
  MEDIATOR_ONLY_EVENT_TYPES,
  PERSONAL_DATA,
  REDACTED,
} from '../../src/domain';
import { eur } from '../../test-support/fixtures';

/**
 * One sample per event type, every personal value marked: free text contains SECRET, people's ids
 * start with `person-`. The mapped type makes this list total: a new event type does not compile
 * until it has a sample here, as PERSONAL_DATA does not until it is declared.
 */
type Samples = { [T in DisputeEventType]: Extract<DisputeEvent, { type: T }>['data'] };
const at = '2026-03-05T10:00:00.000Z';
const base = (by: DisputeEvent['data']['by']) => ({ disputeId: 'd-1', at, by });
const buyer = { id: 'person-buyer', role: 'buyer' as const };
const seller = { id: 'person-seller', role: 'seller' as const };
const mediator = { id: 'person-mediator', role: 'mediator' as const };
const system = { id: 'scheduler', role: 'system' as const };
const parties = { orderId: 'person-order', buyerId: 'person-buyer', sellerId: 'person-seller' };

const SAMPLES: Samples = {
  DisputeOpened: {
    ...base(buyer),
    ...parties,
    reason: 'DAMAGED',
    description: 'SECRET broken on arrival, call me at +44 20 7946 0000',
    proposalId: 'p-1',
    claim: { kind: 'FULL_REFUND' },
    orderTotal: eur(10_000),
    refundedBefore: eur(0),
    deliveryConfirmed: true,
    reopenOf: null,
    sellerResponseDueAt: at,
  },
  SellerResponded: {
    ...base(seller),
    response: 'COUNTERED',
    comment: 'SECRET seller comment',
    negotiationDueAt: at,
  },
  ProposalSubmitted: {
    ...base(seller),
    proposalId: 'p-2',
    proposer: 'seller',
    solution: { kind: 'PARTIAL_REFUND', amount: eur(3000) },
    replaces: null,
  },
  ProposalWithdrawn: { ...base(seller), proposalId: 'p-2', proposer: 'seller' },
  ProposalAccepted: {
    ...base(buyer),
    proposalId: 'p-2',
    proposer: 'seller',
    acceptedBy: 'buyer',
    onBehalf: false,
  },
  DisputeResolved: {
    ...base(mediator),
    ...parties,
    ruling: { kind: 'RETURN_AND_REFUND', amount: eur(5000), returnShippingPaidBy: 'seller' },
    outcome: 'BUYER_PARTIAL_REFUND',
    reachedBy: 'MEDIATION',
    refundAmount: eur(5000),
    returnRequired: true,
    returnShippingPaidBy: 'seller',
    returnAddressDueAt: at,
  },
  EvidenceAdded: {
    ...base(buyer),
    evidenceId: 'e-1',
    submittedBy: 'buyer',
    kind: 'PHOTO',
    content: { file: { sha256: 'SECRET-fingerprint', mediaType: 'image/png', sizeBytes: 1234 } },
    description: 'SECRET photo of the box',
    answersRequestId: 'r-1',
  },
  MessagePosted: { ...base(buyer), messageId: 'm-1', body: 'SECRET message body' },
  DisputeEscalated: { ...base(system), trigger: 'SELLER_SILENCE', sellerRejected: false },
  DisputeCancelled: {
    ...base(buyer),
    ...parties,
    outcome: 'CANCELLED_BY_BUYER',
    reachedBy: 'BUYER_CANCEL',
    comment: 'SECRET cancelling',
  },
  CaseTaken: { ...base(mediator), previousMediatorId: 'person-previous-mediator' },
  EvidenceRequested: {
    ...base(mediator),
    requestId: 'r-1',
    from: 'buyer',
    partyId: 'person-buyer',
    prompt: 'SECRET please send a photo',
    dueAt: at,
  },
  InternalNoteAdded: { ...base(mediator), noteId: 'n-1', note: 'SECRET internal note' },
  DisputeDecided: {
    ...base(mediator),
    decisionId: 'dec-1',
    stage: 'MEDIATION',
    ruling: { kind: 'SELLER_FAVOUR' },
    rationale: 'SECRET rationale',
    final: false,
    appealDueAt: at,
  },
  DecisionAccepted: { ...base(seller), decisionId: 'dec-1', acceptedBy: 'seller' },
  DecisionAppealed: {
    ...base(buyer),
    appealId: 'a-1',
    decisionId: 'dec-1',
    appellant: 'buyer',
    newInformation: 'SECRET new information',
    appealNumber: 1,
  },
  ReturnAddressProvided: {
    ...base(seller),
    address: {
      name: 'SECRET Jane Seller',
      lines: ['SECRET 1 High Street'],
      postalCode: 'SECRET-SW1',
      country: 'GB',
    },
    shipDueAt: at,
  },
  ReturnShipped: {
    ...base(buyer),
    carrier: 'DHL',
    trackingNumber: 'SECRET-TRACK-1',
    deliveryDueAt: at,
  },
  ReturnDelivered: { ...base(system), receiptDueAt: at },
  ReturnReceived: { ...base(seller) },
  ReturnConditionDisputed: { ...base(seller), statement: 'SECRET it came back broken' },
  ReplacementRequested: { ...base(buyer), kind: 'REPLACEMENT', shipDueAt: at },
  ReplacementShipped: {
    ...base(seller),
    carrier: 'DHL',
    trackingNumber: 'SECRET-TRACK-2',
    complaintDueAt: at,
  },
  ReplacementReceived: { ...base(buyer) },
  ReplacementProblemReported: { ...base(buyer), statement: 'SECRET it never came' },
  RefundReleased: { ...base(system), amount: eur(5000), cause: 'RETURN_RECEIVED' },
  RefundMarkedSent: {
    ...base(seller),
    amount: eur(5000),
    reference: 'SECRET-TRANSFER-7',
  },
  RefundPaidOut: {
    ...base({ id: 'person-platform', role: 'platform' }),
    orderId: 'person-order',
    amount: eur(5000),
    payoutReference: 'SECRET-PAYOUT-9',
  },
  DisputeClosed: {
    ...base(system),
    ...parties,
    outcome: 'BUYER_PARTIAL_REFUND',
    reachedBy: 'MEDIATION',
    refunded: eur(5000),
  },
  DeadlinePassed: { ...base(system), kind: 'EVIDENCE_REQUEST', dueAt: at, requestId: 'r-1' },
};

const sample = (type: DisputeEventType): DisputeEvent =>
  ({ type, data: SAMPLES[type] }) as DisputeEvent;

/** String fields that are not personal, whatever the event: ids of records, enums, instants. */
const NON_PERSONAL_STRING_FIELDS = new Set([
  'disputeId',
  'at',
  'by.role',
  'reason',
  'proposalId',
  'kind',
  'currency',
  'reopenOf',
  'sellerResponseDueAt',
  'response',
  'negotiationDueAt',
  'proposer',
  'replaces',
  'returnShippingPaidBy',
  'acceptedBy',
  'outcome',
  'reachedBy',
  'returnAddressDueAt',
  'evidenceId',
  'submittedBy',
  'mediaType',
  'answersRequestId',
  'messageId',
  'trigger',
  'requestId',
  'from',
  'dueAt',
  'noteId',
  'decisionId',
  'stage',
  'appealId',
  'appellant',
  'country',
  'shipDueAt',
  'carrier',
  'receiptDueAt',
  'deliveryDueAt',
  'cause',
  'appealDueAt',
  'complaintDueAt',
]);

/** Every string leaf of `value` with its dotted path (array indexes left out). */
function stringLeaves(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item) => stringLeaves(item, path));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, inner]) =>
      stringLeaves(inner, path ? `${path}.${key}` : key),
    );
  return [];
}

const declaredPaths = (type: DisputeEventType) => [
  ...PERSONAL_DATA[type].text,
  ...PERSONAL_DATA[type].identifiers,
  'by.id',
];
const pseudonym = (id: string) => `anon-${id.length}`;

describe('personal data declaration', () => {
  it.each(DISPUTE_EVENT_TYPES)('%s: declared, and each declared path exists', (type) => {
    const declaration = PERSONAL_DATA[type];
    expect(declaration).toBeDefined();
    // A declared path names a field of the event (`content` is either text or a file).
    for (const path of [...declaration.text, ...declaration.identifiers])
      expect(valueAt(SAMPLES[type], path.split('.')[0])).toBeDefined();
  });

  it.each(DISPUTE_EVENT_TYPES)(
    '%s: every string field is declared personal or known not to be',
    (type) => {
      const undeclared = stringLeaves(SAMPLES[type])
        .map(([path]) => path)
        .filter(
          (path) =>
            !declaredPaths(type).some(
              (declared) => path === declared || path.startsWith(`${declared}.`),
            ) &&
            !NON_PERSONAL_STRING_FIELDS.has(path.split('.').at(-1) as string) &&
            !NON_PERSONAL_STRING_FIELDS.has(path),
        );
      expect(undeclared).toEqual([]);
    },
  );

  it('has no declaration for a type the union lacks', () => {
    expect(Object.keys(PERSONAL_DATA).sort()).toEqual([...DISPUTE_EVENT_TYPES].sort());
  });
});

describe('the analyst form', () => {
  it.each(DISPUTE_EVENT_TYPES.filter((type) => !MEDIATOR_ONLY_EVENT_TYPES.includes(type)))(
    '%s: no personal text, no raw id of a person, everything else kept',
    (type) => {
      const event = sample(type);
      const form = analystFormOf(event, pseudonym);
      const json = JSON.stringify(form);
      expect(json).not.toContain('SECRET');
      expect(json).not.toContain('person-');
      for (const path of PERSONAL_DATA[type].text)
        if (valueAt(event.data, path) !== undefined)
          expect(valueAt(form?.data, path)).toBe(REDACTED);
      for (const path of PERSONAL_DATA[type].identifiers)
        expect(valueAt(form?.data, path)).toBe(pseudonym(valueAt(event.data, path) as string));
      // Everything not declared is as it was.
      const kept = stringLeaves(event.data).filter(
        ([path]) => !declaredPaths(type).some((d) => path === d || path.startsWith(`${d}.`)),
      );
      expect(stringLeaves(form?.data).filter(([path]) => kept.some(([p]) => p === path))).toEqual(
        kept,
      );
      expect(event.data).toEqual(SAMPLES[type]); // not mutated
    },
  );

  it('keeps amounts, reasons, times and the dispute id', () => {
    const form = analystFormOf(sample('DisputeOpened'), pseudonym);
    expect(form?.data).toMatchObject({
      disputeId: 'd-1',
      at,
      reason: 'DAMAGED',
      orderTotal: eur(10_000),
      claim: { kind: 'FULL_REFUND' },
    });
  });

  it('gives the same person the same pseudonym in every event, and leaves the system as it is', () => {
    const opened = analystFormOf(sample('DisputeOpened'), pseudonym);
    const message = analystFormOf(sample('MessagePosted'), pseudonym);
    expect(valueAt(opened?.data, 'buyerId')).toBe(message?.data.by.id);
    expect(analystFormOf(sample('DeadlinePassed'), pseudonym)?.data.by).toEqual(system);
  });

  it('never hands out a mediator-only event', () => {
    expect(analystFormOf(sample('InternalNoteAdded'), pseudonym)).toBeNull();
  });

  it('withholds a declared object whole, and a declared path under a scalar', () => {
    const address = analystFormOf(sample('ReturnAddressProvided'), pseudonym);
    expect(valueAt(address?.data, 'address')).toBe(REDACTED);
    const text = analystFormOf(
      { type: 'EvidenceAdded', data: { ...SAMPLES.EvidenceAdded, content: { text: 'SECRET' } } },
      pseudonym,
    );
    expect(text?.data.content).toEqual({ text: REDACTED });
    const odd = analystFormOf(
      {
        type: 'EvidenceAdded',
        data: { ...SAMPLES.EvidenceAdded, content: { file: 'SECRET' } },
      } as unknown as DisputeEvent,
      pseudonym,
    );
    expect(JSON.stringify(odd)).not.toContain('SECRET');
    const numericId = analystFormOf(
      {
        type: 'CaseTaken',
        data: { ...SAMPLES.CaseTaken, previousMediatorId: 7 },
      } as unknown as DisputeEvent,
      pseudonym,
    );
    expect(numericId?.data).toMatchObject({ previousMediatorId: REDACTED });
  });
});

function valueAt(data: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);
}

describe('personalDataSubjectOf (whose personal fields an event stores encrypted)', () => {
  it('is the writer of declared text: a party or staff member, with the declared paths', () => {
    expect(personalDataSubjectOf({ type: 'DisputeOpened', data: SAMPLES.DisputeOpened })).toEqual({
      subject: 'person-buyer',
      paths: PERSONAL_DATA.DisputeOpened.text,
    });
    expect(
      personalDataSubjectOf({ type: 'DisputeDecided', data: SAMPLES.DisputeDecided })?.subject,
    ).toBe(SAMPLES.DisputeDecided.by.id);
  });

  it('is nobody for the system and the platform, events without personal text, and unknown shapes', () => {
    const platform = { id: 'marketplace', role: 'platform' };
    expect(
      personalDataSubjectOf({
        type: 'MessagePosted',
        data: { ...SAMPLES.MessagePosted, by: system },
      }),
    ).toBeUndefined();
    expect(
      personalDataSubjectOf({
        type: 'RefundPaidOut',
        data: { ...SAMPLES.RefundPaidOut, by: platform },
      }),
    ).toBeUndefined();
    expect(
      personalDataSubjectOf({ type: 'ProposalSubmitted', data: SAMPLES.ProposalSubmitted }),
    ).toBeUndefined();
    expect(personalDataSubjectOf({ type: 'OrderPlaced', data: { by: buyer } })).toBeUndefined();
    expect(personalDataSubjectOf({ type: 'MessagePosted', data: null })).toBeUndefined();
    expect(ERASED).not.toBe(REDACTED);
  });
});
