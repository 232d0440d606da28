import { APPEND_LOCK_NAMESPACE, appendLockKey, POSITION_SHIFT } from './schema';
import type { SqlStoreContext } from './sql-context';

/**
 * The visibility fence: which positions a reader of the log may see without ever missing a late
 * commit.
 *
 * Global order and checkpoints. Every row stores its writer's `pg_current_xact_id()`, and its
 * position is `(xid << 20) + n` (see POSITION_SHIFT). A bigserial could not give a safe checkpoint:
 * sequence values are handed out in statement order, not commit order. Positions are in xid order,
 * and readers of the log only see positions below a fence that no append still in flight lies
 * under, so a checkpoint (a plain bigint, the last delivered position) can never jump over a late
 * commit.
 *
 * The argument. Every append statement first takes a transaction-level shared advisory lock
 * (APPEND_LOCK_NAMESPACE, appendLockKey(schema); see sql-append-statements.ts) and only then
 * anything that assigns the transaction its xid; the lock is held until the transaction ends. A
 * reader first runs the fence statement on its own: F = least(next, min xid of every other
 * transaction holding that lock in this database), where `next` is its snapshot's xmax and the
 * holders come from one read of the lock table (`pg_locks`, the lock rows joined on the virtual
 * transaction id to each holder's own `transactionid` lock); then, in a later statement with a
 * later snapshot, it reads positions below `F << 20`. Take an append transaction T with xid x < F
 * that commits:
 *   - T got x before the fence statement's snapshot (xids assigned later are >= next >= F);
 *   - so T held the lock, with x assigned, from before that snapshot until it ended;
 *   - the lock table read came after the snapshot: had T still held the lock then, F <= x. So T
 *     had already ended, and PostgreSQL makes a transaction visible before it releases its locks:
 *     the read statement's snapshot, taken later still, sees all of T's rows.
 * Nothing below the fence can therefore appear after a reader passed it. Transactions that are
 * not appends (another database, psql, maintenance, projections) never hold the lock and do not
 * hold readers back; an append still open only holds back positions above its own. Conditions:
 * the lock before the xid (every append statement orders it so; a caller's transaction must call
 * `lockForAppend` before it writes anything, which `appendVia` checks), and the fence read in its
 * own statement before the read (READ COMMITTED: each statement takes a new snapshot). Both
 * rows come from the main lock table, which `pg_lock_status()` copies under all its partition
 * locks at once, so the join sees one consistent state. `readStream` is not fenced, so command
 * handlers always see their stream's latest committed revision.
 */
export class AppendFence {
  private readonly fenceSql: string;
  private readonly fenceAndLastSql: string;
  /**
   * PGlite: one connection, on which a statement outside a transaction waits while a transaction
   * is open (PGlite's transaction mutex, kept in its thread), and one process per data directory
   * (its lock). No append can be open while a reader's statement runs, so everything committed
   * is safe to read: the fence is the end of the log, known without a statement.
   */
  private readonly singleConnection: boolean;

  constructor(private readonly ctx: SqlStoreContext) {
    this.fenceSql = fenceStatement(ctx.schema);
    // max() over the primary key: one backward index probe whatever the plan.
    this.fenceAndLastSql = fenceStatement(
      ctx.schema,
      `(SELECT coalesce(max(position), 0) FROM ${ctx.table})::text AS last`,
    );
    this.singleConnection = ctx.connection.kind === 'pglite';
  }

  /**
   * The position below which every append has either committed or will never commit, as seen by
   * any statement that starts after this one. Its own statement, always (on PGlite, none).
   */
  async current(): Promise<bigint> {
    if (this.singleConnection) return NO_FENCE;
    const [row] = await this.ctx.runner.query<{ fence: string }>(
      this.fenceSql,
      [],
      this.ctx.statement('fence'),
    );
    return BigInt(row.fence);
  }

  /**
   * `current()` and, from the same statement's snapshot, the last committed position: what a read
   * starting now owes its caller ends there (on PGlite, without a statement, `last` unknown).
   */
  async currentAndLast(): Promise<{ fence: bigint; last: bigint | undefined }> {
    if (this.singleConnection) return { fence: NO_FENCE, last: undefined };
    const [row] = await this.ctx.runner.query<{ fence: string; last: string }>(
      this.fenceAndLastSql,
      [],
      this.ctx.statement('fence_last'),
    );
    return { fence: BigInt(row.fence), last: BigInt(row.last) };
  }

  /** Are there committed events after `after` that readers may not see yet? */
  async holdsBack(after: bigint): Promise<boolean> {
    return this.holdsBackAt(await this.current(), after);
  }

  /** As `holdsBack`, for a fence the caller read already. */
  async holdsBackAt(fence: bigint, after: bigint): Promise<boolean> {
    if (fence === NO_FENCE) return false;
    // min() rather than EXISTS: for a prepared statement PostgreSQL soon switches to a generic
    // plan, and its generic plan for EXISTS over a range is a sequential scan (it guesses a third
    // of the rows match, so the first match looks near) — a scan of the whole log on every idle
    // turn of every subscription. min() over the primary key is one index probe whatever the plan.
    const [row] = await this.ctx.runner.query<{ fenced: boolean }>(
      `SELECT (SELECT min(position) FROM ${this.ctx.table} WHERE position > $1::bigint AND position >= $2::bigint) IS NOT NULL AS fenced`,
      [after.toString(), fence.toString()],
      this.ctx.statement('fenced'),
    );
    return row.fenced;
  }
}

/** The largest bigint: every position lies below it (PGlite's fence). */
export const NO_FENCE = 2n ** 63n - 1n;

function fenceStatement(schema: string, extraColumn?: string): string {
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
        WHERE a.locktype = 'advisory' AND a.classid = ${APPEND_LOCK_NAMESPACE} AND a.objid = ${appendLockKey(schema)}
          AND a.objsubid = 2 AND a.granted
          AND a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND a.pid IS DISTINCT FROM pg_backend_pid()
          AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' AND t.granted
      )) << ${POSITION_SHIFT})::text AS fence${extraColumn ? `, ${extraColumn}` : ''}
      FROM n`;
}
