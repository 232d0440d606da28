import type { SqlConnection } from '@arbiter/platform';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../port';
import { PollingSubscription, SubscriptionSource } from '../subscription';
import { assertTransactionIdsAhead, DEFAULT_SCHEMA, migrateEventStoreSchema } from './schema';
import { SqlAppender } from './sql-append';
import { SqlStoreContext, sqlStoreContext } from './sql-context';
import { AppendFence } from './sql-fence';
import { SqlNotifier } from './sql-notify';
import { SqlReader } from './sql-read';
import { SqlTail } from './sql-tail';
import type { SqlRunner } from './sql-runner';

export { AppendLockTooLateError } from './sql-append';

export interface SqlEventStoreOptions {
  /** PostgreSQL schema holding the store's table; tests use their own. Default `arbiter`. */
  schema?: string;
  /**
   * How long `readAll` and `headPosition` wait at most for older appends still open before they
   * answer with what is safe to read (default 2 s).
   */
  fenceWaitMs?: number;
  /**
   * The window over the log's end that live subscriptions share (sql-tail.ts): events kept, and
   * events per read of the store. Defaults 5,000 and 1,000. Tests shrink it so that it moves,
   * drops events and is read past at every turn.
   */
  tailWindow?: { events: number; page: number };
}

/** Runs the start-up migration and refuses a database whose xids went backwards, then returns the store. */
export async function createSqlEventStore(
  connection: SqlConnection,
  options: SqlEventStoreOptions = {},
): Promise<SqlEventStore> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  await migrateEventStoreSchema(connection, schema);
  await assertTransactionIdsAhead(connection, schema);
  return new SqlEventStore(connection, schema, options);
}

/** Safety net for a lost notification (e.g. the listener connection dropped). */
const IDLE_POLL_MS = 500;
/** Committed events are waiting behind an older open append: look again soon. */
const FENCED_POLL_MS = 15;

/**
 * The event store on PostgreSQL (`pg`) and PGlite, one implementation, in parts: appends
 * (sql-append.ts, its statements and the append lock in sql-append-statements.ts), reads
 * (sql-read.ts) below the visibility fence (sql-fence.ts: why a checkpoint never skips a late
 * commit), and wake-ups (sql-notify.ts).
 */
export class SqlEventStore implements EventStore, SubscriptionSource {
  private readonly ctx: SqlStoreContext;
  private readonly fence: AppendFence;
  private readonly reader: SqlReader;
  private readonly appender: SqlAppender;
  private readonly notifier: SqlNotifier;
  private readonly tail: SqlTail;

  constructor(
    connection: SqlConnection,
    readonly schema: string = DEFAULT_SCHEMA,
    options: Pick<SqlEventStoreOptions, 'fenceWaitMs' | 'tailWindow'> = {},
  ) {
    this.ctx = sqlStoreContext(connection, schema);
    this.fence = new AppendFence(this.ctx);
    this.reader = new SqlReader(this.ctx, this.fence, options.fenceWaitMs);
    this.tail = new SqlTail(this.reader, options.tailWindow?.events, options.tailWindow?.page);
    this.notifier = new SqlNotifier(this.ctx, () => this.tail.touch());
    this.appender = new SqlAppender(this.ctx, this.reader, () => this.notifier.announce());
  }

  /**
   * A database fault fails it with DatabaseUnavailableError, whose `outcome` says whether the
   * events may have been committed: `UNKNOWN` only when the inserting statement was sent and no
   * answer came back.
   */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    return this.appender.append(streamId, events, options);
  }

  /**
   * @internal Test hook: append through a caller-held transaction (`pgRunner(client)` after BEGIN)
   * so tests can hold a writer open. Subscribers are only woken by later appends or polling.
   * The transaction must not have written anything before its first append unless it called
   * `lockForAppend` first; otherwise this refuses (AppendLockTooLateError).
   */
  appendVia(
    runner: SqlRunner,
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    return this.appender.appendVia(runner, streamId, events, options);
  }

  /**
   * Announce a caller's transaction as an appender of this store: run it in that transaction
   * before its first write (anything that gives it a transaction id), if it will append through
   * `appendVia` after writing elsewhere. Readers' fence relies on every append transaction holding
   * the lock from before it had an xid (see sql-fence.ts). Idempotent within a transaction;
   * refuses (AppendLockTooLateError) when the transaction already has an xid but not the lock.
   */
  lockForAppend(runner: SqlRunner): Promise<void> {
    return this.appender.lockForAppend(runner);
  }

  /** Not fenced: a command handler always sees its stream's latest committed revision. */
  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.reader.readStream(streamId, options);
  }

  /**
   * Everything committed before the call (up to maxCount): when committed events wait behind the
   * fence (an older append of this store is still open), waits for it, at most 2 s, then returns
   * what is safe. Subscriptions do not wait here; they poll.
   */
  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.reader.readAll(options);
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    if (this.notifier.isClosed) throw new Error('The event store is closed');
    return new PollingSubscription(this, options);
  }

  /** Waits for the fence like readAll, so it covers the caller's own committed appends. */
  headPosition(): Promise<bigint> {
    return this.reader.headPosition();
  }

  /** Ends subscriptions and the listener; the connection belongs to its owner and stays open. */
  close(): Promise<void> {
    return this.notifier.close();
  }

  /** @internal SubscriptionSource */
  read(
    after: bigint,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    return this.tail.read(after, maxCount ?? Number.MAX_SAFE_INTEGER, filter);
  }

  /** @internal SubscriptionSource */
  async idleDelayMs(after: bigint): Promise<number> {
    this.notifier.resync();
    // A subscription in the shared window was answered by the window's last read, which saw
    // whether committed events wait behind the fence; one before it asks the store itself.
    const waiting = this.tail.covers(after)
      ? this.tail.waitingBehindFence
      : await this.fence.holdsBack(after);
    if (waiting) return FENCED_POLL_MS;
    return this.notifier.listening() ? IDLE_POLL_MS : FENCED_POLL_MS * 4;
  }

  /** @internal SubscriptionSource */
  attach(subscription: PollingSubscription): Promise<void> {
    return this.notifier.attach(subscription);
  }

  /** @internal SubscriptionSource */
  detach(subscription: PollingSubscription): Promise<void> {
    return this.notifier.detach(subscription);
  }
}
