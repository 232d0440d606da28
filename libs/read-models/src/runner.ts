import type { EventStore, RecordedEvent, Subscription } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
// Uninterruptible, unlike this.sleep: read-your-writes waits are short and bounded.
import { exponentialDelay, sleep as delay } from '@arbiter/platform/backoff';
import {
  advanceCheckpoint,
  ensureCheckpoint,
  markFailed,
  readCheckpoint,
  rewindCheckpoint,
} from './checkpoints';
import { ReadDb, readDbFor } from './database';
import {
  isProjectionLeaseHeld,
  processOwner,
  ProjectionLease,
  tryAcquireProjectionLease,
} from './locks';
import { AnyProjection, ProjectionRegistry } from './projection';
import { START_POSITION } from './schema';

/**
 * `standby`: another process holds the projection's lock; `catching-up`: reading the log in
 * batches; `live`: following the subscription; `failed`: stopped at `failedPosition` until a
 * restart or `retry()`; `rebuilding`: reset and replaying.
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

export interface RebuildOptions {
  onProgress?: (progress: RebuildProgress) => void;
  /** How long to wait for another process to release a projection's lock; default 0 (fail at once). */
  lockTimeoutMs?: number;
}

export interface RebuildResult {
  projection: string;
  eventsApplied: number;
  elapsedMs: number;
  position: bigint;
}

export class ProjectionBusyError extends Error {
  readonly code = 'PROJECTION_BUSY';
  constructor(readonly projection: string) {
    super(
      `Projection ${projection} is running in another process; stop its workers (or wait) and retry`,
    );
    this.name = 'ProjectionBusyError';
  }
}

export class ProjectionFailedError extends Error {
  readonly code = 'PROJECTION_FAILED';
  constructor(
    readonly projection: string,
    readonly position: bigint,
    cause: unknown,
  ) {
    super(`Projection ${projection} stopped at position ${position}: ${messageOf(cause)}`, {
      cause,
    });
    this.name = 'ProjectionFailedError';
  }
}

/** Unwinds a worker's stack when it is stopped or loses its lock; never escapes the worker. */
class Interrupted extends Error {}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 10_000 };

