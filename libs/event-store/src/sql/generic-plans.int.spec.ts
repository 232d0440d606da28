import { Pool } from 'pg';
import { sampleEvent } from '../testing/event-store.contract';
import { describeWithPostgres, uniqueSchemaName } from '../testing/postgres';
import { createSqlEventStore, SqlEventStore } from './sql-event-store';

/**
 * The store's statements are prepared, and PostgreSQL plans a prepared statement generically
 * after a few runs. A generic plan that scans the whole log costs nothing on a small test table
 * and grows with the log in production: an `EXISTS` over a position range was planned as a
 * sequential scan, run on every idle turn of every subscription, which made the projections' lag
 * grow with the log. Here every statement is planned generically from its first run (as it is in a
 * long-lived process) and the server's own counters must show no sequential scan of the events.
 */
describeWithPostgres(
  'PostgreSQL event store: statements stay on the index whatever the plan',
  (url) => {
    jest.setTimeout(60_000);
    let schema: string;
    let pool: Pool;
    let store: SqlEventStore;

    beforeAll(async () => {
      schema = uniqueSchemaName('esplan');
      // One connection, so its statistics and its prepared statements are the ones counted (no
      // subscription here: its listener would take that connection).
      pool = new Pool({
        connectionString: url,
        max: 1,
        options: `-c search_path=${schema},public -c plan_cache_mode=force_generic_plan`,
      });
      pool.on('error', () => undefined);
      await pool.query(`CREATE SCHEMA "${schema}"`);
      store = await createSqlEventStore(
        { kind: 'postgres', pool, close: () => pool.end() },
        { schema },
      );
      // Enough rows that a scan and an index probe are told apart by any plan's costs.
      for (let batch = 0; batch < 20; batch++) {
        await store.append(
          `plan-${batch}`,
          Array.from({ length: 200 }, () => sampleEvent()),
          { expectedRevision: 'no_stream' },
        );
      }
      await pool.query(`ANALYZE "${schema}".events`);
    });

    afterAll(async () => {
      await store?.close();
      await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool?.end();
    });

    async function sequentialScans(): Promise<number> {
      // Counters reach the shared statistics at the end of a transaction; force it for this one.
      await pool.query('SELECT pg_stat_force_next_flush()');
      const { rows } = await pool.query<{ seq_scan: string }>(
        `SELECT seq_scan::text FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'events'`,
        [schema],
      );
      return Number(rows[0].seq_scan);
    }

    it('reads the head, the fence and the tail of the log without scanning it', async () => {
      const before = await sequentialScans();
      for (let round = 0; round < 8; round++) {
        const head = await store.headPosition();
        expect(await store.readAll({ after: head })).toEqual([]);
        await store.readAll({
          after: head - 1n,
          maxCount: 10,
          filter: { eventTypes: ['DisputeOpened'] },
        });
        await store.readStream('plan-3', { from: 190n });
        // What a live subscription asks on each idle turn: poll soon, or wait for a wake-up?
        expect(await store.idleDelayMs(head)).toBeGreaterThan(0);
      }
      expect(await sequentialScans()).toBe(before);
    });
  },
);
