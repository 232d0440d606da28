import type { SqlConnection } from '@arbiter/platform';
import { DatabaseUnavailableError } from '@arbiter/platform/database-errors';
import { sleep } from '@arbiter/platform/backoff';
import {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventIdConflictError,
  EventMetadata,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../port';
import { assertUniqueIds, revisionMatches } from '../semantics';
import { PollingSubscription, SubscriptionSource } from '../subscription';
import {
  APPEND_LOCK_NAMESPACE,
  appendLockKey,
  assertTransactionIdsAhead,
  DEFAULT_SCHEMA,
  MAX_EVENTS_PER_TRANSACTION,
  migrateEventStoreSchema,
  POSITION_SHIFT,
  quoteSchema,
} from './schema';
import { pgliteRunner, pgRunner, SqlRunner, sqlState, UNIQUE_VIOLATION } from './sql-runner';

export interface SqlEventStoreOptions {
  /** PostgreSQL schema holding the store's table; tests use their own. Default `arbiter`. */
  schema?: string;
}

/** Runs the start-up migration and refuses a database whose xids went backwards, then returns the store. */
export async function createSqlEventStore(
  connection: SqlConnection,
  options: SqlEventStoreOptions = {},
): Promise<SqlEventStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  await migrateEventStoreSchema(connection, schema);
  await assertTransactionIdsAhead(connection, schema);
  return new SqlEventStore(connection, schema);
}

/** Safety net for a lost notification (e.g. the listener connection dropped). */
const IDLE_POLL_MS = 500;
/** Committed events are waiting behind an older open append: look again soon. */
const FENCED_POLL_MS = 15;
/** How long readAll / headPosition wait for an older open append before answering. */
const FENCE_WAIT_MS = 2_000;
const FENCE_RETRY_MS = 5;
/**
 * Cross-process wake-ups are throttled to one NOTIFY per this interval (a subscriber elsewhere hears
 * of an append at most this much later). Each NOTIFY is a round trip and a transaction of its own:
 * sent per append, it cost a single-connection writer about a fifth of its throughput.
 */
const NOTIFY_GAP_MS = 10;
/** `any` can still lose a race for the next revision; it retries instead of failing. */
const ANY_RETRIES = 20;

/** The single-event statement returns no row on a mismatch, and no `actual`. */
interface AppendRow {
  actual?: string;
  next_revision: string | null;
  position: string | null;
}

interface EventRow {
  position: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

interface ExistingRow {
  ord: string;
  stream_id: string;
  revision: string;
  position: string;
  same: boolean;
}

/**
 * The event store on PostgreSQL (`pg`) and PGlite, one implementation.
 *
 * Global order and checkpoints. Every row stores its writer's `pg_current_xact_id()`, and its
 * position is `(xid << 20) + n` (see POSITION_SHIFT). A bigserial could not give a safe checkpoint:
 * sequence values are handed out in statement order, not commit order. Positions are in xid order,
 * and readers of the log only see positions below a fence that no append still in flight lies
 * under, so a checkpoint (a plain bigint, the last delivered position) can never jump over a late
 * commit.
 *
 * The append fence. Every append statement first takes a transaction-level shared advisory lock
 * (APPEND_LOCK_NAMESPACE, appendLockKey(schema)) and only then anything that assigns the
 * transaction its xid; the lock is held until the transaction ends. A reader first runs the fence
 * statement on its own: F = least(next, min xid of every other transaction holding that lock in
 * this database), where `next` is its snapshot's xmax and the holders come from one read of the
 * lock table (`pg_locks`, the lock rows joined on the virtual transaction id to each holder's own
 * `transactionid` lock); then, in a later statement with a later snapshot, it reads positions
 * below `F << 20`. Take an append transaction T with xid x < F that commits:
 *   - T got x before the fence statement's snapshot (xids assigned later are >= next >= F);
 *   - so T held the lock, with x assigned, from before that snapshot until it ended;
 *   - the lock table read came after the snapshot: had T still held the lock then, F <= x. So T
 *     had already ended, and PostgreSQL makes a transaction visible before it releases its locks:
 *     the read statement's snapshot, taken later still, sees all of T's rows.
 * Nothing below the fence can therefore appear after a reader passed it. Transactions that are
 * not appends (another database, psql, maintenance, projections) never hold the lock and do not
 * hold readers back; an append still open only holds back positions above its own. Conditions:
 * the lock before the xid (every statement here orders it so; a caller's transaction must call
 * `lockForAppend` before it writes anything, which `appendVia` checks), and the fence read in its
 * own statement before the read (READ COMMITTED: each statement takes a new snapshot). Both
 * rows come from the main lock table, which `pg_lock_status()` copies under all its partition
 * locks at once, so the join sees one consistent state. `readStream` is not fenced, so command
 * handlers always see their stream's latest committed revision.
 *
 * The hot path (`append`) is one statement: head lookup, expectation check and insert in a CTE; the
 * idempotency and conflict analysis only run after it reports a mismatch or a unique violation.
 */
export class SqlEventStore implements EventStore, SubscriptionSource {
  private readonly runner: SqlRunner;
  private readonly table: string;
  private readonly channel: string;
  private readonly fenceSql: string;
  private readonly lockSql: string;
  private readonly lockCall: string;
  private readonly appendSql: string;
  private readonly appendOneSql: string;
  private readonly startStreamSql: string;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;

