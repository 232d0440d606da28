import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  decodeEventCursor,
  DISPUTE_STREAM_PREFIX,
  encodeEventCursor,
  type FeedEvent,
  Pseudonyms,
  toFeedEvent,
} from '@arbiter/analytics';
import {
  DISPUTE_EVENT_TYPES,
  type DisputeEvent,
  type DisputeEventType,
  disputeStreamId,
  PERSONAL_DATA,
} from '@arbiter/disputes';
import { EVENT_STORE, type EventStore, type EventToAppend } from '@arbiter/event-store';
import { caller, type Caller, type DisputeResult, eur, ok } from './disputes-helpers';
import { graphql } from './support/clients';
import {
  type Database,
  describeOnAllStores,
  type RunningGateway,
  startGateway,
  TEST_PSEUDONYM_KEY,
} from './support/gateway';

// The analytics event feed over GraphQL: `disputeEvents` (graphql-ws) and `disputeEventsPage`,
// on a real gateway, with what the socket carried read as raw JSON text.

interface WireEvent {
  cursor: string;
  id: string;
  type: DisputeEventType;
  schemaVersion: number;
  disputeId: string;
  revision: number;
  recordedAt: string;
  actorRole: string;
  data: Record<string, unknown>;
}
interface WireError {
  message: string;
  path?: string[];
  extensions?: { code?: string; resumeAfter?: string | null; fields?: { path: string }[] };
}

const EVENT_FIELDS = 'cursor id type schemaVersion disputeId revision recordedAt actorRole data';
const SUBSCRIPTION = `subscription Feed($after: String, $filter: DisputeEventFilter) {
  disputeEvents(after: $after, filter: $filter) { ${EVENT_FIELDS} }
}`;
const PAGE = `query Page($after: String, $first: Int, $filter: DisputeEventFilter) {
  disputeEventsPage(after: $after, first: $first, filter: $filter) {
    events { ${EVENT_FIELDS} } endCursor hasNextPage
  }
}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A graphql-ws WebSocket that also keeps every message's raw text, as the socket carried it. */
function recordingWebSocket(raw: string[]): typeof WebSocket {
  return class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('message', (data) => raw.push(String(data)));
    }
  } as typeof WebSocket;
}

/** One `disputeEvents` operation over a real graphql-ws client, recording what arrives. */
interface FeedSession {
  events: WireEvent[];
  errors: WireError[];
  /** Every message of the connection, as raw JSON text. */
  raw: string[];
  completed: boolean;
  close(): Promise<void>;
}

function subscribeFeed(
  wsUrl: string,
  who: Caller,
  variables: Record<string, unknown> = {},
): FeedSession {
  const raw: string[] = [];
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: recordingWebSocket(raw),
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${who.token}` },
  });
  const session: FeedSession = {
    events: [],
    errors: [],
    raw,
    completed: false,
    async close() {
      stop();
      await client.dispose();
    },
  };
  const stop = client.subscribe<{ disputeEvents: WireEvent }>(
    { query: SUBSCRIPTION, variables },
    {
      next: (result) => {
        if (result.data?.disputeEvents) session.events.push(result.data.disputeEvents);
        if (result.errors) session.errors.push(...(result.errors as WireError[]));
      },
      error: (error) =>
        session.errors.push(
          ...(Array.isArray(error) ? error : [{ message: String((error as Error)?.message) }]),
        ),
      complete: () => (session.completed = true),
    },
  );
  return session;
}

async function page(
  url: string,
  who: Caller,
  variables: Record<string, unknown>,
): Promise<{
  data?: {
    disputeEventsPage: { events: WireEvent[]; endCursor: string | null; hasNextPage: boolean };
  } | null;
  errors?: WireError[];
  text: string;
}> {
  const response = await graphql(url, PAGE, { token: who.token, variables });
  const body = response.body as { data?: never; errors?: WireError[] };
  return { ...body, text: JSON.stringify(body) };
}

/** The log after `after` as `who` reads it, paging to its end; and the cursor at its end. */
async function readLog(
  url: string,
  who: Caller,
  after: string | null,
  filter?: Record<string, unknown>,
): Promise<{ events: WireEvent[]; endCursor: string | null; text: string }> {
  const events: WireEvent[] = [];
  let cursor = after;
  let text = '';
  for (;;) {
    const answer = await page(url, who, { after: cursor, first: 1000, filter });
    const result = answer.data?.disputeEventsPage;
    if (!result) throw new Error(`disputeEventsPage failed: ${JSON.stringify(answer.errors)}`);
    events.push(...result.events);
    text += answer.text;
    cursor = result.endCursor ?? cursor;
    if (!result.hasNextPage) return { events, endCursor: cursor, text };
  }
}

/** A metric's value in a Prometheus text exposition (0 when absent). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function startFeedGateway(
  database: Database,
  settings: Record<string, string> = {},
): Promise<RunningGateway> {
  return startGateway(
    {
      WORKERS: 'off',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
      ...settings,
    },
    database,
  );
}

type DataOf<T extends DisputeEventType> = Extract<DisputeEvent, { type: T }>['data'];

/**
 * A well-formed event of every type for one dispute, its personal text marked with `secret`:
 * appended straight to the store for the types the mutations below do not reach.
 */
