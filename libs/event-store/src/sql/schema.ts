import type { SqlConnection } from '@arbiter/platform';
import { connectWithoutTimeouts } from '@arbiter/platform/database';
import { pgliteRunner, pgRunner, SqlRunner } from './sql-runner';

/**
 * Positions encode the writing transaction: `position = (xid8 << POSITION_SHIFT) + n`, where n counts
 * the events that transaction appended (0, 1, ...). Ordering by position is therefore ordering by
 * (transaction id, insertion order) — the order readers must use behind the append fence — and a
 * single bigint is a complete, correct checkpoint. 20 bits allow 1,048,575 events per transaction
 * and xids up to 2^43 (~8.8e12 transactions) before a bigint overflows.
 */
export const POSITION_SHIFT = 20;
export const MAX_EVENTS_PER_TRANSACTION = (1 << POSITION_SHIFT) - 1;

export const DEFAULT_SCHEMA = 'arbiter';

/**
 * First key of the shared advisory lock every append transaction holds ('ES' in ASCII), distinct
 * from the read side's namespace and from the single-key lock the migration takes. Readers find
 * the store's in-flight appenders by it (see SqlEventStore).
 */
export const APPEND_LOCK_NAMESPACE = 0x4553;

/**
 * Second key of the append lock: a stable 31-bit hash (FNV-1a) of the schema name, so stores in
 * different schemas (or databases: readers also match the database) do not wait for each other.
 * A collision between two schemas only makes one store's readers wait for the other's appenders.
 */
export function appendLockKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    hash ^= schema.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

export function quoteSchema(schema: string): string {
  // Names are interpolated into DDL, statement names and a NOTIFY channel: keep them boring.
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
    throw new Error(
      `Invalid event store schema name "${schema}": use lower-case letters, digits and _`,
    );
  }
  return `"${schema}"`;
}

function ddl(schema: string): string {
  const s = quoteSchema(schema);
  // `IF NOT EXISTS` alone is not enough when two processes start at once (both may pass the check
  // and one fails on the catalog's unique index), hence the advisory lock around this script.
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.events (
      position       bigint      PRIMARY KEY,
      transaction_id xid8        NOT NULL,
      stream_id      text        NOT NULL,
      revision       bigint      NOT NULL,
      event_id       text        NOT NULL,
      type           text        NOT NULL,
      data           jsonb       NOT NULL,
      metadata       jsonb       NOT NULL,
      recorded_at    timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision),
      CONSTRAINT events_event_id_key UNIQUE (event_id)
    );
  `;
}

/** Idempotent; safe when several processes run it at the same time. */
export async function migrateEventStoreSchema(
  connection: SqlConnection,
  schema: string = DEFAULT_SCHEMA,
): Promise<void> {
  const script = ddl(schema);
  const lock = async (runner: SqlRunner) =>
    runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`arbiter.event-store.${schema}`]);

  if (connection.kind === 'pglite') {
    await connection.db.transaction(async (tx) => {
      await lock(pgliteRunner(tx));
      await tx.exec(script);
    });
    return;
  }
  // Outside the pool's statement and query timeouts: a migration may take long, or wait for
  // another process's.
  const client = await connectWithoutTimeouts(connection.pool);
  try {
    await client.query('BEGIN');
    await lock(pgRunner(client));
    await client.query(script);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(error as Error);
    throw error;
  }
}

/** The store's events were written by transaction ids this cluster has not reached (see below). */
export class TransactionIdsBehindError extends Error {
  readonly code = 'EVENT_STORE_XIDS_BEHIND';
  constructor(
    readonly schema: string,
    readonly storedXid: bigint,
    readonly nextXid: bigint,
  ) {
    const epoch = storedXid >> 32n;
    const xid = (storedXid & 0xffffffffn) + 1n;
    super(
      `Event store ${schema}: events were written by transaction ids up to ${storedXid} but this cluster's next is ${nextXid} ` +
        `(restored with pg_dump or moved to a new cluster?), so new events would sort before existing ones and projections would skip them; ` +
        `refusing to start. Advance the xid counter past it (server stopped: pg_resetwal -e ${epoch} -x ${xid} <datadir>) or re-import the events through the application.`,
    );
    this.name = 'TransactionIdsBehindError';
  }
}

/**
 * Positions are `xid << 20`, so they only grow while the cluster's xid counter does. A dump
 * restored into (or a logical-replication move to) another cluster restarts the counter low: new
 * events would get positions below every checkpoint and could collide with old ones. Runs once at
 * start-up, two primary-key probes and no scan: the newest row by position holds the highest xid,
 * and the highest position is checked too. `pg_snapshot_xmax` is the next xid to be assigned, read
 * without assigning one.
 */
export async function assertTransactionIdsAhead(
  connection: SqlConnection,
  schema: string = DEFAULT_SCHEMA,
): Promise<void> {
  const runner =
    connection.kind === 'postgres' ? pgRunner(connection.pool) : pgliteRunner(connection.db);
  const table = `${quoteSchema(schema)}.events`;
  const [row] = await runner.query<{
    stored_xid: string | null;
    stored_position: string | null;
    next_xid: string;
  }>(
    `SELECT (SELECT transaction_id::text FROM ${table} ORDER BY position DESC LIMIT 1) AS stored_xid,
            (SELECT max(position)::text FROM ${table}) AS stored_position,
            pg_snapshot_xmax(pg_current_snapshot())::text AS next_xid`,
    [],
  );
  if (!row || row.stored_xid === null || row.stored_position === null) return;
  const next = BigInt(row.next_xid);
  const storedXid = BigInt(row.stored_xid);
  const positionXid = BigInt(row.stored_position) >> BigInt(POSITION_SHIFT);
  const highest = storedXid > positionXid ? storedXid : positionXid;
  if (highest >= next) throw new TransactionIdsBehindError(schema, highest, next);
}
