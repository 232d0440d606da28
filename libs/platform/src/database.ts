import { PGlite } from '@electric-sql/pglite';
import { Client, ClientBase, ClientConfig, Pool, PoolClient, PoolConfig } from 'pg';
import { lockDataDir } from './data-dir-lock';
import { EmbeddedDatabase, PGliteRemote } from './pglite-remote';
import { isInMemory, pgliteOptions } from './pglite-wasm';

/**
 * One SQL database shared by the event store and the read models. In embedded mode both live in
 * the same PGlite instance (a data directory can be opened by one instance only), by default in a
 * thread of its own (`PGliteRemote`); in production both use one PostgreSQL pool.
 */
export type SqlConnection =
  | { kind: 'postgres'; pool: Pool; close(): Promise<void> }
  | { kind: 'pglite'; db: EmbeddedDatabase; close(): Promise<void> };

/**
 * Where PGlite runs its queries (`PGLITE_THREAD`): `worker`, a thread of its own, so that the
 * database's work does not hold the event loop that serves requests; `main`, the caller's thread.
 */
export type PgliteThread = 'worker' | 'main';

/**
 * How long PostgreSQL work may take before it fails (the `DATABASE_*` settings). A network
 * partition then surfaces as an error within seconds instead of after TCP gives up (minutes).
 * 0 turns a timeout off.
 */
export interface PostgresTimeouts {
  /** Connections in the pool. */
  poolSize: number;
  /** Opening a connection, and waiting for a free pooled one. */
  connectTimeoutMs: number;
  /** Server side (`statement_timeout`): the server cancels a statement running longer. */
  statementTimeoutMs: number;
  /**
   * Client side: no answer within this and the query fails and its connection is discarded. A
   * little longer than the statement timeout, so it only fires when the server cannot answer.
   */
  queryTimeoutMs: number;
  /** Server side (`idle_in_transaction_session_timeout`): ends a session left inside a transaction. */
  idleInTransactionTimeoutMs: number;
  /** TCP keepalive probes start after this much silence on a connection (0: no keepalive). */
  keepAliveMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: PostgresTimeouts = {
  poolSize: 20,
  connectTimeoutMs: 3_000,
  statementTimeoutMs: 5_000,
  queryTimeoutMs: 7_000,
  idleInTransactionTimeoutMs: 60_000,
  keepAliveMs: 10_000,
};

export type SqlConnectionOptions =
  | {
      kind: 'postgres';
      url: string;
      /** Defaults: DEFAULT_POSTGRES_TIMEOUTS. */
      timeouts?: Partial<PostgresTimeouts>;
      pool?: Omit<PoolConfig, 'connectionString'>;
    }
  /** `dataDir` undefined (or 'memory://') keeps the database in memory. `thread`: default `worker`. */
  | { kind: 'pglite'; dataDir?: string; thread?: PgliteThread };

/**
 * Each session compresses what it stores with lz4 where the server has it (PostgreSQL 14 and later
 * built with lz4, as the usual packages are) instead of pglz: a dispute's view is a few kilobytes
 * of JSON written on every change of its dispute, and pglz was about a tenth of PostgreSQL's CPU
 * in a rebuild. A session setting, not a column's: no table is locked to change it, tables created
 * later have it, and values stored before keep pglz and read as before. PGlite has no lz4.
 */
const LZ4_WHERE_AVAILABLE = `SELECT set_config('default_toast_compression', 'lz4', false)
  FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)`;

/** Sets it on one connection: the product's pools run it as each connection opens (`onConnect`). */
export async function compressWithLz4WhereAvailable(client: ClientBase): Promise<void> {
  await client.query(LZ4_WHERE_AVAILABLE);
}

export async function openSqlConnection(options: SqlConnectionOptions): Promise<SqlConnection> {
  if (options.kind === 'postgres') {
    const pool = new Pool({
      connectionString: options.url,
      ...postgresPoolConfig({ ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts }),
      ...options.pool,
    });
    // An idle client's network error must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return { kind: 'postgres', pool, close: () => pool.end() };
  }
  const dataDir = options.dataDir ?? 'memory://';
  // A data directory is one process's: refuse a second process rather than corrupt it.
  const unlock = isInMemory(dataDir) ? () => undefined : lockDataDir(dataDir);
  let db: EmbeddedDatabase;
  try {
    db =
      options.thread === 'main'
        ? await PGlite.create(await pgliteOptions(dataDir))
        : await PGliteRemote.create(dataDir);
  } catch (error) {
    unlock();
    throw error;
  }
  return {
    kind: 'pglite',
    db,
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}

/** node-postgres settings for the timeouts (pg-pool hands the client options to every client). */
export function postgresPoolConfig(timeouts: PostgresTimeouts): PoolConfig {
  const positive = (ms: number) => (ms > 0 ? ms : undefined);
  return {
    max: timeouts.poolSize,
    // pg: a new connection; pg-pool: also the wait for a pooled one (`timeout exceeded when trying to connect`).
    connectionTimeoutMillis: positive(timeouts.connectTimeoutMs),
    statement_timeout: positive(timeouts.statementTimeoutMs),
    query_timeout: positive(timeouts.queryTimeoutMs),
    idle_in_transaction_session_timeout: positive(timeouts.idleInTransactionTimeoutMs),
    keepAlive: timeouts.keepAliveMs > 0,
    keepAliveInitialDelayMillis: positive(timeouts.keepAliveMs),
    application_name: 'arbiter',
    Client: DiscardingClient,
    // Run on each new connection before it is handed out; if it fails, the connection is closed
    // and the checkout fails with it.
    onConnect: compressWithLz4WhereAvailable,
  };
}

const QUERY_READ_TIMEOUT = /^Query read timeout/;

/**
 * A pg client that closes its connection when a query's client-side timeout passes. pg itself only
 * stops waiting: the connection stays busy with the unanswered statement (for a partition, until
 * TCP gives up), and a dedicated client (a projection lease, the LISTEN connection, a transaction)
 * would hang on it. Closed, it errors at once: the pool drops it, a lease ends, a listener restarts.
 */
class DiscardingClient extends Client {
  constructor(config?: ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    const discard = (error: unknown) => {
      if (error instanceof Error && QUERY_READ_TIMEOUT.test(error.message)) this.discard();
    };
    (this as { query: unknown }).query = (...args: unknown[]) => {
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (error: unknown, result: unknown) => {
          (last as (error: unknown, result: unknown) => void)(error, result);
          discard(error);
        };
        return query(...args);
      }
      const result = query(...args);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          discard(error);
          throw error;
        });
      }
      return result;
    };
  }

  private discard(): void {
    const stream = (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection
      ?.stream;
    // The resulting `error` event must not crash a process whose owner listens no more.
    if (this.listenerCount('error') === 0) this.on('error', () => undefined);
    stream?.destroy();
  }
}

/**
 * A connection outside the pool without the statement and query timeouts, for work that may
 * legitimately run long (schema migrations, which may also wait for another process's migration
 * lock). Connect timeout and keepalive still apply. `release()` closes it.
 */
export async function connectWithoutTimeouts(pool: Pool): Promise<PoolClient> {
  const client = new Client({
    ...pool.options,
    statement_timeout: undefined,
    query_timeout: undefined,
    idle_in_transaction_session_timeout: undefined,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await compressWithLz4WhereAvailable(client);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return Object.assign(client, {
    release: () => {
      void client.end().catch(() => undefined);
    },
  }) as unknown as PoolClient;
}
