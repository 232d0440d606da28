import {
  describeEventStoreContract,
  sampleEvent,
  takeEvents,
} from '../testing/event-store.contract';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '../testing/postgres';
import { migrateEventStoreSchema } from './schema';
import { createSqlEventStore, SqlEventStore } from './sql-event-store';
import { pgRunner } from './sql-runner';

describeWithPostgres('PostgreSQL event store', (url) => {
  jest.setTimeout(30_000);
  describeEventStoreContract('PostgreSQL', async () => {
    const test = await openPostgresTestSchema(url, {
      prefix: 'es',
      create: false,
      maxConnections: 24,
    });
    const store = await createSqlEventStore(test.connection, { schema: test.schema });
    return { store, cleanup: test.cleanup };
  });

  describe('PostgreSQL specifics', () => {
    let test: PostgresTestSchema;
    let store: SqlEventStore;

    beforeEach(async () => {
      test = await openPostgresTestSchema(url, { prefix: 'es', create: false, maxConnections: 24 });
      store = await createSqlEventStore(test.connection, { schema: test.schema });
    });

    afterEach(async () => {
      await store.close();
      await test.cleanup();
    });

    it('a transaction that began first and commits last is delivered, not skipped (the append fence)', async () => {
      if (test.connection.kind !== 'postgres') throw new Error('expected a pool');
      await store.append('before', [sampleEvent()]);
      const subscription = store.subscribeToAll();
      const [first] = await takeEvents(subscription, 1);

      // The slow writer opens its transaction and appends first, so it has the lowest xid...
      const slow = await test.connection.pool.connect();
      const slowEvent = sampleEvent('Slow');
      await slow.query('BEGIN');
      const slowResult = await store.appendVia(pgRunner(slow), 'slow', [slowEvent], {
        expectedRevision: 'no_stream',
      });

      // ...while others append and commit, and the live subscriber keeps reading.
      const others = Array.from({ length: 10 }, (_, i) => sampleEvent('Fast', { i }));
      const received = takeEvents(subscription, others.length + 1, 20_000);
      for (const [i, event] of others.entries()) await store.append(`fast-${i % 3}`, [event]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Nothing committed after the open transaction may be delivered before it commits.
      expect(await store.readAll({ after: first.position })).toEqual([]);

      await slow.query('COMMIT');
      slow.release();
      const seen = await received;
      await subscription.close();

      const all = await store.readAll();
      expect(seen.map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
      expect(seen[0].id).toBe(slowEvent.id);
      expect(seen[0].position).toBe(slowResult.position);
      expect(new Set(seen.map((e) => e.id))).toEqual(
        new Set([slowEvent.id, ...others.map((e) => e.id)]),
      );
      for (let i = 1; i < seen.length; i++)
        expect(seen[i].position).toBeGreaterThan(seen[i - 1].position);
    });

    it('wakes a subscriber of another store instance (another process) through NOTIFY', async () => {
      const writer = await createSqlEventStore(test.connection, { schema: test.schema });
      const subscription = store.subscribeToAll();
      const pending = takeEvents(subscription, 1, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const event = sampleEvent();
      const appendedAt = Date.now();
      await writer.append('s', [event]);
      expect((await pending)[0].id).toBe(event.id);
      // Well under the 500 ms safety poll: the notification woke it.
      expect(Date.now() - appendedAt).toBeLessThan(300);
      await subscription.close();
      await writer.close();
    });

    it('several appends in one transaction continue its position range, also after other writes', async () => {
      if (test.connection.kind !== 'postgres') throw new Error('expected a pool');
      const client = await test.connection.pool.connect();
      const runner = pgRunner(client);
      try {
        // The first append may start at n = 0 only because the transaction has written nothing yet.
        await client.query('BEGIN');
        const a = await store.appendVia(runner, 'tx-a', [sampleEvent(), sampleEvent()]);
        const b = await store.appendVia(runner, 'tx-b', [sampleEvent()]);
        const c = await store.appendVia(runner, 'tx-a', [sampleEvent()], { expectedRevision: 1n });
        await client.query('COMMIT');
        expect([b.position - a.position, c.position - b.position]).toEqual([1n, 1n]);

        // A transaction that already has an xid (it wrote elsewhere first) must probe, not assume n = 0.
        // It announces itself as an appender before that first write.
        await client.query('BEGIN');
        await store.lockForAppend(runner);
        await client.query(
          'CREATE TEMP TABLE scratch (x int) ON COMMIT DROP; INSERT INTO scratch VALUES (1)',
        );
        const d = await store.appendVia(runner, 'tx-d', [sampleEvent()]);
        const e = await store.appendVia(runner, 'tx-e', [sampleEvent(), sampleEvent()]);
        await client.query('COMMIT');
        expect(e.position - d.position).toBe(2n);
      } finally {
        client.release();
      }
      const all = await store.readAll();
      expect(all.map((event) => event.streamId)).toEqual([
        'tx-a',
        'tx-a',
        'tx-b',
        'tx-a',
        'tx-d',
        'tx-e',
        'tx-e',
      ]);
      expect(all.map((event) => event.position)).toEqual(
        [...all.map((event) => event.position)].sort((x, y) => (x < y ? -1 : 1)),
      );
    });

    it("refuses to start when stored transaction ids are ahead of the cluster's (a restore into a new cluster)", async () => {
      if (test.connection.kind !== 'postgres') throw new Error('expected a pool');
      await store.append('s', [sampleEvent()]);
      const schema = test.schema;
      // Test-only SQL: a row as a restored dump leaves it, written by an xid this cluster has not reached.
      await test.connection.pool.query(
        `INSERT INTO "${schema}".events (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
         SELECT (x + 1000000) << 20, (x + 1000000)::text::xid8, 'from-another-cluster', 0, 'e-future', 'T', '{}', '{}'
           FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS x) s`,
      );
      await expect(createSqlEventStore(test.connection, { schema })).rejects.toThrow(
        /refusing to start.*pg_resetwal -e \d+ -x \d+.*re-import the events through the application/,
      );
    });

    it('two migrations of a fresh schema at once both succeed', async () => {
      const fresh = await openPostgresTestSchema(url, { prefix: 'esm', create: false });
      const other = await openPostgresTestSchema(url, { prefix: 'esm', create: false });
      try {
        await Promise.all([
          migrateEventStoreSchema(fresh.connection, fresh.schema),
          migrateEventStoreSchema(other.connection, fresh.schema),
          migrateEventStoreSchema(fresh.connection, fresh.schema),
        ]);
        const migrated = await createSqlEventStore(other.connection, { schema: fresh.schema });
        await migrated.append('s', [sampleEvent()], { expectedRevision: 'no_stream' });
        expect((await migrated.readStream('s')).length).toBe(1);
        await migrated.close();
      } finally {
        await other.cleanup();
        await fresh.cleanup();
      }
    });

    it('concurrent identical retries of one append record it once and all get the same result', async () => {
      const events = [sampleEvent(), sampleEvent()];
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.append('retry', events)),
      );
      expect(new Set(results.map((r) => `${r.nextRevision}:${r.position}`)).size).toBe(1);
      expect((await store.readAll()).length).toBe(2);
    });
  });
});
