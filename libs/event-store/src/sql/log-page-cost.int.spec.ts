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

/** A store on a fresh schema, and one value of a query on its connection. */
interface Subject {
  store: SqlEventStore;
  schema: string;
  valueOf(sql: string): Promise<number>;
  close(): Promise<void>;
}

/** Heap blocks of the events table read or found in the cache so far (the server's count). */
async function heapBlocks({ schema, valueOf }: Subject): Promise<number> {
  // Counters reach the shared statistics at the end of a transaction; force it for this one.
  await valueOf('SELECT 0 FROM pg_stat_force_next_flush()');
  return valueOf(
    `SELECT heap_blks_hit + heap_blks_read FROM pg_statio_user_tables
      WHERE schemaname = '${schema}' AND relname = 'events'`,
  );
}

/** Blocks the events table spans. */
const tableBlocksOf = ({ schema, valueOf }: Subject): Promise<number> =>
  valueOf(`SELECT pg_relation_size('"${schema}".events') / current_setting('block_size')::int`);

/** `filtered`: a page read with filters too (PGlite; PostgreSQL keeps the fence in their range). */
function describePageCost(open: () => Promise<Subject>, { filtered }: { filtered: boolean }): void {
  let subject: Subject | undefined;
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
    tableBlocks = await tableBlocksOf(subject);
  }, 120_000);

  afterAll(() => subject?.close());

  it('reads a page of the log without reading the rest of it', async () => {
    const { store } = subject!;
    // The log spans many pages: a page reading it all would be told apart from one reading its own.
    expect(tableBlocks).toBeGreaterThan(200);
    const first = await store.readAll({ after: 0n, maxCount: PAGE });
    const before = await heapBlocks(subject!);
    const second = await store.readAll({ after: first.at(-1)!.position, maxCount: PAGE });
    const touched = (await heapBlocks(subject!)) - before;
    expect(second).toHaveLength(PAGE);
    expect(second[0].position).toBeGreaterThan(first.at(-1)!.position);
    // A page of PAGE events out of EVENTS spans about PAGE / EVENTS of the table: twice that, at
    // most. Reading the rest of the log touched nine tenths of it.
    expect(touched).toBeLessThan((tableBlocks * 2 * PAGE) / EVENTS);
  });

  if (filtered) {
    it('reads a filtered page of the log without reading the rest of it', async () => {
      const { store } = subject!;
      const after = (await store.readAll({ after: 0n, maxCount: PAGE })).at(-1)!.position;
      const before = await heapBlocks(subject!);
      const page = await store.readAll({
        after,
        maxCount: PAGE,
        filter: { eventTypes: ['DisputeOpened'], streamPrefixes: ['page-cost-'] },
      });
      const touched = (await heapBlocks(subject!)) - before;
      expect(page).toHaveLength(PAGE);
      expect(page[0].position).toBeGreaterThan(after);
      expect(touched).toBeLessThan((tableBlocks * 2 * PAGE) / EVENTS);
    });
  }
}

describeWithPostgres('PostgreSQL event store: a page of the log without statistics', (url) => {
  describePageCost(
    async () => {
      const schema = uniqueSchemaName('espage');
      const pool = new Pool({
        connectionString: url,
        max: 1,
        // Planned for its parameters every time, as PGlite plans every statement and PostgreSQL
        // a connection's first five runs of a prepared one.
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
        schema,
        valueOf: async (sql) => {
          const { rows } = await pool.query<{ value: string }>(`SELECT (${sql})::text AS value`);
          return Number(rows[0].value);
        },
        close: async () => {
          await store.close();
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
          await pool.end();
        },
      };
    },
    { filtered: false },
  );
});

describe('PGlite event store: a page of the log', () => {
  describePageCost(
    async () => {
      const db = await PGlite.create('memory://');
      const schema = uniqueSchemaName('espage');
      const connection: SqlConnection = { kind: 'pglite', db, close: () => db.close() };
      const store = await createSqlEventStore(connection, { schema });
      return {
        store,
        schema,
        valueOf: async (sql) => {
          const { rows } = await db.query<{ value: string }>(`SELECT (${sql})::text AS value`);
          return Number(rows[0].value);
        },
        close: async () => {
          await store.close();
          await db.close();
        },
      };
    },
    { filtered: true },
  );
});
