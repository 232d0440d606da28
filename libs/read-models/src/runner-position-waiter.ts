import { readCheckpoint } from './checkpoints';
import { isProjectionLeaseHeld } from './locks';
import type { AnyProjection } from './projection';
import type { Dependencies } from './runner-options';
import type { WorkerProgress } from './runner-progress';
import type { WorkerSignals } from './runner-signals';
import { START_POSITION } from './schema';

interface Waiter {
  position: bigint;
  settle(passed: boolean): void;
}

/** How often a wait re-checks that some process still runs the projection. */
const RUNNER_RECHECK_MS = 1_000;

/** How often waits on a projection ask the store whether it was skipped past: per waiter in the holder, per projection elsewhere. */
const HOLDER_PROBE_MS = 250;

/**
 * Read-your-writes for one projection: has it reflected the event at a position yet? In the
 * process that applies it, every commit wakes the waits; elsewhere one poller reads the checkpoint
 * the holder commits on behalf of all waits.
 */
export class PositionWaiter {
  /** `waitFor` calls in a process that does not hold the projection, served by one poller. */
  private readonly waiters = new Set<Waiter>();
  private poller: Promise<void> | undefined;
  /**
   * The poller's last finding that no process runs the projection (when, and the checkpoint it
   * had read then): for RUNNER_RECHECK_MS, waits take it as their answer instead of starting a
   * poller each (a gateway whose worker is down asked the store and the read DB several times per
   * mutation, only to learn the same thing).
   */
  private nobodyRuns: { at: number; checkpoint: bigint } | undefined;
  private readonly filter: { eventTypes: readonly string[] };

  constructor(
    private readonly projection: AnyProjection,
    private readonly deps: Dependencies,
    private readonly progress: WorkerProgress,
    private readonly signals: WorkerSignals,
    /** Whether this process runs a worker for the projection (holding its lock or trying to). */
    private readonly running: () => boolean,
  ) {
    this.filter = { eventTypes: [...projection.eventTypes] };
  }

  async waitFor(position: bigint, deadline: number): Promise<boolean> {
    let probedAt = Number.NEGATIVE_INFINITY;
    for (;;) {
      const { passedThrough, state } = this.progress;
      if (passedThrough !== null && passedThrough >= position) return true;
      if (state === 'failed') return false;
      if (!this.signals.holding) return this.waitShared(position, deadline);
      // While this process applies the projection, every commit wakes the waiters: the store is
      // asked only now and then (for events the projection skips), not by every waiter every poll
      // — under load, hundreds of waiters polling the store slowed the very projection they await.
      if (Date.now() - probedAt >= HOLDER_PROBE_MS) {
        probedAt = Date.now();
        if (await this.holderPassed(position)) return true;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await this.progress.nextChange(Math.min(remaining, this.deps.settings.waitPollMs));
    }
  }

  /**
   * A wait in a process that does not apply the projection: it joins the projection's one poller,
   * so a gateway with hundreds of waiters costs one checkpoint read per tick, not hundreds.
   */
  private waitShared(position: bigint, deadline: number): Promise<boolean> {
    const { nobodyRuns } = this;
    if (nobodyRuns && Date.now() - nobodyRuns.at < RUNNER_RECHECK_MS && !this.running())
      return Promise.resolve(position <= nobodyRuns.checkpoint);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
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
   * Each tick reads only the checkpoint row the holder commits. Whether anyone runs the projection
   * is asked at most every RUNNER_RECHECK_MS, before the store is (nothing reaches an event nobody
   * applies); the store is asked about skipped events at most every HOLDER_PROBE_MS, in the
   * background (headPosition may wait out a fence).
   */
  private async pollForWaiters(): Promise<void> {
    const { db, settings } = this.deps;
    let probedAt = Number.NEGATIVE_INFINITY;
    let probing = false;
    let runnerSeenAt = Number.NEGATIVE_INFINITY;
    while (this.waiters.size > 0) {
      let checkpoint: bigint | undefined;
      try {
        const row = await readCheckpoint(db, this.projection.name);
        checkpoint = row?.position ?? START_POSITION;
        const { passedThrough } = this.progress;
        const known =
          passedThrough !== null && passedThrough > checkpoint ? passedThrough : checkpoint;
        for (const waiter of [...this.waiters]) {
          if (waiter.position <= known) waiter.settle(true);
          // Another process recorded that the projection stopped before reaching it.
          else if (row?.status === 'failed' || this.progress.state === 'failed')
            waiter.settle(false);
        }
      } catch {
        // Unknown: keep waiting, each waiter's deadline still bounds it.
      }
      // Waiting is pointless when no process runs the projection (e.g. a gateway without inline
      // workers whose worker is down): say so at once. Checked again now and then, not per tick.
      if (this.waiters.size > 0 && Date.now() - runnerSeenAt >= RUNNER_RECHECK_MS) {
        if (!(await this.someoneRuns())) {
          for (const waiter of [...this.waiters]) waiter.settle(false);
          if (checkpoint !== undefined) this.nobodyRuns = { at: Date.now(), checkpoint };
          return;
        }
        this.nobodyRuns = undefined;
        runnerSeenAt = Date.now();
      }
      if (
        checkpoint !== undefined &&
        !probing &&
        this.waiters.size > 0 &&
        Date.now() - probedAt >= HOLDER_PROBE_MS
      ) {
        probedAt = Date.now();
        probing = true;
        void this.probeStoreForWaiters(checkpoint).finally(() => (probing = false));
      }
      if (this.waiters.size > 0) await this.progress.nextChange(settings.waitPollMs);
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
    if (this.running() || this.signals.holding) return true;
    try {
      return await isProjectionLeaseHeld(this.deps.connection, this.projection.name);
    } catch {
      return true; // Unknown: keep waiting, the deadline still bounds it.
    }
  }

  /** For the holder: has the projection passed `position`? Asks the store what is left after the checkpoint. */
  private async holderPassed(position: bigint): Promise<boolean> {
    const { eventStore } = this.deps;
    try {
      const checkpoint = this.progress.position;
      if (checkpoint >= position) return true;
      // Not yet visible to readers (an earlier transaction still open): nobody can have applied it.
      if ((await eventStore.headPosition()) < position) return false;
      const [next] = await eventStore.readAll({
        after: checkpoint,
        maxCount: 1,
        filter: this.filter,
      });
      const passed = next === undefined || next.position > position;
      if (passed && this.signals.holding) this.progress.raisePassedThrough(position);
      return passed;
    } catch {
      return false;
    }
  }
}
