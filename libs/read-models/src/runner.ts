import type { EventStore } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
import { ReadDb, readDbFor } from './database';
import { AnyProjection, ProjectionRegistry } from './projection';
import {
  Dependencies,
  ProjectionRunnerOptions,
  ProjectionStatus,
  RebuildMode,
  RebuildOptions,
  RebuildResult,
  settingsFrom,
} from './runner-options';
import { LogPages } from './runner-log-pages';
import { ProjectionWorker } from './runner-worker';

// The runner's pieces, each in its own file: runner-leadership (the lock loop), runner-batch-loop
// (catch-up and live batches), runner-apply (transactions and the failure policy), checkpoints (the
// checkpoint store), runner-position-waiter (read-your-writes), runner-rebuild.
export {
  ProjectionBusyError,
  ProjectionFailedError,
  RebuildRunningError,
  isTransientDatabaseError,
} from './runner-errors';
export type {
  ProjectionError,
  ProjectionRunnerOptions,
  ProjectionState,
  ProjectionStatus,
  RebuildMode,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
  RetryPolicy,
  RunnerLogger,
} from './runner-options';

/** Pooled connections a process keeps for its LISTEN clients: the event store's, the personal-data keys'. */
const LISTENING_CONNECTIONS = 2;

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
      settings: settingsFrom(options),
      pages: new LogPages(eventStore, options.catchUpWindow?.events, options.catchUpWindow?.page),
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
   * Rebuilds from the start, the projections side by side. A projection that declares its
   * `tables` is rebuilt blue/green: replayed into new tables while the live worker (here or in
   * another process) keeps serving and applying, then switched over atomically. Any other (or
   * with `mode: 'in-place'`) is reset and replayed in place, its live worker paused meanwhile.
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
      .filter((projection) => !projection.reset && !projection.tables)
      .map((projection) => projection.name);
    if (withoutReset.length)
      throw new Error(`Cannot rebuild ${withoutReset.join(', ')}: no reset()`);

    // Side by side: they share the runner's pages of the log (read once, not once per
    // projection), and one projection's transaction overlaps another's reading and folding.
    const paused = projections
      .filter((projection) => rebuildModeOf(projection, options) === 'in-place')
      .map((projection) => this.worker(projection.name))
      .filter((worker) => worker.running);
    await Promise.all(paused.map((worker) => worker.stop()));
    try {
      const settled = await settleAtMost(
        this.rebuildConcurrency(),
        projections.map((projection) => async () => {
          const worker = this.worker(projection.name);
          if (rebuildModeOf(projection, options) !== 'blue-green') return worker.rebuild(options);
          const result = await worker.rebuildBlueGreen(options);
          // A live worker here that stopped failed resumes on the new tables (the event it failed
          // on was replayed into them); one in another process waits for its retry or restart.
          worker.retry();
          return result;
        }),
      );
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((result) => (result as PromiseFulfilledResult<RebuildResult>).value);
    } finally {
      if (this.started) for (const worker of paused) worker.start();
    }
  }

  /**
   * How many rebuilds run at once. On PostgreSQL each holds a pooled connection for its lock and
   * needs a second one at times (the head, a page of the log, a read the shared pages do not
   * hold), each live worker of this process holds one for its own lock, and two more stay checked
   * out for good once opened (the LISTEN clients of the event store and of the personal-data
   * keys): half of what those leave, at least one (more exhausted a small pool, and every rebuild
   * waited forever for its second connection). The more run at once, the fewer times the log is
   * read: the pages are shared by the rebuilds running together, and each later wave reads it
   * again.
   */
  private rebuildConcurrency(): number {
    const { connection } = this.deps;
    if (connection.kind !== 'postgres') return Number.POSITIVE_INFINITY;
    const max = (connection.pool as { options?: { max?: number } }).options?.max ?? 10;
    const live = [...this.workers.values()].filter((worker) => worker.running).length;
    return Math.max(1, Math.floor((max - live - LISTENING_CONNECTIONS) / 2));
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

/** Blue/green where the projection declares its tables (unless in place is asked for), else in place. */
export function rebuildModeOf(
  projection: AnyProjection,
  options: RebuildOptions = {},
): RebuildMode {
  if (options.mode === 'in-place' || projection.external) return 'in-place';
  if (projection.tables) return 'blue-green';
  if (options.mode === 'blue-green')
    throw new Error(`Cannot rebuild ${projection.name} blue/green: it declares no tables`);
  return 'in-place';
}

/** `Promise.allSettled` of the tasks, at most `limit` running at a time, results in task order. */
async function settleAtMost<T>(
  limit: number,
  tasks: readonly (() => Promise<T>)[],
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < tasks.length; index = next++) {
      try {
        results[index] = { status: 'fulfilled', value: await tasks[index]() };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}