function sampleEvents(
  c: {
    disputeId: string;
    orderId: string;
    buyer: string;
    seller: string;
    mediator: string;
    senior: string;
  },
  secret: (field: string) => string,
): { [T in DisputeEventType]: DataOf<T> } {
  const at = new Date().toISOString();
  const base = (id: string, role: 'buyer' | 'seller' | 'mediator' | 'platform' | 'system') => ({
    disputeId: c.disputeId,
    at,
    by: { id, role },
  });
  const [buyer, seller, mediator] = [
    base(c.buyer, 'buyer'),
    base(c.seller, 'seller'),
    base(c.mediator, 'mediator'),
  ];
  const [platform, system] = [base('marketplace', 'platform'), base('system', 'system')];
  const parties = { orderId: c.orderId, buyerId: c.buyer, sellerId: c.seller };
  const money = eur(10_000);
  const proposalId = randomUUID();
  const decisionId = randomUUID();
  return {
    DisputeOpened: {
      ...buyer,
      ...parties,
      reason: 'DAMAGED',
      description: secret('opened-description'),
      proposalId: randomUUID(),
      claim: { kind: 'FULL_REFUND' },
      orderTotal: money,
      refundedBefore: eur(0),
      deliveryConfirmed: true,
      reopenOf: null,
      sellerResponseDueAt: at,
    },
    SellerResponded: {
      ...seller,
      response: 'REJECTED',
      comment: secret('responded-comment'),
      negotiationDueAt: at,
    },
    ProposalSubmitted: {
      ...seller,
      proposalId,
      proposer: 'seller',
      solution: { kind: 'PARTIAL_REFUND', amount: eur(2_000) },
      replaces: null,
    },
    ProposalWithdrawn: { ...seller, proposalId, proposer: 'seller' },
    ProposalAccepted: {
      ...buyer,
      proposalId,
      proposer: 'seller',
      acceptedBy: 'buyer',
      onBehalf: false,
    },
    DisputeResolved: {
      ...buyer,
      ...parties,
      ruling: { kind: 'FULL_REFUND' },
      outcome: 'BUYER_FULL_REFUND',
      reachedBy: 'AGREEMENT',
      refundAmount: money,
      returnRequired: false,
      returnShippingPaidBy: null,
      returnAddressDueAt: null,
    },
    EvidenceAdded: {
      ...buyer,
      evidenceId: randomUUID(),
      submittedBy: 'buyer',
      kind: 'TEXT',
      content: { text: secret('evidence-text') },
      description: secret('evidence-description'),
      answersRequestId: null,
    },
    MessagePosted: { ...buyer, messageId: randomUUID(), body: secret('message-body') },
    DisputeEscalated: { ...buyer, trigger: 'BUYER', sellerRejected: true },
    DisputeCancelled: {
      ...buyer,
      ...parties,
      outcome: 'CANCELLED_BY_BUYER',
      reachedBy: 'BUYER_CANCEL',
      comment: secret('cancel-comment'),
    },
    CaseTaken: { ...mediator, previousMediatorId: c.senior },
    EvidenceRequested: {
      ...mediator,
      requestId: randomUUID(),
      from: 'seller',
      partyId: c.seller,
      prompt: secret('request-prompt'),
      dueAt: at,
    },
    InternalNoteAdded: { ...mediator, noteId: randomUUID(), note: secret('internal-note') },
    DisputeDecided: {
      ...mediator,
      decisionId,
      stage: 'MEDIATION',
      ruling: { kind: 'FULL_REFUND' },
      rationale: secret('decision-rationale'),
      final: false,
      appealDueAt: at,
    },
    DecisionAccepted: { ...seller, decisionId, acceptedBy: 'seller' },
    DecisionAppealed: {
      ...buyer,
      appealId: randomUUID(),
      decisionId,
      appellant: 'buyer',
      newInformation: secret('appeal-information'),
      appealNumber: 1,
    },
    ReturnAddressProvided: {
      ...seller,
      address: {
        name: secret('address-name'),
        lines: [secret('address-line')],
        postalCode: secret('postal-code'),
        country: 'DE',
      },
      shipDueAt: at,
    },
    ReturnShipped: {
      ...buyer,
      carrier: 'DHL',
      trackingNumber: secret('return-tracking'),
      deliveryDueAt: at,
    },
    ReturnDelivered: { ...platform, receiptDueAt: at },
    ReturnReceived: { ...seller },
    ReturnConditionDisputed: { ...seller, statement: secret('condition-statement') },
    ReplacementRequested: { ...buyer, kind: 'REPLACEMENT', shipDueAt: at },
    ReplacementShipped: {
      ...seller,
      carrier: 'DHL',
      trackingNumber: secret('replacement-tracking'),
      complaintDueAt: at,
    },
    ReplacementReceived: { ...buyer },
    ReplacementProblemReported: { ...buyer, statement: secret('replacement-problem') },
    RefundReleased: { ...system, amount: money, cause: 'RETURN_RECEIVED' },
    RefundMarkedSent: {
      ...seller,
      amount: money,
      reference: secret('refund-reference'),
    },
    RefundPaidOut: {
      ...platform,
      orderId: c.orderId,
      amount: money,
      payoutReference: secret('payout-reference'),
    },
    DisputeClosed: {
      ...platform,
      ...parties,
      outcome: 'BUYER_FULL_REFUND',
      reachedBy: 'AGREEMENT',
      refunded: money,
    },
    DeadlinePassed: { ...system, kind: 'SELLER_RESPONSE', dueAt: at, requestId: null },
  };
}

