import { PGlite } from '@electric-sql/pglite';
import type { SqlConnection } from '@arbiter/platform';
import { Pool } from 'pg';
import { sampleEvent } from '../testing/event-store.contract';
import { describeWithPostgres, uniqueSchemaName } from '../testing/postgres';
import { createSqlEventStore, type SqlEventStore } from './sql-event-store';

/**
 * A page of the log must cost a page, however long the log and whatever the planner knows of it.
 * Without statistics (PGlite never gathers them: it has no autovacuum; PostgreSQL lacks them
 * after a bulk load until ANALYZE), the planner guesses that a range `after < position < fence`
 * holds 0.5 % of the table. A page larger than that guess was read with a bitmap scan of the whole
 * range and sorted: every page of a rebuild, a catch-up or the analytics feed read the whole rest
 * of the log. Measured here by the table's heap blocks the server itself counts for one read.
 */
const EVENTS = 20_000;
const PAGE = 2_000;

interface Subject {
  store: SqlEventStore;
  /** Heap blocks of the events table read or found in the cache so far (the server's count). */
  heapBlocks(): Promise<number>;
  /** Blocks the events table spans. */
  tableBlocks(): Promise<number>;
}

function describePageCost(open: () => Promise<Subject & { close(): Promise<void> }>): void {
  let subject: (Subject & { close(): Promise<void> }) | undefined;
  let tableBlocks = 0;

  beforeAll(async () => {
    subject = await open();
    for (let stream = 0; stream < EVENTS / 500; stream++) {
      await subject.store.append(
        `page-cost-${stream}`,
        Array.from({ length: 500 }, () => sampleEvent()),
        { expectedRevision: 'no_stream' },
      );
    }
    tableBlocks = await subject.tableBlocks();
  }, 120_000);

  afterAll(() => subject?.close());

  it('reads a page of the log without reading the rest of it', async () => {
    const { store, heapBlocks } = subject!;
    // The log spans many pages: a page reading it all would be told apart from one reading its own.
    expect(tableBlocks).toBeGreaterThan(200);
    const first = await store.readAll({ after: 0n, maxCount: PAGE });
    const before = await heapBlocks();
    const second = await store.readAll({ after: first.at(-1)!.position, maxCount: PAGE });
    const touched = (await heapBlocks()) - before;
    expect(second).toHaveLength(PAGE);
    expect(second[0].position).toBeGreaterThan(first.at(-1)!.position);
    // A page of PAGE events out of EVENTS spans about PAGE / EVENTS of the table: twice that, at
    // most. Reading the rest of the log touched nine tenths of it.
    expect(touched).toBeLessThan((tableBlocks * 2 * PAGE) / EVENTS);
  });
}

describeWithPostgres('PostgreSQL event store: a page of the log without statistics', (url) => {
  describePageCost(async () => {
    const schema = uniqueSchemaName('espage');
    const pool = new Pool({
      connectionString: url,
      max: 1,
      // Planned for its parameters every time, as a pool's fresh connections plan their first
      // runs of a prepared statement.
      options: `-c search_path=${schema},public -c plan_cache_mode=force_custom_plan`,
    });
    pool.on('error', () => undefined);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    const connection: SqlConnection = { kind: 'postgres', pool, close: () => pool.end() };
    const store = await createSqlEventStore(connection, { schema });
    // No statistics, whatever the server's autovacuum settings: as right after a bulk load.
    await pool.query(`ALTER TABLE "${schema}".events SET (autovacuum_enabled = false)`);
    return {
      store,
      heapBlocks: async () => {
        // Counters reach the shared statistics at the end of a transaction; force it for this one.
        await pool.query('SELECT pg_stat_force_next_flush()');
        const { rows } = await pool.query<{ blocks: string }>(
          `SELECT (heap_blks_hit + heap_blks_read)::text AS blocks FROM pg_statio_user_tables
            WHERE schemaname = $1 AND relname = 'events'`,
          [schema],
        );
        return Number(rows[0].blocks);
      },
      tableBlocks: async () => {
        const { rows } = await pool.query<{ blocks: string }>(
          `SELECT (pg_relation_size('"${schema}".events') / current_setting('block_size')::int)::text AS blocks`,
        );
        return Number(rows[0].blocks);
      },
      close: async () => {
        await store.close();
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        await pool.end();
      },
    };
  });
});

describe('PGlite event store: a page of the log', () => {
  describePageCost(async () => {
    const db = await PGlite.create('memory://');
    const schema = uniqueSchemaName('espage');
    const connection: SqlConnection = { kind: 'pglite', db, close: () => db.close() };
    const store = await createSqlEventStore(connection, { schema });
    return {
      store,
      heapBlocks: async () => {
        await db.query('SELECT pg_stat_force_next_flush()');
        const { rows } = await db.query<{ blocks: string }>(
          `SELECT (heap_blks_hit + heap_blks_read)::text AS blocks FROM pg_statio_user_tables
            WHERE schemaname = $1 AND relname = 'events'`,
          [schema],
        );
        return Number(rows[0].blocks);
      },
      tableBlocks: async () => {
        const { rows } = await db.query<{ blocks: string }>(
          `SELECT (pg_relation_size('"${schema}".events') / current_setting('block_size')::int)::text AS blocks`,
        );
        return Number(rows[0].blocks);
      },
      close: async () => {
        await store.close();
        await db.close();
      },
    };
  });
});
