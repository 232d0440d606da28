import { z } from 'zod';
import { emptyAsUndefined } from './config-values';

/** The process's mode and where its data lives: event store, SQL database, KurrentDB, PGlite. */
export const storageSettings = {
  NODE_ENV: z.preprocess(
    emptyAsUndefined,
    z.enum(['development', 'production', 'test']).default('development'),
  ),
  EVENT_STORE: z.preprocess(
    emptyAsUndefined,
    z.enum(['pglite', 'postgres', 'kurrentdb', 'memory']).default('pglite'),
  ),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  /** PostgreSQL connections per process (one pool shared by the event store and the read models). */
  DATABASE_POOL_SIZE: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(1000).default(20),
  ),
  /** Opening a PostgreSQL connection, and waiting for a free pooled one; 0: no limit. */
  DATABASE_CONNECT_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).default(3_000),
  ),
  /** Server-side `statement_timeout`: PostgreSQL cancels a statement running longer; 0: none. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).default(5_000),
  ),
  /**
   * Client-side: a query with no answer within this fails and its connection is closed (a
   * partition). Default: the statement timeout plus 2 s (none when that is off).
   */
  DATABASE_QUERY_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).optional(),
  ),
  /** Server-side `idle_in_transaction_session_timeout`: ends a session idle inside a transaction. */
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).default(60_000),
  ),
  /** TCP keepalive on PostgreSQL connections: probes start after this much silence; 0: off. */
  DATABASE_KEEPALIVE_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).default(10_000),
  ),
  /**
   * Folded dispute and order streams each process keeps between commands, so a command reads only
   * the events appended since (libs/disputes `StateCache`); 0: none, every command reads its
   * whole stream.
   */
  STATE_CACHE_STREAMS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(1_000_000).default(2_000),
  ),
  /** Events the state cache holds across its streams, at most (a longer stream is not kept). */
  STATE_CACHE_EVENTS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  ),
  /** KurrentDB (EventStoreDB) connection string; required when EVENT_STORE=kurrentdb. */
  KURRENTDB_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(
        /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\/[^/?#\s]+/,
        'must be a KurrentDB connection string: kurrentdb://, kurrentdb+discover:// (kurrent, kdb and esdb also work)',
      )
      .optional(),
  ),
  /**
   * A name for this deployment's streams in KurrentDB: every stream id is stored as
   * `<name>.<id>`, so several deployments (or test runs) can share one server, each seeing only
   * its own streams. No dots, so one name can never be the start of another's (`prod.` vs
   * `prod2.`).
   */
  KURRENTDB_STREAM_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, _ and - (no dots)')
      .optional(),
  ),
  /**
   * The master key of personal data (crypto-shredding): base64 of 32 random bytes
   * (`openssl rand -base64 32`). Every person's data key is stored wrapped with it; losing it
   * loses every personal field. Required in production; elsewhere a development key is kept in
   * PGLITE_DATA_DIR (or made per process for an in-memory database).
   */
  PERSONAL_DATA_KEY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (value) =>
          /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32,
        'must be 32 bytes in base64 (openssl rand -base64 32)',
      )
      .optional(),
  ),
  PGLITE_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  /**
   * Where the embedded database runs its queries: `worker`, a thread of its own (request
   * handling goes on while a query runs); `main`, the event loop's own thread.
   */
  PGLITE_THREAD: z.preprocess(emptyAsUndefined, z.enum(['worker', 'main']).default('worker')),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
  /**
   * SIGTERM/SIGINT drains within this (readiness 503, listener closed, in-flight requests
   * answered, runners stopped between batches, databases closed), else the process exits 1
   * naming what was still running. Under Kubernetes' default 30 s grace period.
   */
  SHUTDOWN_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().positive().default(25_000),
  ),
  /**
   * After SIGTERM, how long the process keeps serving with readiness at 503 before it closes its
   * listener: for load balancers that learn of the shutdown only from the readiness probe.
   * Counted within SHUTDOWN_TIMEOUT_MS.
   */
  SHUTDOWN_DELAY_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(0)),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise (log-format.ts). */
  LOG_FORMAT: z.preprocess(emptyAsUndefined, z.enum(['auto', 'json', 'pretty']).default('auto')),
  /** `inline`: the gateway also runs projections and deadlines; `off`: a separate worker does. */
  WORKERS: z.preprocess(emptyAsUndefined, z.enum(['inline', 'off']).default('inline')),
};
