import type { LogPages } from './runner-log-pages';
import type { EventStore } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
import { exponentialDelay } from '@arbiter/platform/backoff';
import type { ReadDb } from './database';
import { processOwner } from './locks';

/**
 * `standby`: another process holds the projection's lock; `catching-up`: reading the log in
 * batches; `live`: following the subscription; `failed`: stopped at `failedPosition` until a
 * restart or `retry()`; `rebuilding`: reset and replaying (in place), or replaying into new tables
 * (a blue/green rebuild's own status, beside the live worker's).
 */
export type ProjectionState =
  'idle' | 'standby' | 'catching-up' | 'live' | 'failed' | 'rebuilding' | 'stopped';

export interface ProjectionError {
  message: string;
  /** The event the handler failed on; absent for store or database errors outside a handler. */
  position?: bigint;
  attempts: number;
  at: Date;
}

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Last checkpoint this process committed or loaded; null while it has never held the projection. */
  checkpoint: bigint | null;
  /** The highest position known to be reflected (>= checkpoint: the head after an idle catch-up). */
  passedThrough: bigint | null;
  failedPosition: bigint | null;
  lastError: ProjectionError | null;
  /** Events applied by this process since it started. */
  eventsApplied: number;
  since: Date;
}

export interface RetryPolicy {
  /**
   * Handler attempts per event before the projection stops at it; transient errors (database
   * deadlocks, timeouts and connections; whatever the projection's `isTransient` says) do not count.
   */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProjectionRunnerOptions {
  /** Events per read, and at most per transaction. */
  batchSize?: number;
  /**
   * How long a batch's transaction should stay open, at most (default 250 ms): a projection that
   * applies event by event commits what it has once past it and goes on in a new transaction; one
   * with `applyBatch` gets half as many events in its next transaction after a slower one, and
   * twice as many (up to `batchSize`) after one under half of it. Each commit carries its own
   * checkpoint, so nothing is applied twice or skipped. Long transactions hold back vacuum and keep row
   * locks (PostgreSQL), or hold the only connection (PGlite).
   */
  maxTransactionMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How often a standby tries to take a projection's lock. */
  lockRetryMs?: number;
  /** How often `waitForPosition` re-checks a projection that has nothing to apply. */
  waitPollMs?: number;
  /** Shown in the checkpoint table as the holder; default host:pid. */
  owner?: string;
  logger?: RunnerLogger;
  /**
   * The window over the log that projections catching up share (runner-log-pages.ts): events
   * kept, and events per read of the store. Defaults 20,000 and 2,000. Tests shrink it so that it
   * moves, drops events and is read past at every turn.
   */
  catchUpWindow?: { events: number; page: number };
}

export interface RebuildProgress {
  projection: string;
  /** The checkpoint reached so far. */
  position: bigint;
  /** The store's head as last read; the target of this rebuild. */
  head: bigint;
  eventsApplied: number;
  eventsPerSecond: number;
  elapsedMs: number;
  done: boolean;
}

/**
 * `blue-green`: the projection is replayed into new tables while the live ones keep serving (and
 * the live worker keeps applying new events to them), then they are switched over atomically; for
 * projections that declare their `tables`. `in-place`: the live worker is paused, the tables reset
 * and replayed, so the views are empty or partial meanwhile; for the others, or when asked for.
 */
export type RebuildMode = 'blue-green' | 'in-place';

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  /**
   * How long to wait for a lock, default 0 (fail at once): in place, for another process to
   * release the projection (`ProjectionBusyError`); blue/green, for another rebuild of it to end
   * (`RebuildRunningError`).
   */
  lockTimeoutMs?: number;
  /** Force a mode; default blue/green where the projection declares its tables, else in place. */
  mode?: RebuildMode;
  /**
   * Blue/green only: awaited once the new tables have caught up with the log, before the switch
   * (the live tables still serve meanwhile). For tests and scripted checks.
   */
  beforeSwitch?: () => Promise<void>;
}

export interface RebuildResult {
  projection: string;
  /** How it was rebuilt (see `RebuildMode`). */
  mode: RebuildMode;
  eventsApplied: number;
  elapsedMs: number;
  position: bigint;
}

/** The options with their defaults filled in. */
export interface Settings {
  batchSize: number;
  maxTransactionMs: number;
  retry: RetryPolicy;
  lockRetryMs: number;
  waitPollMs: number;
  owner: string;
  logger: RunnerLogger;
}

/** What every worker of one runner shares. */
export interface Dependencies {
  eventStore: EventStore;
  /** Where the projections' locks live. */
  connection: SqlConnection;
  db: ReadDb;
  settings: Settings;
  /** The log as catch-ups read it: one read shared by every projection of this runner. */
  pages: LogPages;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 };

const silentLogger: RunnerLogger = {
  log: () => undefined,
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

export function settingsFrom(options: ProjectionRunnerOptions): Settings {
  return {
    batchSize: options.batchSize ?? 500,
    maxTransactionMs: options.maxTransactionMs ?? 250,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    lockRetryMs: options.lockRetryMs ?? 2_000,
    waitPollMs: options.waitPollMs ?? 25,
    owner: options.owner ?? processOwner,
    logger: options.logger ?? silentLogger,
  };
}

/** Exponential, capped: the delay before the `attempt`-th retry. */
export function backoffMs(retry: RetryPolicy, attempt: number): number {
  return exponentialDelay(attempt, { initialMs: retry.initialDelayMs, maxMs: retry.maxDelayMs });
}
