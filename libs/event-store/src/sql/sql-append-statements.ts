import { APPEND_LOCK_NAMESPACE, appendLockKey, POSITION_SHIFT } from './schema';

/**
 * The statements of an append. Each first takes the store's append lock — a transaction-level
 * shared advisory lock (APPEND_LOCK_NAMESPACE, appendLockKey(schema)), held until the transaction
 * ends — and only then anything that assigns the transaction its xid: readers' fence relies on
 * that order (the argument is in sql-fence.ts). Shared, so appends never wait for each other; the
 * fence only reads who holds it.
 */
export interface AppendStatements {
  /** Any number of events, one round trip: head lookup, expectation check and insert in a CTE. */
  many: string;
  /** One event: the common case, no JSON array to unpack, no CTE to materialise. */
  one: string;
  /** One event starting a stream (revision 0), for `no_stream` through the pool. */
  startStream: string;
  /** `lockForAppend`: takes the lock in a caller's transaction; `late` when it already had an xid. */
  lock: string;
}

export function appendStatements(table: string, schema: string): AppendStatements {
  const lockCall = `pg_advisory_xact_lock_shared(${APPEND_LOCK_NAMESPACE}, ${appendLockKey(schema)})`;
  return {
    many: appendManyStatement(table, lockCall),
    one: appendOneStatement(table, lockCall),
    startStream: startStreamStatement(table, lockCall),
    lock: lockStatement(schema, lockCall),
  };
}

function lockStatement(schema: string, lockCall: string): string {
  // `before` looks (whether the transaction has an xid, whether it holds the lock) before the
  // outer select takes the lock: a MATERIALIZED CTE is computed before the rows that read it.
  return `
      WITH before AS MATERIALIZED (
        SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS had_xid,
               EXISTS (SELECT 1 FROM pg_locks
                       WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                         AND classid = ${APPEND_LOCK_NAMESPACE} AND objid = ${appendLockKey(schema)} AND objsubid = 2
                         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held
      )
      SELECT before.had_xid AND NOT before.held AS late, ${lockCall}::text AS locked
      FROM before`;
}

function appendManyStatement(table: string, lockCall: string): string {
  // One round trip. `head` finds the stream's last revision through the (stream_id, revision)
  // index. `lk` takes the append lock; `tx` (which reads `lk`) then notes whether this
  // transaction had an xid before this statement; `x` (which reads `tx` first, so the order is a
  // data dependency) then takes one. A transaction without an xid
  // has written nothing, so its events start at n = 0 and `base` skips the probe of the primary
  // key's right edge (a hot page under concurrent appends) — the probe only runs when a caller's
  // own transaction appends again. Nothing is inserted when the expectation fails, and `actual`
  // tells the caller why.
  return `
      WITH head AS (
        SELECT coalesce((SELECT revision FROM ${table} WHERE stream_id = $1
                         ORDER BY revision DESC LIMIT 1), -1) AS rev
      ), lk AS MATERIALIZED (
        SELECT ${lockCall}::text AS locked
      ), tx AS MATERIALIZED (
        SELECT lk.locked IS NOT NULL AND pg_current_xact_id_if_assigned() IS NULL AS fresh FROM lk
      ), x AS MATERIALIZED (
        SELECT tx.fresh, pg_current_xact_id() AS xid, pg_current_xact_id()::text::bigint << ${POSITION_SHIFT} AS low FROM tx
      ), base AS (
        SELECT x.xid, CASE WHEN x.fresh THEN x.low
                           ELSE coalesce((SELECT max(position) + 1 FROM ${table}
                                          WHERE position >= x.low AND position < x.low + ${1 << POSITION_SHIFT}), x.low)
                      END AS p
        FROM x
      ), ins AS (
        INSERT INTO ${table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
        SELECT base.p + e.ord - 1, base.xid, $1, head.rev + e.ord, e.value->>'id', e.value->>'type',
               e.value->'data', e.value->'metadata'
        FROM head, base, jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, ord)
        WHERE CASE $3::text WHEN 'any' THEN true
                            WHEN 'no_stream' THEN head.rev = -1
                            WHEN 'exists' THEN head.rev >= 0
                            ELSE head.rev = $4::bigint END
        RETURNING revision, position
      )
      SELECT head.rev::text AS actual,
             (SELECT max(revision) FROM ins)::text AS next_revision,
             (SELECT max(position) FROM ins)::text AS position
      FROM head`;
}

function appendOneStatement(table: string, lockCall: string): string {
  // One event, one flat INSERT ... SELECT: `h` is the stream's head (a backward probe of the
  // (stream_id, revision) index); no row comes back when the expectation fails. The position's
  // CASE asks whether this transaction had an xid yet: if not, it has written nothing, so n = 0;
  // otherwise (a caller's transaction appending again) it probes the primary key for n. Should
  // PostgreSQL evaluate transaction_id first, the CASE takes the probe: slower, never wrong. The
  // probe reads `low` from a fenced subquery, not from pg_current_xact_id() in its own WHERE: the
  // planner evaluates stable functions in conditions to estimate them, and that would take the xid
  // at plan time, before the CASE looks. `lk` takes the append lock first: a subquery in FROM
  // (OFFSET 0 keeps it one) whose row exists before the select list, which assigns the xid, is
  // computed.
  return `
      INSERT INTO ${table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
      SELECT ${nextPosition(table)}, pg_current_xact_id(), $1, h.rev + 1, $2, $3, $4::jsonb, $5::jsonb
      FROM ${lockSubquery(lockCall)},
           (SELECT coalesce(max(revision), -1) AS rev FROM ${table} WHERE stream_id = $1) h
      WHERE CASE $6::text WHEN 'any' THEN true
                          WHEN 'no_stream' THEN h.rev = -1
                          WHEN 'exists' THEN h.rev >= 0
                          ELSE h.rev = $7::bigint END
      RETURNING revision::text AS next_revision, position::text AS position`;
}

function startStreamStatement(table: string, lockCall: string): string {
  return `
      INSERT INTO ${table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
      SELECT ${nextPosition(table)}, pg_current_xact_id(), $1, 0, $2, $3, $4::jsonb, $5::jsonb
      FROM ${lockSubquery(lockCall)}
      RETURNING revision::text AS next_revision, position::text AS position`;
}

/** The append lock as a one-row FROM item `lk`, computed before its statement's select list. */
function lockSubquery(lockCall: string): string {
  return `(SELECT ${lockCall}::text AS locked OFFSET 0) lk`;
}

/**
 * The position of a single-event statement's row; see appendOneStatement. It reads `lk.locked`
 * (never null) so the lock is a data dependency of the row, not only of the plan's shape.
 */
function nextPosition(table: string): string {
  const low = `(pg_current_xact_id()::text::bigint << ${POSITION_SHIFT})`;
  return `CASE WHEN lk.locked IS NULL THEN NULL
                 WHEN pg_current_xact_id_if_assigned() IS NULL THEN ${low}
                 ELSE (SELECT coalesce((SELECT max(position) + 1 FROM ${table}
                                        WHERE position >= x.low AND position < x.low + ${1 << POSITION_SHIFT}), x.low)
                       FROM (SELECT ${low} AS low OFFSET 0) x)
            END`;
}
