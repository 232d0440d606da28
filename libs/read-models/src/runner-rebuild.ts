// Uninterruptible, unlike WorkerSignals.sleep: waiting for another holder's lock is short and bounded.
import { sleep as delay } from '@arbiter/platform/backoff';
import { ensureCheckpoint, rewindCheckpoint } from './checkpoints';
import { ProjectionLease, tryAcquireProjectionLease } from './locks';
import type { AnyProjection } from './projection';
import type { BatchLoop } from './runner-batch-loop';
import { Interrupted, messageOf, ProjectionBusyError } from './runner-errors';
import type {
  Dependencies,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
} from './runner-options';
import type { WorkerProgress } from './runner-progress';
import type { WorkerSignals } from './runner-signals';

interface RebuildParts {
  projection: AnyProjection;
  deps: Dependencies;
  progress: WorkerProgress;
  signals: WorkerSignals;
  loop: BatchLoop;
}

/**
 * In-place rebuild: reset + replay of one projection under its lock (the caller has stopped its
 * live worker): the reset and the rewound checkpoint commit together, then the batch loop catches
 * up to the head. The views are empty or partial meanwhile; projections that declare their
 * `tables` are rebuilt blue/green instead (runner-rebuild-blue-green.ts) unless asked otherwise.
 */
export async function rebuildProjection(
  { projection, deps, progress, signals, loop }: RebuildParts,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { eventStore, settings } = deps;
  const name = projection.name;
  const lease = await acquireWithin(deps, name, options.lockTimeoutMs ?? 0);
  signals.stopRequested = false;
  signals.leaseLost = undefined;
  signals.holding = true;
  const started = Date.now();
  let eventsApplied = 0;
  try {
    progress.setState('rebuilding');
    if (projection.external) throw new Error(`Cannot rebuild ${name}: an external projection`);
    await lease.db.transaction(async (tx) => {
      await ensureCheckpoint(tx, name, settings.owner);
      await projection.reset?.(tx);
      await rewindCheckpoint(tx, name, settings.owner);
    });
    progress.rewind();
    settings.logger.log(`Projection ${name}: reset, replaying from the start`);
    const report = (head: bigint, done: boolean): RebuildProgress => {
      const elapsedMs = Date.now() - started;
      return {
        projection: name,
        position: progress.position,
        head,
        eventsApplied,
        eventsPerSecond: elapsedMs > 0 ? (eventsApplied * 1000) / elapsedMs : 0,
        elapsedMs,
        done,
      };
    };
    options.onProgress?.(report(await eventStore.headPosition(), false));
    const head = await loop.catchUp(lease, (applied, head) => {
      eventsApplied += applied;
      options.onProgress?.(report(head, false));
    });
    options.onProgress?.(report(head, true));
    progress.setState('idle');
    return {
      projection: name,
      mode: 'in-place',
      eventsApplied,
      elapsedMs: Date.now() - started,
      position: progress.position,
    };
  } catch (error) {
    if (error instanceof Interrupted) throw new Error(`Rebuild of ${name} interrupted`);
    throw error;
  } finally {
    signals.holding = false;
    signals.leaseLost = undefined;
    await lease
      .release()
      .catch((error) =>
        settings.logger.warn(`Projection ${name}: releasing lock: ${messageOf(error)}`),
      );
  }
}

async function acquireWithin(
  deps: Dependencies,
  name: string,
  timeoutMs: number,
): Promise<ProjectionLease> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lease = await tryAcquireProjectionLease(deps.connection, name);
    if (lease) return lease;
    if (Date.now() >= deadline) throw new ProjectionBusyError(name);
    await delay(Math.min(200, Math.max(0, deadline - Date.now())));
  }
}