const silentLogger: RunnerLogger = {
  log: () => undefined,
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

interface Settings {
  batchSize: number;
  maxTransactionMs: number;
  retry: RetryPolicy;
  lockRetryMs: number;
  waitPollMs: number;
  owner: string;
  logger: RunnerLogger;
}

interface Dependencies {
  eventStore: EventStore;
  connection: SqlConnection;
  db: ReadDb;
  settings: Settings;
}

/**
 * Runs every registered projection: catch up from the stored checkpoint with `readAll`, then
 * follow `subscribeToAll`; each batch's writes and its checkpoint commit in one read-DB
 * transaction. The event store is only ever read outside that transaction: it may be another
 * system entirely, and on PGlite a transaction holds the single connection. External projections
 * (`external: true`) apply outside any transaction, and their checkpoint commits after they return.
 */
export class ProjectionRunner {
  private readonly workers = new Map<string, ProjectionWorker>();
  private readonly deps: Dependencies;
  private started = false;

  constructor(
    eventStore: EventStore,
    /** Where the projections' locks live: whoever holds one runs that projection. */
    readonly connection: SqlConnection,
    readonly registry: ProjectionRegistry,
    options: ProjectionRunnerOptions & { db?: ReadDb } = {},
  ) {
    this.deps = {
      eventStore,
      connection,
      db: options.db ?? readDbFor(connection),
      settings: {
        batchSize: options.batchSize ?? 500,
        maxTransactionMs: options.maxTransactionMs ?? 250,
        retry: { ...DEFAULT_RETRY, ...options.retry },
        lockRetryMs: options.lockRetryMs ?? 2_000,
        waitPollMs: options.waitPollMs ?? 25,
        owner: options.owner ?? processOwner,
        logger: options.logger ?? silentLogger,
      },
    };
  }

  /** Starts a worker per registered projection; returns at once (they catch up in the background). */
  start(): void {
    this.started = true;
    for (const projection of this.registry.all()) this.worker(projection.name).start();
  }

  /** Closes subscriptions, lets in-flight transactions finish and releases the locks. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
  }

  status(): ProjectionStatus[] {
    return this.registry.names().map((name) => this.worker(name).status());
  }

  statusOf(name: string): ProjectionStatus {
    this.registry.get(name);
    return this.worker(name).status();
  }

  /**
   * Resolves true once every named projection (default: every read model, i.e. not the external
   * projections such as a broker forwarder, whose outage must not hold up readers) reflects the
   * event at `position`, false when `timeoutMs` runs out, one of them is failed, or no process
   * runs one of them (then at once: nothing would ever reach it). Works in a process that runs no
   * workers too, by reading the checkpoints the worker process commits.
   */
  async waitForPosition(
    position: bigint,
    timeoutMs: number,
    projections?: string | readonly string[],
  ): Promise<boolean> {
    const names =
      projections === undefined
        ? this.registry.readModelNames()
        : typeof projections === 'string'
          ? [projections]
          : projections;
    const deadline = Date.now() + timeoutMs;
    const results = await Promise.all(
      names.map((name) => this.worker(name).waitFor(position, deadline)),
    );
    return results.every(Boolean);
  }

  /** Restarts a failed projection at the event it failed on (after a fix that needs no restart). */
  retry(name: string): void {
    this.registry.get(name);
    this.worker(name).retry();
  }

  /**
   * Reset + replay from the start, one projection after the other; live workers pause meanwhile.
   * `all` is every read model: external projections cannot be rebuilt.
   */
  async rebuild(
    target: string | readonly string[] | 'all',
    options: RebuildOptions = {},
  ): Promise<RebuildResult[]> {
    const names =
      target === 'all'
        ? this.registry.readModelNames()
        : typeof target === 'string'
          ? [target]
          : [...target];
    const projections = names.map((name) => this.registry.get(name));
    const withoutReset = projections
      .filter((projection) => !projection.reset)
      .map((projection) => projection.name);
    if (withoutReset.length)
      throw new Error(`Cannot rebuild ${withoutReset.join(', ')}: no reset()`);

    const results: RebuildResult[] = [];
    for (const projection of projections) {
      const worker = this.worker(projection.name);
      const wasRunning = worker.running;
      if (wasRunning) await worker.stop();
      try {
        results.push(await worker.rebuild(options));
      } finally {
        if (wasRunning && this.started) worker.start();
      }
    }
    return results;
  }

  private worker(name: string): ProjectionWorker {
    let worker = this.workers.get(name);
    if (!worker) {
      worker = new ProjectionWorker(this.registry.get(name), this.deps);
      this.workers.set(name, worker);
    }
    return worker;
  }
}

const IDLE = Symbol('idle');

interface PositionWaiter {
  position: bigint;
  settle(passed: boolean): void;
}

/** How often a wait re-checks that some process still runs the projection. */
const RUNNER_RECHECK_MS = 1_000;

/** How often waits on a projection ask the store whether it was skipped past: per waiter in the holder, per projection elsewhere. */
const HOLDER_PROBE_MS = 250;

class ProjectionWorker {
  private state: ProjectionState = 'idle';
  private since = new Date();
  private checkpoint: bigint | null = null;
  private passedThrough: bigint | null = null;
  private failedPosition: bigint | null = null;
  private lastError: ProjectionError | null = null;
  private eventsApplied = 0;

  private loop: Promise<void> | undefined;
  private stopRequested = false;
  private leaseLost: Error | undefined;
  private holding = false;
  private subscription: Subscription | undefined;
  /** Wakes sleeps and waiters: called on every checkpoint or state change, and on stop. */
  private readonly listeners = new Set<() => void>();
  private resumeFailed: (() => void) | undefined;
  /** `waitFor` calls in a process that does not hold the projection, served by one poller. */
  private readonly waiters = new Set<PositionWaiter>();
  private poller: Promise<void> | undefined;
  private readonly filter: { eventTypes: readonly string[] };
  private readonly types: ReadonlySet<string>;
  /** Events per `applyBatch` transaction: adapted to `maxTransactionMs`, at most `batchSize`. */
  private transactionSize: number;

  constructor(
    private readonly projection: AnyProjection,
    private readonly deps: Dependencies,
  ) {
    this.filter = { eventTypes: [...projection.eventTypes] };
    this.types = new Set(projection.eventTypes);
    this.transactionSize = deps.settings.batchSize;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  status(): ProjectionStatus {
    return {
      name: this.projection.name,
      state: this.state,
      checkpoint: this.checkpoint,
      passedThrough: this.passedThrough,
      failedPosition: this.failedPosition,
      lastError: this.lastError,
      eventsApplied: this.eventsApplied,
      since: this.since,
    };
  }

  start(): void {
    if (this.loop) return;
    this.stopRequested = false;
    this.loop = this.run().finally(() => (this.loop = undefined));
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.resumeFailed?.();
    this.notify();
    await this.subscription?.close().catch(() => undefined);
    await this.loop;
    if (this.state !== 'failed') this.setState('stopped');
  }

  retry(): void {
    this.resumeFailed?.();
  }

  async waitFor(position: bigint, deadline: number): Promise<boolean> {
    let probedAt = Number.NEGATIVE_INFINITY;
    for (;;) {
      if (this.passedThrough !== null && this.passedThrough >= position) return true;
      if (this.state === 'failed') return false;
      if (!this.holding) return this.waitShared(position, deadline);
      // While this process applies the projection, every commit wakes the waiters: the store is
      // asked only now and then (for events the projection skips), not by every waiter every poll
      // — under load, hundreds of waiters polling the store slowed the very projection they await.
      if (Date.now() - probedAt >= HOLDER_PROBE_MS) {
        probedAt = Date.now();
        if (await this.holderPassed(position)) return true;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await this.nextChange(Math.min(remaining, this.deps.settings.waitPollMs));
    }
  }

  /**
   * A wait in a process that does not apply the projection: it joins the projection's one poller,
   * so a gateway with hundreds of waiters costs one checkpoint read per tick, not hundreds.
   */
  private waitShared(position: bigint, deadline: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: PositionWaiter = {
        position,
        settle: (passed) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(passed);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), Math.max(0, deadline - Date.now()));
      this.waiters.add(waiter);
      this.startPoller();
    });
  }

  private startPoller(): void {
    if (this.poller) return;
    this.poller = this.pollForWaiters().finally(() => {
      this.poller = undefined;
      // A waiter that arrived while the last tick was winding down.
      if (this.waiters.size > 0) this.startPoller();
    });
  }

  /**
   * Each tick reads only the checkpoint row the holder commits. The store is asked about skipped
   * events at most every HOLDER_PROBE_MS, in the background (headPosition may wait out a fence),
   * and whether anyone runs the projection at most every RUNNER_RECHECK_MS.
   */
  private async pollForWaiters(): Promise<void> {
    const { db, settings } = this.deps;
    let probedAt = Number.NEGATIVE_INFINITY;
    let probing = false;
    let runnerSeenAt = Number.NEGATIVE_INFINITY;
    while (this.waiters.size > 0) {
      try {
        const row = await readCheckpoint(db, this.projection.name);
        const checkpoint = row?.position ?? START_POSITION;
        const known =
          this.passedThrough !== null && this.passedThrough > checkpoint
            ? this.passedThrough
            : checkpoint;
        for (const waiter of [...this.waiters]) {
          if (waiter.position <= known) waiter.settle(true);
          // Another process recorded that the projection stopped before reaching it.
          else if (row?.status === 'failed' || this.state === 'failed') waiter.settle(false);
        }
        if (!probing && this.waiters.size > 0 && Date.now() - probedAt >= HOLDER_PROBE_MS) {
          probedAt = Date.now();
          probing = true;
          void this.probeStoreForWaiters(checkpoint).finally(() => (probing = false));
        }
      } catch {
        // Unknown: keep waiting, each waiter's deadline still bounds it.
      }
      // Waiting is pointless when no process runs the projection (e.g. a gateway without inline
      // workers whose worker is down): say so at once. Checked again now and then, not per tick.
      if (this.waiters.size > 0 && Date.now() - runnerSeenAt >= RUNNER_RECHECK_MS) {
        if (!(await this.someoneRuns())) {
          for (const waiter of [...this.waiters]) waiter.settle(false);
          return;
        }
        runnerSeenAt = Date.now();
      }
      if (this.waiters.size > 0) await this.nextChange(settings.waitPollMs);
    }
  }

  /** Events the projection skips never move its checkpoint: passed once nothing it handles lies between. */
  private async probeStoreForWaiters(checkpoint: bigint): Promise<void> {
    const { eventStore } = this.deps;
    try {
      // Not yet visible to readers (an earlier transaction still open): nobody can have applied it.
      const head = await eventStore.headPosition();
      const [next] = await eventStore.readAll({
        after: checkpoint,
        maxCount: 1,
        filter: this.filter,
      });
      for (const waiter of [...this.waiters]) {
        if (waiter.position <= head && (next === undefined || next.position > waiter.position))
          waiter.settle(true);
      }
    } catch {
      // As for a failed tick: the next probe may answer.
    }
  }

  /** This process runs the projection (holding it or about to), or another process holds its lock. */
  private async someoneRuns(): Promise<boolean> {
    if (this.running || this.holding) return true;
    try {
      return await isProjectionLeaseHeld(this.deps.connection, this.projection.name);
    } catch {
      return true; // Unknown: keep waiting, the deadline still bounds it.
    }
  }

  async rebuild(options: RebuildOptions): Promise<RebuildResult> {
    const { eventStore, settings } = this.deps;
    const name = this.projection.name;
    const lease = await this.acquireWithin(options.lockTimeoutMs ?? 0);
    this.stopRequested = false;
    this.leaseLost = undefined;
    this.holding = true;
    const started = Date.now();
    let eventsApplied = 0;
    try {
      this.setState('rebuilding');
      const projection = this.projection;
      if (projection.external) throw new Error(`Cannot rebuild ${name}: an external projection`);
      await lease.db.transaction(async (tx) => {
        await ensureCheckpoint(tx, name, settings.owner);
        await projection.reset?.(tx);
        await rewindCheckpoint(tx, name, settings.owner);
      });
      this.checkpoint = START_POSITION;
      this.passedThrough = START_POSITION;
      this.failedPosition = null;
      this.lastError = null;
      settings.logger.log(`Projection ${name}: reset, replaying from the start`);
      const progress = (head: bigint, done: boolean): RebuildProgress => {
        const elapsedMs = Date.now() - started;
        return {
          projection: name,
          position: this.checkpoint ?? START_POSITION,
          head,
          eventsApplied,
          eventsPerSecond: elapsedMs > 0 ? (eventsApplied * 1000) / elapsedMs : 0,
          elapsedMs,
          done,
        };
      };
      options.onProgress?.(progress(await eventStore.headPosition(), false));
      const head = await this.catchUp(lease, (applied, head) => {
        eventsApplied += applied;
        options.onProgress?.(progress(head, false));
      });
      options.onProgress?.(progress(head, true));
      this.setState('idle');
      return {
        projection: name,
        eventsApplied,
        elapsedMs: Date.now() - started,
        position: this.checkpoint ?? START_POSITION,
      };
    } catch (error) {
      if (error instanceof Interrupted) throw new Error(`Rebuild of ${name} interrupted`);
      throw error;
    } finally {
      this.holding = false;
      this.leaseLost = undefined;
      await lease
        .release()
        .catch((error) =>
          settings.logger.warn(`Projection ${name}: releasing lock: ${messageOf(error)}`),
        );
    }
  }

  private async run(): Promise<void> {
    const { connection, settings } = this.deps;
    const name = this.projection.name;
    let infraFailures = 0;
    while (!this.stopRequested) {
      let lease: ProjectionLease | null = null;
      try {
        lease = await tryAcquireProjectionLease(connection, name);
      } catch (error) {
        infraFailures++;
        this.recordError(error, infraFailures);
        settings.logger.warn(`Projection ${name}: cannot take its lock: ${messageOf(error)}`);
        await this.sleep(this.backoff(infraFailures));
        continue;
      }
      if (!lease) {
        this.setState('standby');
        await this.sleep(settings.lockRetryMs);
        continue;
      }

      this.leaseLost = undefined;
      lease.lost.catch((error: Error) => {
        this.leaseLost = error;
        void this.subscription?.close().catch(() => undefined);
        this.notify();
      });
      this.holding = true;
      try {
        await this.runHolding(lease);
      } catch (error) {
        if (error instanceof ProjectionFailedError) {
          infraFailures = 0;
          // Keep the lock while failed: a standby would only fail on the same event again. A stop()
          // that landed after markFailed found no resumeFailed to call: check the flag on both sides
          // of installing it, or the wait (and the stop awaiting it) never ends.
          if (!this.stopRequested) {
            await new Promise<void>((resolve) => {
              this.resumeFailed = resolve;
              if (this.stopRequested) resolve();
            });
          }
          this.resumeFailed = undefined;
          if (!this.stopRequested) this.setState('catching-up');
        } else if (!this.stopRequested) {
          infraFailures++;
          const cause = error instanceof Interrupted ? (this.leaseLost ?? error) : error;
          this.recordError(cause, infraFailures);
          settings.logger.warn(`Projection ${name}: ${messageOf(cause)}; retrying`);
        }
      } finally {
        this.holding = false;
        await this.closeSubscription();
        await lease
          .release()
          .catch((error) =>
            settings.logger.warn(`Projection ${name}: releasing lock: ${messageOf(error)}`),
          );
        this.leaseLost = undefined;
      }
      if (infraFailures > 0 && !this.stopRequested) await this.sleep(this.backoff(infraFailures));
    }
  }

  private async runHolding(lease: ProjectionLease): Promise<void> {
    const { eventStore, settings } = this.deps;
    const row = await ensureCheckpoint(lease.db, this.projection.name, settings.owner);
    this.checkpoint = row.position;
    this.passedThrough = row.position;
    this.failedPosition = row.failedPosition;
    if (row.status === 'failed' && row.lastError) {
      // Still visible while we try the failed event again.
      this.lastError = {
        message: row.lastError.split('\n')[0],
        position: row.failedPosition ?? undefined,
        attempts: row.attempts,
        at: row.failedAt ?? row.updatedAt,
      };
    }
    this.setState('catching-up');
    await this.catchUp(lease);
    this.setState('live');
    settings.logger.log(`Projection ${this.projection.name}: live at ${this.checkpoint}`);

    const subscription = eventStore.subscribeToAll({
      after: this.checkpoint ?? START_POSITION,
      filter: this.filter,
      batchSize: settings.batchSize,
    });
    this.subscription = subscription;
    if (this.interrupted()) throw new Interrupted();
    const iterator = subscription[Symbol.asyncIterator]();
    const pull = () => {
      const next = iterator.next();
      next.catch(() => undefined);
      return next;
    };
    let next = pull();
    for (;;) {
      const first = await next;
      if (first.done) {
        if (this.interrupted()) throw new Interrupted();
        throw new Error('the event store subscription ended');
      }
      // Whatever the subscription already holds joins the batch: one transaction, not one per event.
      const batch: RecordedEvent[] = [first.value];
      next = pull();
      while (batch.length < settings.batchSize) {
        const result = await Promise.race([
          next,
          new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE))),
        ]);
        if (result === IDLE || result.done) break;
        batch.push(result.value);
        next = pull();
      }
      const fresh = batch.filter(
        (event) =>
          event.position > (this.checkpoint ?? START_POSITION) && this.types.has(event.type),
      );
      if (fresh.length > 0) await this.applyBatch(lease, fresh);
      if (this.interrupted()) throw new Interrupted();
    }
  }

  /** Reads and applies batches until a short one; returns the head the projection is now at. */
  private async catchUp(
    lease: ProjectionLease,
    onBatch?: (applied: number, head: bigint) => void,
  ): Promise<bigint> {
    const { eventStore, settings } = this.deps;
    for (;;) {
      if (this.interrupted()) throw new Interrupted();
      // Read the head first: every event at or below it is visible to the readAll that follows.
      const head = await eventStore.headPosition();
      const from = this.checkpoint ?? START_POSITION;
      const events = await eventStore.readAll({
        after: from,
        maxCount: settings.batchSize,
        filter: this.filter,
      });
      if (events.length > 0) await this.applyBatch(lease, events);
      onBatch?.(events.length, head);
      if (events.length < settings.batchSize) {
        // Nothing matching is left up to `head`: record that, so lag and waitForPosition see it.
        const at = this.checkpoint ?? START_POSITION;
        const to = head > at ? head : at;
        await advanceCheckpoint(lease.db, this.projection.name, at, to, settings.owner, 'active');
        this.advanceTo(to);
        return head;
      }
    }
  }

  /**
   * Applies `events` in one transaction (an external projection: its effect, then the checkpoint);
   * on a handler error commits the events before the failing one, then retries that event with
   * backoff and finally stops at it, never past it — unless the error is transient: then it is
   * retried without end, `lastError` showing it meanwhile.
   */
  private async applyBatch(
    lease: ProjectionLease,
    events: readonly RecordedEvent[],
  ): Promise<void> {
    const { settings } = this.deps;
    const name = this.projection.name;
    let pending = events;
    let attempts = 0;
    // A deadlock, timeout or lost connection says nothing about the event: retried without end
    // (capped backoff) and outside the attempt budget, or a busy database could stop a projection
    // for good — `deadlines` stopping halts every deadline. The same for what the projection
    // itself calls transient (a broker outage for an external one).
    let transientRetries = 0;
    while (pending.length > 0) {
      const result = await this.tryApply(lease, pending);
      if ('applied' in result) {
        // Committed the first `applied` events (all, or as many as fitted in one transaction).
        pending = pending.slice(result.applied);
        attempts = 0;
        transientRetries = 0;
        if (pending.length > 0 && this.interrupted()) throw new Interrupted();
        continue;
      }
      const failure = result;
      const transient = this.isTransient(failure.error);
      if (failure.index > 0) {
        // An external projection's events before the failing one are committed already.
        if (!this.projection.external)
          await this.applyBatch(lease, pending.slice(0, failure.index));
        pending = pending.slice(failure.index);
        attempts = transient ? 0 : 1;
        transientRetries = transient ? 1 : 0;
      } else if (transient) {
        transientRetries++;
      } else {
        attempts++;
      }
      const event = pending[0];
      this.lastError = {
        message: messageOf(failure.error),
        position: event.position,
        attempts: attempts + transientRetries,
        at: new Date(),
      };
      this.notify();
      if (transient) {
        const code = sqlStateOf(failure.error);
        settings.logger.warn(
          `Projection ${name}: ${event.type} at ${event.position} hit a transient error (${code === undefined ? '' : `${code}, `}retry ${transientRetries}): ${messageOf(failure.error)}`,
        );
        await this.sleep(this.backoff(transientRetries));
        if (this.interrupted()) throw new Interrupted();
        continue;
      }
      if (attempts >= settings.retry.attempts) {
        await markFailed(lease.db, name, {
          position: event.position,
          error: detailOf(failure.error),
          attempts,
          checkpoint: this.checkpoint ?? START_POSITION,
        });
        this.failedPosition = event.position;
        this.setState('failed');
        settings.logger.error(
          `Projection ${name} stopped at position ${event.position} (${event.type}, stream ${event.streamId}) after ${attempts} attempts: ${detailOf(failure.error)}`,
        );
        throw new ProjectionFailedError(name, event.position, failure.error);
      }
      settings.logger.warn(
        `Projection ${name}: ${event.type} at ${event.position} failed (attempt ${attempts}/${settings.retry.attempts}): ${messageOf(failure.error)}`,
      );
      await this.sleep(this.backoff(attempts));
      if (this.interrupted()) throw new Interrupted();
    }
  }

  /**
   * `{ applied }` on success: the first `applied` events are committed with the checkpoint (fewer
   * than all when `maxTransactionMs` cut the transaction short); the failing index when a handler
   * threw. Other errors propagate. With the projection's `applyBatch`, up to `transactionSize`
   * events go in one call; if that throws, the events are tried again one by one (another
   * transaction) to find the one that fails. For an external projection, the events before the
   * failing index are then committed already.
   */
  private async tryApply(
    lease: ProjectionLease,
    events: readonly RecordedEvent[],
    oneByOne = false,
  ): Promise<{ applied: number } | { index: number; error: unknown }> {
    const projection = this.projection;
    if (projection.external) return this.tryApplyExternal(projection, lease, events, oneByOne);
    const { settings } = this.deps;
    const from = this.checkpoint ?? START_POSITION;
    const canBatch = !oneByOne && projection.applyBatch !== undefined;
    const chunk = canBatch ? events.slice(0, this.transactionSize) : events;
    const batched = canBatch && chunk.length > 1;
    let applied = chunk.length;
    let failure = null as { index: number; error: unknown } | null;
    const started = performance.now();
    try {
      await lease.db.transaction(async (tx) => {
        if (batched) {
          try {
            await projection.applyBatch?.(chunk, tx);
          } catch (error) {
            failure = { index: -1, error };
            throw error;
          }
        } else {
          for (let index = 0; index < chunk.length; index++) {
            try {
              await projection.apply(chunk[index], tx);
            } catch (error) {
              failure = { index, error };
              throw error;
            }
            if (
              index < chunk.length - 1 &&
              performance.now() - started >= settings.maxTransactionMs
            ) {
              applied = index + 1;
              break;
            }
          }
        }
        await advanceCheckpoint(
          tx,
          projection.name,
          from,
          chunk[applied - 1].position,
          settings.owner,
        );
      });
    } catch (error) {
      if (failure?.index === -1) return this.tryApply(lease, chunk, true);
      if (failure) return failure;
      throw error;
    }
    if (canBatch) this.adaptTransactionSize(chunk.length, performance.now() - started);
    this.applied(applied, chunk[applied - 1].position);
    return { applied };
  }

  /** Halves the events per `applyBatch` transaction after one past `maxTransactionMs`, doubles it after a quick one. */
  private adaptTransactionSize(events: number, elapsedMs: number): void {
    const { batchSize, maxTransactionMs } = this.deps.settings;
    if (elapsedMs > maxTransactionMs && events > 1)
      this.transactionSize = Math.max(1, Math.floor(events / 2));
    else if (elapsedMs < maxTransactionMs / 2 && events >= this.transactionSize)
      this.transactionSize = Math.min(batchSize, this.transactionSize * 2);
  }

  /**
   * `tryApply` for an external projection: its effect first, outside any read-DB transaction (on
   * PGlite one would hold the only connection while a broker answers), then the checkpoint on its
   * own. A crash between the two repeats the effect on restart; the projection makes that
   * harmless. One by one, each event's checkpoint follows its effect, so a failure at event k
   * keeps the k events before it.
   */
  private async tryApplyExternal(
    projection: Extract<AnyProjection, { external: true }>,
    lease: ProjectionLease,
    events: readonly RecordedEvent[],
    oneByOne: boolean,
  ): Promise<{ applied: number } | { index: number; error: unknown }> {
    if (!oneByOne && events.length > 1 && projection.applyBatch !== undefined) {
      try {
        await projection.applyBatch(events);
      } catch {
        return this.tryApplyExternal(projection, lease, events, true);
      }
      await this.commitExternal(lease, events.length, events[events.length - 1].position);
      return { applied: events.length };
    }
    for (let index = 0; index < events.length; index++) {
      try {
        await projection.apply(events[index]);
      } catch (error) {
        return { index, error };
      }
      await this.commitExternal(lease, 1, events[index].position);
      if (this.interrupted() && index < events.length - 1) throw new Interrupted();
    }
    return { applied: events.length };
  }

  private async commitExternal(lease: ProjectionLease, count: number, to: bigint): Promise<void> {
    const { settings } = this.deps;
    const from = this.checkpoint ?? START_POSITION;
    await advanceCheckpoint(lease.db, this.projection.name, from, to, settings.owner);
    this.applied(count, to);
  }

  private applied(count: number, to: bigint): void {
    this.eventsApplied += count;
    this.failedPosition = null;
    this.lastError = null;
    this.advanceTo(to);
  }

  private isTransient(error: unknown): boolean {
    return isTransientDatabaseError(error) || this.projection.isTransient?.(error) === true;
  }

  /** For the holder: has the projection passed `position`? Asks the store what is left after the checkpoint. */
  private async holderPassed(position: bigint): Promise<boolean> {
    const { eventStore } = this.deps;
    try {
      const checkpoint = this.checkpoint ?? START_POSITION;
      if (checkpoint >= position) return true;
      // Not yet visible to readers (an earlier transaction still open): nobody can have applied it.
      if ((await eventStore.headPosition()) < position) return false;
      const [next] = await eventStore.readAll({
        after: checkpoint,
        maxCount: 1,
        filter: this.filter,
      });
      const passed = next === undefined || next.position > position;
      if (
        passed &&
        this.holding &&
        (this.passedThrough === null || this.passedThrough < position)
      ) {
        this.passedThrough = position;
      }
      return passed;
    } catch {
      return false;
    }
  }

  private async acquireWithin(timeoutMs: number): Promise<ProjectionLease> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lease = await tryAcquireProjectionLease(this.deps.connection, this.projection.name);
      if (lease) return lease;
      if (Date.now() >= deadline) throw new ProjectionBusyError(this.projection.name);
      await delay(Math.min(200, Math.max(0, deadline - Date.now())));
    }
  }

  private advanceTo(position: bigint): void {
    this.checkpoint = position;
    if (this.passedThrough === null || this.passedThrough < position) this.passedThrough = position;
    this.notify();
  }

  private recordError(error: unknown, attempts: number): void {
    this.lastError = { message: messageOf(error), attempts, at: new Date() };
    this.notify();
  }

  private setState(state: ProjectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = new Date();
    this.notify();
  }

  private interrupted(): boolean {
    return this.stopRequested || this.leaseLost !== undefined;
  }

  private async closeSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close().catch(() => undefined);
  }

  private backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.deps.settings.retry;
    return exponentialDelay(attempt, { initialMs: initialDelayMs, maxMs: maxDelayMs });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(done);
    });
  }

  /** A sleep that a stop or a lost lock cuts short. */
  private async sleep(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.interrupted() && Date.now() < deadline)
      await this.nextChange(deadline - Date.now());
  }
}

/**
 * SQLSTATEs (and socket errors) that come from the database's state, not from the event: retrying
 * the same transaction later can succeed. Classes 08 (connection) and 53 (insufficient resources);
 * serialization failure, deadlock, statement and lock timeouts, and the server shutting down.
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001',
  '40P01',
  '57014',
  '55P03',
  '57P01',
  '57P02',
  '57P03',
]);
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53']);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** The SQLSTATE of a pg or PGlite error, also when a driver wrapper (Drizzle) holds it as `cause`. */
function sqlStateOf(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTransientDatabaseError(error: unknown): boolean {
  const code = sqlStateOf(error);
  if (code === undefined) return false;
  return (
    TRANSIENT_SQLSTATES.has(code) ||
    TRANSIENT_SOCKET_CODES.has(code) ||
    (code.length === 5 && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2)))
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function detailOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