const asAppended = (type: DisputeEventType, data: unknown): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: { schemaVersion: 1, actor: (data as { by: { id: string; role: never } }).by },
});

/** The value at a dotted path of an event's data. */
const at = (data: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], data);

/** Every string inside `value` (an object's values, an array's items). */
const stringsIn = (value: unknown): unknown[] =>
  Array.isArray(value)
    ? value.flatMap(stringsIn)
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(stringsIn)
      : [value];

/**
 * The dispute events after `after` as recorded, read straight from the app's event store: the
 * reference every feed form is checked against (no GraphQL reader is served this form).
 */
async function recordedLog(
  store: EventStore,
  after: string | null,
  pseudonym: (id: string) => string,
): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let position = after === null ? undefined : decodeEventCursor(after);
  for (;;) {
    const batch = await store.readAll({
      after: position,
      maxCount: 1000,
      filter: { streamPrefixes: [DISPUTE_STREAM_PREFIX] },
    });
    if (batch.length === 0) return events;
    for (const recorded of batch) {
      const event = toFeedEvent(recorded, 'full', pseudonym);
      if (event) events.push(event);
    }
    position = batch[batch.length - 1].position;
  }
}

describeOnAllStores('analytics event feed', (database) => {
  let g: RunningGateway;
  let store: EventStore;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const id = (prefix: string) => `${prefix}-${run}-${++counter}`;
  /** Personal text the tests write carries this marker; analysts must never see it. */
  const SECRET = `PRIVATE${run}`;
  const secret = (field: string) => `${SECRET}-${field}`;
  let p: Record<
    'platform' | 'buyer' | 'seller' | 'mediator' | 'senior' | 'analyst' | 'analyst2',
    Caller
  >;

  beforeAll(async () => {
    g = await startFeedGateway(database);
    store = g.app.get<EventStore>(EVENT_STORE, { strict: false });
    p = {
      platform: await caller('platform', 'marketplace'),
      buyer: await caller('buyer', id('buyer')),
      seller: await caller('seller', id('seller')),
      mediator: await caller('mediator', id('mediator')),
      senior: await caller('senior_mediator', id('senior')),
      analyst: await caller('analyst', id('analyst')),
      analyst2: await caller('analyst', id('analyst')),
    };
  });
  afterAll(() => g?.close());

  const as = (who: Caller, name: string, input: Record<string, unknown>) =>
    ok<DisputeResult>(g.url, who, name, input);

  /** A placed and shipped order, and a dispute the buyer opens on it. */
  async function openDispute(
    reason: string,
    claim: Record<string, unknown>,
    url = g.url,
  ): Promise<DisputeResult> {
    const orderId = id('order');
    await ok(url, p.platform, 'placeOrder', {
      orderId,
      buyerId: p.buyer.id,
      sellerId: p.seller.id,
      total: eur(10_000),
      items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
    });
    await ok(url, p.platform, 'shipOrder', {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'JD014600',
      deliveryDeadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
    });
    return ok<DisputeResult>(url, p.buyer, 'openDispute', {
      orderId,
      reason,
      description: secret(`opening-${orderId}`),
      claim,
    });
  }

  const pseudonyms = new Pseudonyms(TEST_PSEUDONYM_KEY);
  const endOfLog = async () => encodeEventCursor(await store.headPosition());
  /** The dispute events after `after` as the store recorded them, notes and personal text included. */
  const fullLog = (after: string | null) => recordedLog(store, after, pseudonyms.of);

  it('delivers every event type; analysts get no personal text and pseudonymous people, the platform real ids but no personal text or notes', async () => {
    const mark = await endOfLog();
    const analyst = subscribeFeed(g.wsUrl, p.analyst, { after: mark });
    const platform = subscribeFeed(g.wsUrl, p.platform, { after: mark });
    try {
      // A: rejection, proposals, message, evidence, escalation, evidence request, note,
      // decision, appeal, a senior mediator's final ruling with a return, refund and closing.
      const a = await openDispute('QUALITY_ISSUE', { kind: 'FULL_REFUND' });
      const disputeId = a.disputeId;
      await as(p.seller, 'respondToDispute', {
        disputeId,
        response: 'REJECT',
        comment: secret('reject-comment'),
      });
      const offered = await as(p.seller, 'submitProposal', {
        disputeId,
        solution: { kind: 'PARTIAL_REFUND', amount: eur(3_000) },
      });
      const offer = offered.proposals.find((proposal) => proposal.proposer === 'seller');
      await as(p.seller, 'withdrawProposal', { disputeId, proposalId: offer?.proposalId });
      await as(p.buyer, 'submitProposal', {
        disputeId,
        solution: { kind: 'PARTIAL_REFUND', amount: eur(8_000) },
      });
      await as(p.buyer, 'postMessage', { disputeId, body: secret('message') });
      await as(p.buyer, 'addEvidence', {
        disputeId,
        kind: 'TEXT',
        text: secret('evidence-text'),
        description: secret('evidence-description'),
      });
      await as(p.buyer, 'escalateDispute', { disputeId });
      await as(p.mediator, 'takeCase', { disputeId });
      const requested = await as(p.mediator, 'requestEvidence', {
        disputeId,
        from: 'seller',
        prompt: secret('request-prompt'),
      });
      await as(p.seller, 'addEvidence', {
        disputeId,
        kind: 'TEXT',
        text: secret('answer-text'),
        description: secret('answer-description'),
        answersRequestId: requested.evidenceRequests[0]?.requestId,
      });
      await as(p.mediator, 'addInternalNote', { disputeId, note: secret('internal-note') });
      const decided = await as(p.mediator, 'decideDispute', {
        disputeId,
        ruling: { kind: 'PARTIAL_REFUND', amount: eur(4_000) },
        rationale: secret('rationale'),
      });
      await as(p.buyer, 'appealDecision', {
        disputeId,
        decisionId: decided.decision?.decisionId,
        newInformation: secret('appeal'),
      });
      await as(p.senior, 'takeCase', { disputeId });
      await as(p.senior, 'decideAppeal', {
        disputeId,
        ruling: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
        rationale: secret('appeal-rationale'),
      });
      await as(p.seller, 'provideReturnAddress', {
        disputeId,
        address: {
          name: secret('return-name'),
          lines: [secret('return-line')],
          postalCode: 'E16 1AA',
          country: 'GB',
        },
      });
      await as(p.buyer, 'shipReturn', {
        disputeId,
        carrier: 'Royal Mail',
        trackingNumber: `RM${run}GB`,
      });
      await as(p.platform, 'recordReturnDelivery', { disputeId });
      await as(p.seller, 'confirmReturnReceived', { disputeId });
      await as(p.platform, 'confirmRefundPayout', {
        disputeId,
        payoutReference: secret('payout'),
        amount: eur(10_000),
      });

      // B: the buyer cancels. C: a decision both parties accept.
      const b = await openDispute('WRONG_ITEM', { kind: 'RESEND' });
      await as(p.buyer, 'cancelDispute', { disputeId: b.disputeId, comment: secret('cancel') });
      const c = await openDispute('DAMAGED', { kind: 'FULL_REFUND' });
      await as(p.seller, 'respondToDispute', {
        disputeId: c.disputeId,
        response: 'REJECT',
        comment: secret('reject'),
      });
      await as(p.seller, 'escalateDispute', { disputeId: c.disputeId });
      await as(p.mediator, 'takeCase', { disputeId: c.disputeId });
      const ruled = await as(p.mediator, 'decideDispute', {
        disputeId: c.disputeId,
        ruling: { kind: 'SELLER_FAVOUR' },
        rationale: secret('seller-favour'),
      });
      await as(p.buyer, 'acceptDecision', {
        disputeId: c.disputeId,
        decisionId: ruled.decision?.decisionId,
      });

      // The types no mutation above reached: appended as well-formed events of a dispute of the
      // same buyer and seller, straight through the app's event store.
      const reached = new Set((await fullLog(mark)).map((e) => e.type));
      const synthetic = randomUUID();
      const samples = sampleEvents(
        {
          disputeId: synthetic,
          orderId: id('order'),
          buyer: p.buyer.id,
          seller: p.seller.id,
          mediator: p.mediator.id,
          senior: p.senior.id,
        },
        secret,
      );
      const appended = DISPUTE_EVENT_TYPES.filter(
        (type) => type === 'DisputeOpened' || !reached.has(type),
      );
      await store.append(
        disputeStreamId(synthetic),
        appended.map((type) => asAppended(type, samples[type])),
      );

      // The reference: the log as recorded. Neither reader is served its mediators' notes.
      const log = await fullLog(mark);
      const visible = log.filter((e) => e.type !== 'InternalNoteAdded');
      expect(visible.length).toBeLessThan(log.length);
      const last = visible.at(-1)?.id;
      await until(
        () => platform.events.at(-1)?.id === last && analyst.events.at(-1)?.id === last,
        'both subscribers to reach the end of the log',
      );
      expect(analyst.errors).toEqual([]);
      expect(platform.errors).toEqual([]);

      // Every type but the mediators' notes reaches both, in the log's order.
      const allButNotes = new Set(
        DISPUTE_EVENT_TYPES.filter((type) => type !== 'InternalNoteAdded'),
      );
      expect(new Set(platform.events.map((e) => e.type))).toEqual(allButNotes);
      expect(new Set(analyst.events.map((e) => e.type))).toEqual(allButNotes);
      expect(platform.events.map((e) => e.cursor)).toEqual(visible.map((e) => e.cursor));
      expect(analyst.events.map((e) => e.cursor)).toEqual(visible.map((e) => e.cursor));

      // What crossed the analyst's socket: no personal text, no person's or order's id.
      const analystWire = analyst.raw.join('\n');
      const ids = [p.buyer, p.seller, p.mediator, p.senior].map((who) => who.id);
      const orderIds = [...new Set(log.map((e) => e.data.orderId).filter(Boolean))];
      expect(orderIds.length).toBeGreaterThanOrEqual(4);
      expect(analystWire).not.toContain(SECRET);
      for (const value of [...ids, ...(orderIds as string[])]) {
        expect(analystWire).not.toContain(value);
      }
      expect(analystWire).not.toContain('InternalNoteAdded');
      // What crossed the platform's socket: its buyers', sellers' and orders' ids, but none of
      // the parties' conversation, no note, and no staff member's id.
      const platformWire = platform.raw.join('\n');
      expect(platformWire).not.toContain(SECRET);
      expect(platformWire).not.toContain('InternalNoteAdded');
      for (const value of [p.mediator.id, p.senior.id]) expect(platformWire).not.toContain(value);
      for (const value of [p.buyer.id, p.seller.id, ...(orderIds as string[])])
        expect(platformWire).toContain(value);

      // Field by field against the recorded events.
      const full = new Map(log.map((e) => [e.id, e]));
      const staff = new Set<unknown>(['mediator', 'senior_mediator']);
      for (const event of platform.events) {
        const original = full.get(event.id);
        expect(original).toBeDefined();
        expect({ ...event, data: undefined }).toEqual({ ...original, data: undefined });
        // Declared personal text reads "[redacted]" (every string inside an address too)...
        const declared = PERSONAL_DATA[event.type];
        const expected = structuredClone(original?.data) as Record<string, unknown>;
        for (const path of declared.text) {
          const value = at(original?.data, path);
          if (value === undefined || value === null) continue;
          const shown = at(event.data, path);
          expect(stringsIn(shown).every((text) => text === '[redacted]')).toBe(true);
          const keys = path.split('.');
          const parent = at(expected, keys.slice(0, -1).join('.')) ?? expected;
          (parent as Record<string, unknown>)[keys.at(-1) as string] = shown;
        }
        // ...as do the ids of staff, as for the parties; every other field is as recorded:
        // people's and orders' ids, amounts, reasons, statuses, outcomes, deadlines.
        const by = expected.by as { id: string; role: string };
        if (staff.has(by.role)) by.id = '[redacted]';
        if (event.type === 'CaseTaken' && expected.previousMediatorId !== null)
          expected.previousMediatorId = '[redacted]';
        expect(event.data).toEqual(expected);
      }
      const closed = platform.events.find(
        (e) => e.type === 'DisputeClosed' && e.disputeId === disputeId,
      );
      expect(closed?.data).toMatchObject({
        orderId: a.orderId,
        buyerId: p.buyer.id,
        sellerId: p.seller.id,
        refunded: eur(10_000),
      });
      expect(
        platform.events.find((e) => e.type === 'RefundPaidOut' && e.disputeId === disputeId)?.data,
      ).toMatchObject({ amount: eur(10_000), payoutReference: '[redacted]' });

      // Analysts: declared personal text reads "[redacted]", people read as their keyed
      // pseudonym — the same one for the same person in every event.
      const seen = new Map<string, string>();
      for (const event of analyst.events) {
        const original = full.get(event.id);
        expect(original).toBeDefined();
        expect({ ...event, data: undefined }).toEqual({ ...original, data: undefined });
        const declared = PERSONAL_DATA[event.type];
        for (const path of declared.text) {
          if (at(original?.data, path) !== undefined && at(original?.data, path) !== null)
            expect(at(event.data, path)).toBe('[redacted]');
        }
        for (const path of [...declared.identifiers, 'by.id']) {
          const real = at(original?.data, path);
          if (typeof real !== 'string' || (path === 'by.id' && real === 'system')) continue;
          const shown = at(event.data, path) as string;
          expect(shown).toBe(pseudonyms.of(real));
          expect(shown).toMatch(/^anon_[A-Za-z0-9_-]{22}$/);
          expect(seen.get(shown) ?? real).toBe(real);
          seen.set(shown, real);
        }
      }
      const buyerPseudonym = pseudonyms.of(p.buyer.id);
      const openings = analyst.events.filter((e) => e.type === 'DisputeOpened');
      expect(openings).toHaveLength(4);
      expect(openings.map((e) => e.data.buyerId)).toEqual(Array(4).fill(buyerPseudonym));
      expect(
        new Set(
          analyst.events.filter((e) => e.actorRole === 'buyer').map((e) => at(e.data, 'by.id')),
        ),
      ).toEqual(new Set([buyerPseudonym]));
      // Amounts, reasons and states stay for analysts.
      expect(openings[0]).toMatchObject({
        disputeId,
        revision: 0,
        schemaVersion: 1,
        actorRole: 'buyer',
        data: { reason: 'QUALITY_ISSUE', orderTotal: eur(10_000), description: '[redacted]' },
      });
      expect(Date.parse(openings[0].recordedAt)).not.toBeNaN();

      // And the page for backfills carries the same forms.
      const analystPage = await readLog(g.url, p.analyst2, mark);
      expect(analystPage.events).toEqual(analyst.events);
      expect(analystPage.text).not.toContain(SECRET);
      const platformPage = await readLog(g.url, p.platform, mark);
      expect(platformPage.events).toEqual(platform.events);
      expect(platformPage.text).not.toContain(SECRET);
      expect(platformPage.text).not.toContain('InternalNoteAdded');
    } finally {
      await analyst.close();
      await platform.close();
    }
  });

  it('an analyst reads the feeds’ pseudonyms, never people’s ids, in the dispute view and its timeline too', async () => {
    // The views are projections: a gateway that runs them.
    const inline = await startFeedGateway(database, { WORKERS: 'inline' });
    try {
      const opened = await openDispute('DAMAGED', { kind: 'FULL_REFUND' }, inline.url);
      await ok(inline.url, p.buyer, 'postMessage', {
        disputeId: opened.disputeId,
        body: secret('message'),
      });
      const pseudonym = new Pseudonyms(TEST_PSEUDONYM_KEY).of;
      const query = `query($id: ID!) { dispute(id: $id) { orderId buyerId sellerId
      messages { authorId authorRole } timeline { actorId actorRole } } }`;
      const read = async (who: Caller) => {
        for (let attempt = 0; ; attempt++) {
          const response = await graphql<{ dispute: Record<string, unknown> | null }>(
            inline.url,
            query,
            {
              token: who.token,
              variables: { id: opened.disputeId },
            },
          );
          // The views follow the message through the projections within moments.
          const view = response.body.data?.dispute;
          if (view && ((view.messages as unknown[] | undefined) ?? []).length > 0)
            return { view, raw: JSON.stringify(response.body) };
          if (attempt >= 200) throw new Error(`no view: ${JSON.stringify(response.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const analyst = await read(p.analyst);
      expect(analyst.raw).not.toContain(p.buyer.id);
      expect(analyst.raw).not.toContain(p.seller.id);
      expect(analyst.view).toMatchObject({
        buyerId: pseudonym(p.buyer.id),
        sellerId: pseudonym(p.seller.id),
        messages: [{ authorId: pseudonym(p.buyer.id), authorRole: 'buyer' }],
      });
      expect(analyst.view.orderId).toMatch(/^anon_/);
      const actors = analyst.view.timeline as { actorId: string; actorRole: string }[];
      expect(actors.length).toBeGreaterThan(0);
      for (const actor of actors)
        expect(actor.actorId).toBe(
          actor.actorRole === 'system' ? actor.actorId : pseudonym(p.buyer.id),
        );
      // The same pseudonyms as the feed's, so nothing links one back to a person.
      const feed = await readLog(inline.url, p.analyst, null);
      const opening = feed.events.find(
        (event) => event.type === 'DisputeOpened' && event.disputeId === opened.disputeId,
      );
      expect(opening?.data).toMatchObject({
        buyerId: analyst.view.buyerId,
        orderId: analyst.view.orderId,
      });
      // Everyone else reads the ids themselves.
      const platform = await read(p.platform);
      expect(platform.view).toMatchObject({ buyerId: p.buyer.id, sellerId: p.seller.id });
    } finally {
      await inline.close();
    }
  });

  it('filters by type, dispute and reason, live and in pages', async () => {
    const mark = await endOfLog();
    const damaged = await openDispute('DAMAGED', { kind: 'FULL_REFUND' });
    const counterfeit = await openDispute('COUNTERFEIT', { kind: 'FULL_REFUND' });
    const filter = { types: ['MessagePosted'], reasons: ['COUNTERFEIT', 'OTHER'] };
    const live = subscribeFeed(g.wsUrl, p.analyst, { after: mark, filter });
    const one = subscribeFeed(g.wsUrl, p.analyst, {
      after: mark,
      filter: { disputeId: damaged.disputeId },
    });
    try {
      for (const dispute of [damaged, counterfeit, damaged, counterfeit])
        await as(p.buyer, 'postMessage', { disputeId: dispute.disputeId, body: secret('filter') });
      await until(() => live.events.length >= 2 && one.events.length >= 3, 'filtered events');
      await sleep(200);
      expect(live.events.map((e) => [e.type, e.disputeId])).toEqual([
        ['MessagePosted', counterfeit.disputeId],
        ['MessagePosted', counterfeit.disputeId],
      ]);
      expect(one.events.map((e) => [e.type, e.revision])).toEqual([
        ['DisputeOpened', 0],
        ['MessagePosted', 1],
        ['MessagePosted', 2],
      ]);
      const paged = await readLog(g.url, p.analyst, mark, filter);
      expect(paged.events).toEqual(live.events);
    } finally {
      await live.close();
      await one.close();
    }
  });

  it('resumes mid-stream over graphql-ws without gap or duplicate', async () => {
    const mark = await endOfLog();
    const dispute = await openDispute('MISSING_PARTS', { kind: 'FULL_REFUND' });
    const post = (text: string) =>
      as(p.buyer, 'postMessage', { disputeId: dispute.disputeId, body: secret(text) });
    for (let i = 0; i < 5; i++) await post(`before-${i}`);

    // Session 1 takes a few events, then unsubscribes.
    const session1 = subscribeFeed(g.wsUrl, p.analyst, { after: mark });
    await until(() => session1.events.length >= 3, 'session 1 to receive 3 events');
    await session1.close();
    const taken = [...session1.events];
    expect(session1.errors).toEqual([]);

    // Appended while nobody listens.
    for (let i = 0; i < 3; i++) await post(`unheard-${i}`);

    // Session 2 resumes after the last cursor it got, catches up, and stays live.
    const session2 = subscribeFeed(g.wsUrl, p.analyst, { after: taken.at(-1)?.cursor });
    try {
      const caughtUp = (await readLog(g.url, p.analyst, mark)).events.at(-1)?.id;
      await until(() => session2.events.at(-1)?.id === caughtUp, 'session 2 to catch up');
      for (let i = 0; i < 3; i++) await post(`live-${i}`);
      await store.append(disputeStreamId(dispute.disputeId), [
        asAppended('DeadlinePassed', {
          disputeId: dispute.disputeId,
          at: new Date().toISOString(),
          by: { id: 'system', role: 'system' },
          kind: 'NEGOTIATION',
          dueAt: new Date().toISOString(),
          requestId: null,
        } satisfies DataOf<'DeadlinePassed'>),
      ]);
      const log = (await readLog(g.url, p.analyst, mark)).events;
      await until(() => session2.events.at(-1)?.id === log.at(-1)?.id, 'session 2 to go live');
      await sleep(200);

      const union = [...taken, ...session2.events].map((e) => e.id);
      expect(union).toEqual(log.map((e) => e.id));
      expect(new Set(union).size).toBe(union.length);
      expect(log).toHaveLength(1 + 5 + 3 + 3 + 1);
      expect(session2.errors).toEqual([]);
    } finally {
      await session2.close();
    }
  });

  it('refuses buyers, sellers and mediators: FORBIDDEN on the subscription and on the page', async () => {
    for (const who of [p.buyer, p.seller, p.mediator, p.senior]) {
      const session = subscribeFeed(g.wsUrl, who);
      try {
        await until(() => session.completed || session.errors.length > 0, `${who.role} refusal`);
        expect(session.errors).toHaveLength(1);
        expect(session.errors[0].extensions?.code).toBe('FORBIDDEN');
        expect(session.events).toEqual([]);
        // The guard refused before the feed opened anything.
        expect(session.raw.join('\n')).not.toContain(SECRET);
      } finally {
        await session.close();
      }
      const answer = await page(g.url, who, {});
      expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(answer.data).toBeNull();
      expect(answer.text).not.toContain(SECRET);
    }
    // Whatever an analyst reads of the whole log carries no personal text and no raw ids.
    const everything = await readLog(g.url, p.analyst, null);
    expect(everything.events.length).toBeGreaterThan(40);
    expect(everything.text).not.toContain(SECRET);
    for (const who of [p.buyer, p.seller, p.mediator, p.senior])
      expect(everything.text).not.toContain(who.id);
  });

  it('answers a cursor it did not hand out, and oversized input, with BAD_USER_INPUT', async () => {
    const bad = [
      Buffer.from('garbage').toString('base64url'),
      Buffer.from('evt:99999999999999999999999').toString('base64url'),
      Buffer.from('evt:-1').toString('base64'),
      'not a cursor at all',
      'x'.repeat(600),
      '',
      // Well formed, but beyond the newest event: no feed of this log handed it out (and past
      // PostgreSQL's bigint, where the store itself would fail).
      encodeEventCursor(2n ** 63n),
      encodeEventCursor(2n ** 64n - 1n),
      encodeEventCursor((await store.headPosition()) + 1_000_000n),
    ];
    for (const after of bad) {
      const answer = await page(g.url, p.platform, { after });
      expect(answer.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [expect.objectContaining({ path: 'after' })],
      });
      const session = subscribeFeed(g.wsUrl, p.platform, { after });
      try {
        await until(() => session.completed || session.errors.length > 0, 'a refusal');
        expect(session.errors[0]?.extensions).toMatchObject({
          code: 'BAD_USER_INPUT',
          fields: [expect.objectContaining({ path: 'after' })],
        });
        expect(session.events).toEqual([]);
      } finally {
        await session.close();
      }
    }
    const badInput: Record<string, unknown>[] = [
      { filter: { types: Array(DISPUTE_EVENT_TYPES.length + 1).fill('MessagePosted') } },
      { filter: { reasons: Array(10).fill('DAMAGED') } },
      // Text a database refuses (NUL, a lone surrogate), and ids that are not dispute ids.
      { filter: { disputeId: '\u0000' } },
      { filter: { disputeId: '\ud800' } },
      { filter: { disputeId: '' } },
      { filter: { disputeId: 'not-a-uuid' } },
      // Variables that do not fit their types.
      { filter: { types: ['Nope'] } },
      { after: { a: 1 } },
    ];
    for (const variables of [...badInput, { first: 1001 }, { first: 0 }]) {
      const answer = await page(g.url, p.analyst, variables);
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (const variables of badInput) {
      const session = subscribeFeed(g.wsUrl, p.analyst, variables);
      try {
        await until(() => session.completed || session.errors.length > 0, 'a refusal');
        expect(session.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(session.events).toEqual([]);
      } finally {
        await session.close();
      }
    }
    // The feed held nothing open for the refused operations.
    expect(await metric(g.url, 'arbiter_event_feed_subscriptions')).toBe(0);
  });

  // Not on the KurrentDB stand-in: it takes longer to take the ~4 MB this needs than graphql-ws's
  // 12 s keep-alive lets a paused client go without answering a ping. The cut-off itself is the
  // feed's, above the store port.
  (database === 'kurrentdb' ? describe.skip : describe)('a consumer that stops reading', () => {
    const BUFFER = 50;
    /** Appended at a time: well under the buffer, so only the stalled socket can fill it. */
    const BATCH = 10;
    let slow: RunningGateway;
    beforeAll(async () => {
      slow = await startFeedGateway(database, {
        ANALYTICS_SUBSCRIPTION_BUFFER: String(BUFFER),
        ANALYTICS_SUBSCRIPTION_STALL_MS: '300',
      });
    });
    afterAll(() => slow?.close());

    it('is cut off at the buffer with SUBSCRIBER_TOO_SLOW and the cursor to resume after', async () => {
      const slowStore = slow.app.get<EventStore>(EVENT_STORE, { strict: false });
      const disputeId = randomUUID();
      const stream = disputeStreamId(disputeId);
      const samples = sampleEvents(
        {
          disputeId,
          orderId: id('order'),
          buyer: p.buyer.id,
          seller: p.seller.id,
          mediator: p.mediator.id,
          senior: p.senior.id,
        },
        secret,
      );
      // Bulky in a field the platform's form keeps (a message's body reads "[redacted]" there),
      // so a few hundred events fill the socket's buffers, even on a loaded machine where
      // appending is slow.
      const bulky = (i: number) =>
        asAppended('MessagePosted', {
          ...samples.MessagePosted,
          messageId: `${i}:${randomUUID()}:`.padEnd(16_000, 'x'),
        });
      await slowStore.append(stream, [asAppended('DisputeOpened', samples.DisputeOpened)]);

      // A raw graphql-transport-ws socket, so the test decides when the client reads.
      const ws = new WebSocket(slow.wsUrl, 'graphql-transport-ws');
      const wire: string[] = [];
      ws.on('message', (data) => wire.push(String(data)));
      await once(ws, 'open');
      ws.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${p.platform.token}` },
        }),
      );
      await until(() => wire.some((m) => JSON.parse(m).type === 'connection_ack'), 'ack');
      ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
      const messages = () => wire.map((m) => JSON.parse(m)).filter((m) => m.id === '1');
      await until(() => messages().length === 1, 'the opening event');
      expect(await metric(slow.url, 'arbiter_event_feed_subscriptions')).toBe(1);

      // The client stops reading; events keep coming, far more than the socket buffers hold.
      const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socket.pause();
      let appended = 1;
      let events: WireEvent[] = [];
      let resumeAfter: string;
      try {
        let maxBuffered = 0;
        const started = Date.now();
        while ((await metric(slow.url, 'arbiter_event_feed_overflows_total')) === 0) {
          if (appended > 30_000 || Date.now() - started > 30_000)
            throw new Error(`no overflow after ${appended} events`);
          await slowStore.append(
            stream,
            Array.from({ length: BATCH }, (_, i) => bulky(appended + i)),
          );
          appended += BATCH;
          maxBuffered = Math.max(
            maxBuffered,
            await metric(slow.url, 'arbiter_event_feed_buffered_events'),
          );
        }
        maxBuffered = Math.max(
          maxBuffered,
          await metric(slow.url, 'arbiter_event_feed_buffered_events'),
        );
        expect(maxBuffered).toBeGreaterThan(0);
        expect(maxBuffered).toBeLessThanOrEqual(BUFFER);
        socket.resume();

        // What was sent, then the buffered events, then one error saying where to resume; complete.
        await until(() => messages().at(-1)?.type === 'complete', 'the operation to complete');
        const received = messages();
        events = received
          .filter((m) => m.type === 'next' && m.payload.data)
          .map((m) => m.payload.data.disputeEvents);
        const [error, complete] = received.slice(-2);
        expect(received.slice(0, -2).every((m) => m.type === 'next' && m.payload.data)).toBe(true);
        expect(error).toEqual({
          id: '1',
          type: 'next',
          payload: {
            data: null,
            errors: [
              {
                message: `The consumer took nothing for 300 ms with ${BUFFER} events waiting; resume from resumeAfter`,
                locations: [expect.any(Object)],
                path: ['disputeEvents'],
                extensions: { code: 'SUBSCRIBER_TOO_SLOW', resumeAfter: events.at(-1)?.cursor },
              },
            ],
          },
        });
        expect(complete).toEqual({ id: '1', type: 'complete' });
        expect(await metric(slow.url, 'arbiter_event_feed_overflows_total')).toBe(1);
        resumeAfter = error.payload.errors[0].extensions.resumeAfter;
      } finally {
        socket.resume();
        ws.close();
      }

      // Resuming from resumeAfter gets the rest in one session (a reading consumer is never cut
      // off, however far behind it starts): no gap, no repeat.
      const log = await readLog(slow.url, p.platform, null);
      expect(log.events).toHaveLength(appended);
      expect(events.map((e) => e.id)).toEqual(log.events.slice(0, events.length).map((e) => e.id));
      const session = subscribeFeed(slow.wsUrl, p.platform, { after: resumeAfter });
      const rest: WireEvent[] = [];
      try {
        await until(
          () => session.completed || session.events.at(-1)?.id === log.events.at(-1)?.id,
          'the resumed session to catch up',
        );
        expect(session.errors).toEqual([]);
        rest.push(...session.events);
      } finally {
        await session.close();
      }
      const union = [...events, ...rest].map((e) => e.id);
      expect(union).toEqual(log.events.map((e) => e.id));
      expect(new Set(union).size).toBe(union.length);
    });
  });
});
