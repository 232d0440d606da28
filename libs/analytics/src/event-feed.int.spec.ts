import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import type { DisputeEvent, DisputeReason } from '@arbiter/disputes';
import {
  createKurrentDbEventStore,
  createSqlEventStore,
  type EventStore,
  type EventToAppend,
} from '@arbiter/event-store';
import { openPostgresTestSchema, postgresTestUrl } from '@arbiter/event-store/testing';
import {
  type KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import { type FeedItem, EventFeed } from './event-feed';
import { decodeEventCursor, encodeEventCursor, InvalidEventCursorError } from './feed-event';
import { Pseudonyms } from './pseudonyms';

/** The feed reads through the store port: the same tests on every adapter. */
interface StoreUnderTest {
  store: EventStore;
  cleanup(): Promise<void>;
}

const stores: [string, () => Promise<StoreUnderTest>][] = [
  [
    'PGlite',
    async () => {
      const db = await PGlite.create('memory://');
      const store = await createSqlEventStore({ kind: 'pglite', db, close: () => db.close() });
      return { store, cleanup: () => db.close() };
    },
  ],
];
const postgresUrl = postgresTestUrl();
if (postgresUrl) {
  stores.push([
    'PostgreSQL',
    async () => {
      const test = await openPostgresTestSchema(postgresUrl, { prefix: 'feed', create: false });
      const store = await createSqlEventStore(test.connection, { schema: test.schema });
      return { store, cleanup: test.cleanup };
    },
  ]);
}
let standIn: KurrentDbStandIn | undefined;
stores.push([
  'KurrentDB (protocol stand-in)',
  async () => {
    standIn ??= await startKurrentDbStandIn({ port: 0 });
    const store = createKurrentDbEventStore(standIn.url, {
      streamPrefix: `f${randomUUID().replace(/-/g, '')}.`,
      idlePollMs: 200,
    });
    return { store, cleanup: () => store.close() };
  },
]);
afterAll(async () => {
  await standIn?.stop();
});

const KEY = 'integration-test-pseudonym-key-of-32+chars';
const at = '2026-03-05T10:00:00.000Z';

function opened(disputeId: string, reason: DisputeReason = 'DAMAGED'): EventToAppend {
  const data = {
    disputeId,
    at,
    by: { id: `buyer-of-${disputeId}`, role: 'buyer' },
    orderId: `order-of-${disputeId}`,
    buyerId: `buyer-of-${disputeId}`,
    sellerId: 'seller-1',
    reason,
    description: 'PRIVATE description',
    proposalId: `p-${disputeId}`,
    claim: { kind: 'FULL_REFUND' },
    orderTotal: { amountMinor: 1000, currency: 'EUR' },
    refundedBefore: { amountMinor: 0, currency: 'EUR' },
    deliveryConfirmed: true,
    reopenOf: null,
    sellerResponseDueAt: at,
  } satisfies Extract<DisputeEvent, { type: 'DisputeOpened' }>['data'];
  return { id: randomUUID(), type: 'DisputeOpened', data, metadata: { schemaVersion: 1 } };
}

function message(disputeId: string, body = 'PRIVATE message'): EventToAppend {
  return {
    id: randomUUID(),
    type: 'MessagePosted',
    data: { disputeId, at, by: { id: 'seller-1', role: 'seller' }, messageId: randomUUID(), body },
  };
}

function note(disputeId: string): EventToAppend {
  return {
    id: randomUUID(),
    type: 'InternalNoteAdded',
    data: { disputeId, at, by: { id: 'med-1', role: 'mediator' }, noteId: randomUUID(), note: 'x' },
  };
}

async function take(iterator: AsyncIterator<FeedItem>, count: number): Promise<FeedItem[]> {
  const items: FeedItem[] = [];
  while (items.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    items.push(next.value);
  }
  return items;
}

describe.each(stores)('event feed on %s', (_name, open) => {
  let test: StoreUnderTest;
  let feed: EventFeed;

  beforeEach(async () => {
    test = await open();
    feed = new EventFeed(test.store, new Pseudonyms(KEY));
  });
  afterEach(async () => {
    await test.cleanup();
  });

  it('pages the dispute events in log order, analyst form without notes or personal data', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await test.store.append(`dispute-${a}`, [opened(a), message(a), note(a)]);
    await test.store.append(`order-${a}`, [
      { id: randomUUID(), type: 'OrderPlaced', data: { orderId: a } },
    ]);
    await test.store.append(`dispute-${b}`, [opened(b, 'COUNTERFEIT'), message(b)]);

    const first = await feed.page('analyst', { first: 3 });
    expect(first.events.map((e) => [e.type, e.disputeId])).toEqual([
      ['DisputeOpened', a],
      ['MessagePosted', a],
      ['DisputeOpened', b],
    ]);
    expect(first.hasNextPage).toBe(true);
    const second = await feed.page('analyst', { first: 3, after: first.endCursor });
    expect(second.events.map((e) => [e.type, e.disputeId])).toEqual([['MessagePosted', b]]);
    expect(second.hasNextPage).toBe(false);
    const json = JSON.stringify([...first.events, ...second.events]);
    expect(json).not.toContain('PRIVATE');
    expect(json).not.toContain('buyer-of-');
    expect(json).not.toContain('seller-1');
    expect(first.events[0]).toMatchObject({
      schemaVersion: 1,
      revision: 0,
      actorRole: 'buyer',
      data: { reason: 'DAMAGED', orderTotal: { amountMinor: 1000, currency: 'EUR' } },
    });

    const full = await feed.page('full', { first: 10 });
    expect(full.events.map((e) => e.type)).toEqual([
      'DisputeOpened',
      'MessagePosted',
      'InternalNoteAdded',
      'DisputeOpened',
      'MessagePosted',
    ]);
    expect(full.events[1].data).toMatchObject({ body: 'PRIVATE message' });
    // An empty page after the end keeps the cursor where it was.
    const end = await feed.page('full', { first: 10, after: full.endCursor });
    expect(end).toEqual({ events: [], endCursor: full.endCursor, hasNextPage: false });
  });

  it('gives the platform real ids and amounts, but no personal text, staff ids or notes', async () => {
    const a = randomUUID();
    const taken: EventToAppend = {
      id: randomUUID(),
      type: 'CaseTaken',
      data: {
        disputeId: a,
        at,
        by: { id: 'med-2', role: 'mediator' },
        previousMediatorId: 'med-1',
      } satisfies Extract<DisputeEvent, { type: 'CaseTaken' }>['data'],
    };
    const fromStaff = message(a, 'PRIVATE from the mediator');
    const mediatorSays = {
      ...fromStaff,
      data: { ...(fromStaff.data as object), by: { id: 'med-2', role: 'mediator' } },
    };
    await test.store.append(`dispute-${a}`, [opened(a), message(a), note(a), taken, mediatorSays]);

    const page = await feed.page('platform', { first: 10 });
    // The note is mediator-only: left out, the rest in log order.
    expect(page.events.map((e) => e.type)).toEqual([
      'DisputeOpened',
      'MessagePosted',
      'CaseTaken',
      'MessagePosted',
    ]);
    const [opening, said, caseTaken, mediatorSaid] = page.events;
    // Order facts and the parties' real ids; the description is the buyer's words.
    expect(opening).toMatchObject({
      actorRole: 'buyer',
      data: {
        by: { id: `buyer-of-${a}`, role: 'buyer' },
        orderId: `order-of-${a}`,
        buyerId: `buyer-of-${a}`,
        sellerId: 'seller-1',
        reason: 'DAMAGED',
        orderTotal: { amountMinor: 1000, currency: 'EUR' },
        description: '[redacted]',
      },
    });
    expect(said.data).toMatchObject({ by: { id: 'seller-1', role: 'seller' }, body: '[redacted]' });
    // Staff read as they do for the parties: role kept, id withheld.
    expect(caseTaken).toMatchObject({
      actorRole: 'mediator',
      data: { by: { id: '[redacted]', role: 'mediator' }, previousMediatorId: '[redacted]' },
    });
    expect(mediatorSaid.data).toMatchObject({
      by: { id: '[redacted]', role: 'mediator' },
      body: '[redacted]',
    });
    const json = JSON.stringify(page.events);
    expect(json).not.toContain('PRIVATE');
    expect(json).not.toContain('med-');
    expect(json).not.toContain('anon_');

    // A subscription carries the same form.
    const live = feed.subscribe('platform', { bufferSize: 10 });
    const items = await take(live, 4);
    await live.return?.();
    expect(items.map((item) => item.event)).toEqual(page.events);
  });

  it('filters by type, dispute and reason (also for a dispute opened before the cursor)', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await test.store.append(`dispute-${a}`, [opened(a, 'DAMAGED'), message(a)]);
    await test.store.append(`dispute-${b}`, [opened(b, 'COUNTERFEIT'), message(b)]);
    const head = await test.store.headPosition();
    await test.store.append(`dispute-${b}`, [message(b)]);
    await test.store.append(`dispute-${a}`, [message(a)]);

    const types = await feed.page('full', { first: 10, filter: { types: ['MessagePosted'] } });
    expect(types.events.map((e) => e.disputeId)).toEqual([a, b, b, a]);
    const one = await feed.page('full', { first: 10, filter: { disputeId: b } });
    expect(one.events.map((e) => e.revision)).toEqual([0, 1, 2]);
    // A fresh feed knows no reasons yet: it reads the dispute's opening event.
    const fresh = new EventFeed(test.store, new Pseudonyms(KEY));
    const counterfeit = await fresh.page('full', {
      first: 10,
      after: encodeEventCursor(head),
      filter: { reasons: ['COUNTERFEIT'] },
    });
    expect(counterfeit.events.map((e) => e.disputeId)).toEqual([b]);
  });

  it('subscribes from a cursor, stays live, and a resumed session neither repeats nor skips', async () => {
    const disputes = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of disputes) await test.store.append(`dispute-${id}`, [opened(id), message(id)]);

    const session1 = feed.subscribe('analyst', { bufferSize: 100 });
    const got1 = await take(session1, 4);
    await session1.return?.();
    const resumeAfter = got1.at(-1)?.event?.cursor;

    await test.store.append(`dispute-${disputes[0]}`, [message(disputes[0])]);
    const session2 = feed.subscribe('analyst', { after: resumeAfter, bufferSize: 100 });
    const firstOfSession2 = take(session2, 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await test.store.append(`dispute-${disputes[1]}`, [message(disputes[1])]); // while live
    const got2 = await firstOfSession2;
    const live = take(session2, 1);
    await test.store.append(`dispute-${disputes[2]}`, [message(disputes[2])]);
    got2.push(...(await live));
    await session2.return?.();

    const all = await feed.page('analyst', { first: 100 });
    const union = [...got1, ...got2].map((item) => item.event?.id);
    expect(union).toEqual(all.events.map((e) => e.id));
    expect(new Set(union).size).toBe(union.length);
    expect(feed.stats().subscriptions).toBe(0);
  });

  it('a consumer that keeps reading catches up on far more than its buffer', async () => {
    const id = randomUUID();
    await test.store.append(`dispute-${id}`, [
      opened(id),
      ...Array.from({ length: 40 }, (_, i) => message(id, `m${i}`)),
    ]);
    const subscription = feed.subscribe('full', { bufferSize: 5, stallMs: 2_000 });
    const items: FeedItem[] = [];
    for (let i = 0; i < 41; i++) {
      items.push(...(await take(subscription, 1)));
      expect(feed.stats().bufferedEvents).toBeLessThanOrEqual(5);
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 30)); // a slow moment
    }
    await subscription.return?.();
    expect(items.every((item) => item.event)).toBe(true);
    expect(items.map((item) => item.event?.data.body).slice(1)).toEqual(
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
    expect(feed.stats().overflows).toBe(0);
  });

  it('a consumer that stops reading is cut off at the buffer and told where to resume', async () => {
    const id = randomUUID();
    await test.store.append(`dispute-${id}`, [opened(id)]);
    const subscription = feed.subscribe('full', { bufferSize: 5, stallMs: 200 });
    const [firstItem] = await take(subscription, 1);
    await test.store.append(
      `dispute-${id}`,
      Array.from({ length: 30 }, (_, i) => message(id, `m${i}`)),
    );
    // The pump fills the buffer and stops: never more than 5 held, however much is appended.
    for (let i = 0; i < 100 && feed.stats().overflows === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(feed.stats()).toMatchObject({ overflows: 1, bufferedEvents: 5 });

    const rest = await take(subscription, 10);
    expect(rest.slice(0, 5).every((item) => item.event)).toBe(true);
    const end = rest[5].end;
    expect(end).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW', resumeAfter: rest[4].event?.cursor });
    expect(rest).toHaveLength(6); // then done
    expect(feed.stats()).toMatchObject({ subscriptions: 0, bufferedEvents: 0 });

    const resumed = feed.subscribe('full', { bufferSize: 100, after: end?.resumeAfter });
    const remaining = await take(resumed, 30 - 5);
    await resumed.return?.();
    const bodies = [...rest.slice(0, 5), ...remaining].map((item) => item.event?.data.body);
    expect(bodies).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    expect(firstItem.event?.type).toBe('DisputeOpened');
  });

  it('refuses cursors it did not hand out', async () => {
    for (const bad of [
      '',
      'abc',
      Buffer.from('evt:-1').toString('base64url'),
      'ZXZ0OjAx',
      'x'.repeat(60),
    ])
      expect(() => decodeEventCursor(bad)).toThrow(InvalidEventCursorError);
    await expect(feed.page('full', { first: 1, after: 'bogus' })).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
    expect(() => feed.subscribe('full', { bufferSize: 1, after: 'bogus' })).toThrow(
      InvalidEventCursorError,
    );
    expect(decodeEventCursor(encodeEventCursor(2n ** 63n))).toBe(2n ** 63n);
    // Well formed but beyond the newest event: not a cursor of this log.
    const id = randomUUID();
    await test.store.append(`dispute-${id}`, [opened(id)]);
    const head = await test.store.headPosition();
    expect(await feed.positionOf(encodeEventCursor(head))).toBe(head);
    expect(await feed.positionOf(null)).toBeUndefined();
    for (const beyond of [head + 1n, 2n ** 63n, 2n ** 64n - 1n])
      await expect(
        feed.page('full', { first: 1, after: encodeEventCursor(beyond) }),
      ).rejects.toBeInstanceOf(InvalidEventCursorError);
    await expect(feed.positionOf('')).rejects.toBeInstanceOf(InvalidEventCursorError);
  });
});
