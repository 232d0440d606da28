import type { Pool } from 'pg';
import type { EventFilter, RecordedEvent, Subscription } from '../port';
import { sampleEvent } from '../testing/event-store.contract';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '../testing/postgres';
import { createSqlEventStore, SqlEventStore } from './sql-event-store';

const TYPES = ['DisputeOpened', 'MessagePosted', 'EvidenceAdded'] as const;

/** Reads of the events table's end by subscriptions, counted at the driver. */
function countLogReads(pool: Pool): { count: number } {
  const counter = { count: 0 };
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const config = args[0] as { text?: string } | string;
    const text = typeof config === 'string' ? config : (config.text ?? '');
    if (/FROM \S+ e\s+WHERE e\.position > \$1::bigint/.test(text)) counter.count++;
    return query(...args);
  };
  return counter;
}

/** Collects a subscription's events in the background. */
function collect(subscription: Subscription): RecordedEvent[] {
  const received: RecordedEvent[] = [];
  void (async () => {
    for await (const event of subscription) received.push(event);
  })().catch(() => undefined);
  return received;
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Every projection, feed and forwarder follows the log with a subscription of its own. Woken by
 * one append, they share one read of the log's end instead of reading it each, and each still
 * gets exactly its own events, in order, at once.
 */
describeWithPostgres(
  'PostgreSQL event store: subscriptions share the read of the log end',
  (url) => {
    jest.setTimeout(60_000);
    let test: PostgresTestSchema;
    let store: SqlEventStore;
    let pool: Pool;

    beforeEach(async () => {
      test = await openPostgresTestSchema(url, { prefix: 'estail', create: false });
      if (test.connection.kind !== 'postgres') throw new Error('expected a pool');
      pool = test.connection.pool;
      store = await createSqlEventStore(test.connection, { schema: test.schema });
    });

    afterEach(async () => {
      await store?.close();
      await test?.cleanup();
    });

    it('reads the log end about once per append for six subscriptions, each getting its events', async () => {
      await store.append('before', [sampleEvent()], { expectedRevision: 'no_stream' });
      const head = await store.headPosition();
      const filters: (EventFilter | undefined)[] = [
        undefined,
        { eventTypes: [TYPES[0]] },
        { eventTypes: [TYPES[1], TYPES[2]] },
        { eventTypes: [TYPES[2]] },
        { streamPrefixes: ['s-1'] },
        { eventTypes: [TYPES[1]], streamPrefixes: ['s-'] },
      ];
      const subscriptions = filters.map((filter) => store.subscribeToAll({ after: head, filter }));
      const received = subscriptions.map(collect);
      // Let every subscription make its first (empty) read and go idle.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const reads = countLogReads(pool);

      const appended: RecordedEvent[] = [];
      const appends = 30;
      for (let i = 0; i < appends; i++) {
        const type = TYPES[i % TYPES.length];
        const streamId = `s-${i % 4}`;
        await store.append(streamId, [sampleEvent(type)], {
          expectedRevision: i < 4 ? 'no_stream' : BigInt(Math.floor(i / 4) - 1),
        });
        const [event] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1 });
        appended.push(event);
        await waitUntil(
          () => received[0].length === appended.length,
          `the unfiltered subscription has event ${i}`,
        );
      }
      const expected = filters.map((filter) =>
        appended.filter(
          (event) =>
            (!filter?.eventTypes || filter.eventTypes.includes(event.type)) &&
            (!filter?.streamPrefixes ||
              filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))),
        ),
      );
      await waitUntil(
        () => received.every((events, i) => events.length >= expected[i].length),
        'every subscription has its events',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      received.forEach((events, i) =>
        expect(events.map((e) => e.id)).toEqual(expected[i].map((e) => e.id)),
      );
      // Six subscriptions reading on their own: at least six reads per append. Shared: one, or two
      // when a subscription's read starts after another wake-up.
      expect(reads.count).toBeLessThanOrEqual(appends * 2);
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
    });

    it('starts a subscription at the head without reading what the window missed while idle', async () => {
      const first = store.subscribeToAll({});
      const early = collect(first);
      await store.append('early', [sampleEvent()], { expectedRevision: 'no_stream' });
      await waitUntil(() => early.length === 1, 'the first subscription has its event');
      await first.close();
      // The log grows by 30 pages of the window while nothing follows it.
      for (let i = 0; i < 30; i++) {
        await store.append(
          `gap-${i}`,
          Array.from({ length: 1_000 }, () => sampleEvent()),
          { expectedRevision: 'no_stream' },
        );
      }
      const head = await store.headPosition();
      const reads = countLogReads(pool);
      const late = store.subscribeToAll({ after: head });
      const received = collect(late);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await store.append('late', [sampleEvent()], { expectedRevision: 'no_stream' });
      await waitUntil(() => received.length === 1, 'the late subscription has the new event');
      expect(received[0].streamId).toBe('late');
      expect(reads.count).toBeLessThanOrEqual(4);
      await late.close();
    });
  },
);