  private listener: { stop(): Promise<void> } | undefined;
  private listenerBroken = false;
  private listenerSync: Promise<void> = Promise.resolve();

  private notifyInFlight: Promise<void> | undefined;
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private notifyPending = false;
  private lastNotifyAt = -Infinity;

  constructor(
    private readonly connection: SqlConnection,
    readonly schema: string = DEFAULT_SCHEMA,
  ) {
    this.table = `${quoteSchema(schema)}.events`;
    this.channel = `${schema}_events`;
    this.lockCall = `pg_advisory_xact_lock_shared(${APPEND_LOCK_NAMESPACE}, ${appendLockKey(schema)})`;
    this.fenceSql = this.fenceStatement();
    this.lockSql = this.lockStatement();
    this.runner =
      connection.kind === 'postgres' ? pgRunner(connection.pool) : pgliteRunner(connection.db);
    this.appendSql = this.appendManySql();
    this.appendOneSql = this.appendOneStatement();
    this.startStreamSql = this.startStreamStatement();
  }

  /**
   * A database fault fails it with DatabaseUnavailableError, whose `outcome` says whether the
   * events may have been committed: `UNKNOWN` only when the inserting statement was sent and no
   * answer came back.
   */
  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      return await this.appendVia(this.runner, streamId, events, options);
    } catch (error) {
      // Faults of the insert itself are typed below; the rest (the analysis after a refused
      // insert) come after the server answered that nothing was inserted.
      throw DatabaseUnavailableError.from(error, 'no-write') ?? error;
    }
  }

  /**
   * @internal Test hook: append through a caller-held transaction (`pgRunner(client)` after BEGIN)
   * so tests can hold a writer open. Subscribers are only woken by later appends or polling.
   * The transaction must not have written anything before its first append unless it called
   * `lockForAppend` first; otherwise this refuses (AppendLockTooLateError).
   */
  async appendVia(
    runner: SqlRunner,
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    assertUniqueIds(events);
    if (events.length > MAX_EVENTS_PER_TRANSACTION) {
      throw new RangeError(`At most ${MAX_EVENTS_PER_TRANSACTION} events per append`);
    }
    if (runner !== this.runner) await this.lockForAppend(runner);
    const kind = typeof expected === 'bigint' ? 'exact' : expected;
    const exact = typeof expected === 'bigint' ? expected.toString() : null;
    let payload: string | undefined;
    const batch = () =>
      (payload ??= JSON.stringify(
        events.map((event) => ({
          id: event.id,
          type: event.type,
          data: event.data ?? null,
          metadata: event.metadata ?? {},
        })),
      ));

    for (let attempt = 0; ; attempt++) {
      let row: AppendRow | undefined;
      try {
        if (events.length === 1) {
          // The common case has its own statement: no JSON array to unpack, no CTE to materialise.
          const [event] = events;
          const params = [
            streamId,
            event.id,
            event.type,
            JSON.stringify(event.data ?? null),
            JSON.stringify(event.metadata ?? {}),
          ];
          if (
            expected === 'no_stream' &&
            runner === this.runner &&
            this.connection.kind === 'postgres'
          ) {
            // Starting a stream needs no head lookup: revision 0 is taken by the (stream_id,
            // revision) unique index or it is not, and a violation lands in the catch below. Only
            // through the pool (autocommit): in a caller's transaction the error would abort it.
            [row] = await runner.query<AppendRow>(
              this.startStreamSql,
              params,
              this.statement('start_stream'),
            );
          } else {
            [row] = await runner.query<AppendRow>(
              this.appendOneSql,
              [...params, kind, exact],
              this.statement('append_one'),
            );
          }
        } else {
          [row] = await runner.query<AppendRow>(
            this.appendSql,
            [streamId, batch(), kind, exact],
            this.statement('append'),
          );
        }
      } catch (error) {
        if (sqlState(error) !== UNIQUE_VIOLATION)
          throw DatabaseUnavailableError.from(error, 'write') ?? error;
        // A concurrent writer took the revision (or these ids) between our head lookup and insert.
        const replay = await this.replayedResult(streamId, batch(), events);
        if (replay) return replay;
        if (expected === 'any' && attempt < ANY_RETRIES) continue;
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          await this.currentRevision(streamId),
        );
      }
      if (events.length === 0) {
        const actual = BigInt((row as AppendRow).actual as string);
        if (!revisionMatches(expected, actual))
          throw new WrongExpectedRevisionError(streamId, expected, actual);
        return this.emptyAppendResult(streamId, actual);
      }
      if (!row?.next_revision || !row.position) {
        // Nothing inserted: the expectation failed, unless this is a retry of a recorded append.
        const replay = await this.replayedResult(streamId, batch(), events);
        if (replay) return replay;
        const actual =
          row?.actual != null ? BigInt(row.actual) : await this.currentRevision(streamId);
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      if (runner === this.runner) this.announce();
      return { nextRevision: BigInt(row.next_revision), position: BigInt(row.position) };
    }
  }

  /**
   * Announce a caller's transaction as an appender of this store: run it in that transaction
   * before its first write (anything that gives it a transaction id), if it will append through
   * `appendVia` after writing elsewhere. Readers' fence relies on every append transaction holding
   * the lock from before it had an xid (see the class comment). Idempotent within a transaction;
   * refuses (AppendLockTooLateError) when the transaction already has an xid but not the lock.
   */
  async lockForAppend(runner: SqlRunner): Promise<void> {
    const [row] = await runner.query<{ late: boolean }>(this.lockSql, [], this.statement('lock'));
    if (row.late) throw new AppendLockTooLateError(this.schema);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const sql = `
      SELECT ${COLUMNS} FROM ${this.table} e
      WHERE e.stream_id = $1 AND e.revision ${backwards ? '<=' : '>='} $2::bigint
      ORDER BY e.revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`;
    const from = options.from ?? (backwards ? MAX_BIGINT : 0n);
    const rows = await this.runner.query<EventRow>(
      sql,
      [streamId, from.toString(), options.maxCount ?? null],
      this.statement(backwards ? 'read_stream_bwd' : 'read_stream_fwd'),
    );
    return rows.map(toRecorded);
  }

  /**
   * Everything committed before the call (up to maxCount): when committed events wait behind the
   * fence (an older append of this store is still open), waits for it, at most FENCE_WAIT_MS, then
   * returns what is safe. Subscriptions do not wait here; they poll.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? -1n;
    const deadline = Date.now() + FENCE_WAIT_MS;
    for (;;) {
      const fence = await this.currentFence();
      const events = await this.readBelow(fence, after, options.maxCount, options.filter);
      if (options.maxCount !== undefined && events.length >= options.maxCount) return events;
      const checkpoint = events.at(-1)?.position ?? after;
      if (Date.now() >= deadline || !(await this.fencedAt(fence, checkpoint))) return events;
      await sleep(FENCE_RETRY_MS);
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new Error('The event store is closed');
    return new PollingSubscription(this, options);
  }

  /** Waits for the fence like readAll, so it covers the caller's own committed appends. */
  async headPosition(): Promise<bigint> {
    const deadline = Date.now() + FENCE_WAIT_MS;
    for (;;) {
      const fence = await this.currentFence();
      const [row] = await this.runner.query<{ head: string; fenced: boolean }>(
        `SELECT (SELECT coalesce(max(position), 0) FROM ${this.table} WHERE position < $1::bigint)::text AS head,
                EXISTS (SELECT 1 FROM ${this.table} WHERE position >= $1::bigint) AS fenced`,
        [fence.toString()],
        this.statement('head'),
      );
      if (!row.fenced || Date.now() >= deadline) return BigInt(row.head);
      await sleep(FENCE_RETRY_MS);
    }
  }

  /** Ends subscriptions and the listener; the connection belongs to its owner and stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.flushNotifications();
    await this.syncListener();
  }

  /** @internal SubscriptionSource */
  async read(
    after: bigint,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    return this.readBelow(await this.currentFence(), after, maxCount, filter);
  }

  /** `fence` must come from currentFence(), run before this statement. */
  private async readBelow(
    fence: bigint,
    after: bigint,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    const params: unknown[] = [after.toString(), maxCount ?? null, fence.toString()];
    let where = '';
    if (filter?.eventTypes) {
      params.push(JSON.stringify(filter.eventTypes));
      where += ` AND e.type = ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    if (filter?.streamPrefixes) {
      params.push(
        JSON.stringify(
          filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`),
        ),
      );
      where += ` AND e.stream_id LIKE ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    const sql = `
      SELECT ${COLUMNS} FROM ${this.table} e
      WHERE e.position > $1::bigint AND e.position < $3::bigint${where}
      ORDER BY e.position LIMIT $2`;
    const variant = `read_all${filter?.eventTypes ? '_t' : ''}${filter?.streamPrefixes ? '_p' : ''}`;
    const rows = await this.runner.query<EventRow>(sql, params, this.statement(variant));
    return rows.map(toRecorded);
  }

  /** @internal SubscriptionSource */
  async idleDelayMs(after: bigint): Promise<number> {
    void this.syncListener();
    if (await this.fenced(after)) return FENCED_POLL_MS;
    return this.listener && !this.listenerBroken ? IDLE_POLL_MS : FENCED_POLL_MS * 4;
  }

  /** Are there committed events after `after` that readers may not see yet? */
  private async fenced(after: bigint): Promise<boolean> {
    return this.fencedAt(await this.currentFence(), after);
  }

  private async fencedAt(fence: bigint, after: bigint): Promise<boolean> {
    const [row] = await this.runner.query<{ fenced: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${this.table} WHERE position > $1::bigint AND position >= $2::bigint) AS fenced`,
      [after.toString(), fence.toString()],
      this.statement('fenced'),
    );
    return row.fenced;
  }

  /**
   * The position below which every append has either committed or will never commit, as seen by
   * any statement that starts after this one (see the class comment). Its own statement, always.
   */
  private async currentFence(): Promise<bigint> {
    const [row] = await this.runner.query<{ fence: string }>(
      this.fenceSql,
      [],
      this.statement('fence'),
    );
    return BigInt(row.fence);
  }

  private fenceStatement(): string {
    // `l` reads the lock table once (pg_locks is a function scan: joining the view to itself would
    // read it twice, at different moments). pg_locks shows 32-bit xids: each is widened to an xid8
    // by its signed distance from `next` (in-progress xids lie within 2^31 of it, and one assigned
    // since the snapshot may lie above it). The reader's own session is left out: it is never an
    // open append while it runs this statement, and a transaction need not wait for itself.
    return `
      WITH l AS MATERIALIZED (
        SELECT locktype, database, classid, objid, objsubid, virtualtransaction, pid, transactionid, mode, granted
        FROM pg_locks
      ), n AS MATERIALIZED (
        SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next
      )
      SELECT (least(n.next, (
        SELECT min(n.next + ((t.transactionid::text::bigint - (n.next & 4294967295) + 2147483648) & 4294967295) - 2147483648)
        FROM l a JOIN l t ON t.virtualtransaction = a.virtualtransaction
        WHERE a.locktype = 'advisory' AND a.classid = ${APPEND_LOCK_NAMESPACE} AND a.objid = ${appendLockKey(this.schema)}
          AND a.objsubid = 2 AND a.granted
          AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND a.pid IS DISTINCT FROM pg_backend_pid()
          AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
      )) << ${POSITION_SHIFT})::text AS fence
      FROM n`;
  }

  private lockStatement(): string {
    // `before` looks (whether the transaction has an xid, whether it holds the lock) before the
    // outer select takes the lock: a MATERIALIZED CTE is computed before the rows that read it.
    return `
      WITH before AS MATERIALIZED (
        SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS had_xid,
               EXISTS (SELECT 1 FROM pg_locks
                       WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                         AND classid = ${APPEND_LOCK_NAMESPACE} AND objid = ${appendLockKey(this.schema)} AND objsubid = 2
                         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held
      )
      SELECT before.had_xid AND NOT before.held AS late, ${this.lockCall}::text AS locked
      FROM before`;
  }

  /** @internal SubscriptionSource */
  async attach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.add(subscription);
    await this.syncListener();
  }

  /** @internal SubscriptionSource */
  async detach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.delete(subscription);
    await this.syncListener();
  }

  private appendManySql(): string {
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
        SELECT coalesce((SELECT revision FROM ${this.table} WHERE stream_id = $1
                         ORDER BY revision DESC LIMIT 1), -1) AS rev
      ), lk AS MATERIALIZED (
        SELECT ${this.lockCall}::text AS locked
      ), tx AS MATERIALIZED (
        SELECT lk.locked IS NOT NULL AND pg_current_xact_id_if_assigned() IS NULL AS fresh FROM lk
      ), x AS MATERIALIZED (
        SELECT tx.fresh, pg_current_xact_id() AS xid, pg_current_xact_id()::text::bigint << ${POSITION_SHIFT} AS low FROM tx
      ), base AS (
        SELECT x.xid, CASE WHEN x.fresh THEN x.low
                           ELSE coalesce((SELECT max(position) + 1 FROM ${this.table}
                                          WHERE position >= x.low AND position < x.low + ${1 << POSITION_SHIFT}), x.low)
                      END AS p
        FROM x
      ), ins AS (
        INSERT INTO ${this.table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
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

  private appendOneStatement(): string {
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
      INSERT INTO ${this.table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
      SELECT ${this.nextPosition()}, pg_current_xact_id(), $1, h.rev + 1, $2, $3, $4::jsonb, $5::jsonb
      FROM ${this.lockSubquery()},
           (SELECT coalesce(max(revision), -1) AS rev FROM ${this.table} WHERE stream_id = $1) h
      WHERE CASE $6::text WHEN 'any' THEN true
                          WHEN 'no_stream' THEN h.rev = -1
                          WHEN 'exists' THEN h.rev >= 0
                          ELSE h.rev = $7::bigint END
      RETURNING revision::text AS next_revision, position::text AS position`;
  }

  /** A single event starting a stream (revision 0), for `no_stream` through the pool. */
  private startStreamStatement(): string {
    return `
      INSERT INTO ${this.table} (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
      SELECT ${this.nextPosition()}, pg_current_xact_id(), $1, 0, $2, $3, $4::jsonb, $5::jsonb
      FROM ${this.lockSubquery()}
      RETURNING revision::text AS next_revision, position::text AS position`;
  }

  /** The append lock as a one-row FROM item `lk`, computed before its statement's select list. */
  private lockSubquery(): string {
    return `(SELECT ${this.lockCall}::text AS locked OFFSET 0) lk`;
  }

  /**
   * The position of a single-event statement's row; see appendOneStatement. It reads `lk.locked`
   * (never null) so the lock is a data dependency of the row, not only of the plan's shape.
   */
  private nextPosition(): string {
    const low = `(pg_current_xact_id()::text::bigint << ${POSITION_SHIFT})`;
    return `CASE WHEN lk.locked IS NULL THEN NULL
                 WHEN pg_current_xact_id_if_assigned() IS NULL THEN ${low}
                 ELSE (SELECT coalesce((SELECT max(position) + 1 FROM ${this.table}
                                        WHERE position >= x.low AND position < x.low + ${1 << POSITION_SHIFT}), x.low)
                       FROM (SELECT ${low} AS low OFFSET 0) x)
            END`;
  }

  /**
   * After a mismatch or unique violation: if every id is already recorded, in this stream, in this
   * order, with the same content, this is a retry and gets the original result. Ids that exist
   * otherwise are a conflict. No id recorded: `undefined`, the caller reports the revision conflict.
   */
  private async replayedResult(
    streamId: string,
    payload: string,
    events: readonly EventToAppend[],
  ): Promise<AppendResult | undefined> {
    const rows = await this.runner.query<ExistingRow>(
      `SELECT e.ord::text AS ord, r.stream_id, r.revision::text AS revision, r.position::text AS position,
              (r.type = e.value->>'type' AND r.data = e.value->'data' AND r.metadata = e.value->'metadata') AS same
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, ord)
       JOIN ${this.table} r ON r.event_id = e.value->>'id'
       ORDER BY e.ord`,
      [payload],
      this.statement('existing'),
    );
    if (rows.length === 0) return undefined;
    const recorded = new Map(rows.map((row) => [Number(row.ord) - 1, row]));
    let previous: ExistingRow | undefined;
    for (let i = 0; i < events.length; i++) {
      const row = recorded.get(i);
      const consistent =
        row !== undefined &&
        row.same &&
        row.stream_id === streamId &&
        (previous === undefined || BigInt(row.revision) === BigInt(previous.revision) + 1n);
      if (!consistent) throw new EventIdConflictError(events[i].id);
      previous = row;
    }
    const last = previous as ExistingRow;
    return { nextRevision: BigInt(last.revision), position: BigInt(last.position) };
  }

  private async currentRevision(streamId: string): Promise<bigint> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last?.revision ?? -1n;
  }

  private async emptyAppendResult(streamId: string, revision: bigint): Promise<AppendResult> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return { nextRevision: revision, position: last?.position ?? 0n };
  }

  private statement(name: string): string {
    return `es_${this.schema}_${name}`;
  }

  /**
   * Wake this process's subscribers at once, and other processes through NOTIFY. The NOTIFY is not
   * part of the append's transaction on purpose: PostgreSQL serialises the commits of all
   * transactions that notify (a database-wide lock held through the commit's WAL flush), which would
   * cap append throughput at one commit at a time. Throttled: the first append after a quiet spell
   * notifies at once; appends within NOTIFY_GAP_MS of the last NOTIFY share one more, sent when the
   * gap has passed (after their commits). So at most one NOTIFY round trip per gap, whatever the rate.
   */
  private announce(): void {
    for (const subscription of this.subscriptions) subscription.wake();
    this.notifyPending = true;
    this.scheduleNotification();
  }

  private scheduleNotification(): void {
    if (this.notifyInFlight || this.notifyTimer) return;
    const wait = this.lastNotifyAt + NOTIFY_GAP_MS - performance.now();
    if (wait <= 0) {
      this.notifyInFlight = this.sendNotification();
      return;
    }
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.notifyInFlight = this.sendNotification();
    }, wait);
  }

  private async sendNotification(): Promise<void> {
    this.notifyPending = false;
    this.lastNotifyAt = performance.now();
    try {
      await this.runner.query(
        'SELECT pg_notify($1, NULL)',
        [this.channel],
        this.statement('notify'),
      );
    } catch {
      // Best effort: subscribers elsewhere still poll.
    } finally {
      this.notifyInFlight = undefined;
    }
    // Appends announced while this NOTIFY was on its way may have committed after it: one more.
    if (this.notifyPending) this.scheduleNotification();
  }

  /** At close: send the NOTIFY still owed to earlier appends now rather than after the gap. */
  private async flushNotifications(): Promise<void> {
    for (;;) {
      if (this.notifyTimer) {
        clearTimeout(this.notifyTimer);
        this.notifyTimer = undefined;
        this.notifyInFlight = this.sendNotification();
      }
      if (!this.notifyInFlight) return;
      await this.notifyInFlight;
    }
  }

  /** Keep one listener while any subscription is open; serialised so starts and stops never interleave. */
  private syncListener(): Promise<void> {
    this.listenerSync = this.listenerSync.then(async () => {
      const wanted = this.subscriptions.size > 0 && !this.closed;
      if (this.listener && (this.listenerBroken || !wanted)) {
        const listener = this.listener;
        this.listener = undefined;
        await listener.stop().catch(() => undefined);
      }
      if (wanted && !this.listener) {
        this.listenerBroken = false;
        this.listener = await this.startListener().catch(() => undefined);
      }
    });
    return this.listenerSync;
  }

  private async startListener(): Promise<{ stop(): Promise<void> }> {
    const wakeAll = () => {
      for (const subscription of this.subscriptions) subscription.wake();
    };
    if (this.connection.kind === 'pglite') {
      const unlisten = await this.connection.db.listen(this.channel, wakeAll);
      return { stop: unlisten };
    }
    // A dedicated client: LISTEN is per session, and a pooled query client changes session.
    const client = await this.connection.pool.connect();
    let failed: Error | undefined;
    const onError = (error: Error) => {
      failed = error;
      this.listenerBroken = true;
      wakeAll();
    };
    client.on('notification', wakeAll);
    client.on('error', onError);
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return {
      stop: async () => {
        client.off('notification', wakeAll);
        try {
          if (!failed) await client.query(`UNLISTEN "${this.channel}"`);
        } catch (error) {
          failed = error as Error;
        }
        client.off('error', onError);
        client.release(failed);
      },
    };
  }
}

const MAX_BIGINT = 9223372036854775807n;

/**
 * An append through a caller's transaction that already had a transaction id without holding the
 * append lock: readers could have passed its position already, so its events might be skipped.
 */
export class AppendLockTooLateError extends Error {
  readonly code = 'EVENT_STORE_APPEND_LOCK_TOO_LATE';
  constructor(readonly schema: string) {
    super(
      `Event store ${schema}: this transaction wrote before it took the append lock; call lockForAppend first in the transaction`,
    );
    this.name = 'AppendLockTooLateError';
  }
}

// Positions and revisions travel as text (PGlite would turn int8 into a lossy number). Queries
// alias the table `e` and order by `e.<column>`: a bare ORDER BY name would pick the text alias.
const COLUMNS = `e.position::text AS position, e.stream_id, e.revision::text AS revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at`;

function toRecorded(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
  };
}
