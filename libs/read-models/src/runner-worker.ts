import type { AnyProjection } from './projection';
import { BatchApplier } from './runner-apply';
import { BatchLoop } from './runner-batch-loop';
import { Leadership } from './runner-leadership';
import type {
  Dependencies,
  ProjectionStatus,
  RebuildOptions,
  RebuildResult,
} from './runner-options';
import { PositionWaiter } from './runner-position-waiter';
import { WorkerProgress } from './runner-progress';
import { rebuildProjection } from './runner-rebuild';
import { rebuildBlueGreen, rebuildCheckpointName } from './runner-rebuild-blue-green';
import { WorkerSignals } from './runner-signals';

/**
 * One projection in this process: its progress and signals, shared by the lock loop that runs it,
 * the batch loop it runs, the position waits and a rebuild.
 */
export class ProjectionWorker {
  private readonly progress: WorkerProgress;
  private readonly signals: WorkerSignals;
  private readonly batches: BatchLoop;
  private readonly leadership: Leadership;
  private readonly waiter: PositionWaiter;
  /** The signals of the blue/green rebuilds running beside the live worker: a stop interrupts them. */
  private readonly rebuilds = new Set<{ signals: WorkerSignals; progress: WorkerProgress }>();

  constructor(
    private readonly projection: AnyProjection,
    private readonly deps: Dependencies,
  ) {
    this.progress = new WorkerProgress(projection.name);
    this.signals = new WorkerSignals(this.progress);
    const applier = new BatchApplier(projection, deps, this.progress, this.signals);
    this.batches = new BatchLoop(projection, deps, this.progress, this.signals, applier);
    this.leadership = new Leadership(
      projection.name,
      deps,
      this.progress,
      this.signals,
      this.batches,
    );
    this.waiter = new PositionWaiter(
      projection,
      deps,
      this.progress,
      this.signals,
      () => this.leadership.running,
    );
  }

  get running(): boolean {
    return this.leadership.running;
  }

  status(): ProjectionStatus {
    return this.progress.status();
  }

  start(): void {
    this.leadership.start();
  }

  async stop(): Promise<void> {
    for (const rebuild of this.rebuilds) {
      rebuild.signals.stopRequested = true;
      rebuild.progress.notify();
    }
    await this.leadership.stop();
  }

  retry(): void {
    this.leadership.retry();
  }

  waitFor(position: bigint, deadline: number): Promise<boolean> {
    return this.waiter.waitFor(position, deadline);
  }

  /** In place: the caller has stopped the live worker. */
  rebuild(options: RebuildOptions): Promise<RebuildResult> {
    const { projection, deps, progress, signals, batches: loop } = this;
    return rebuildProjection({ projection, deps, progress, signals, loop }, options);
  }

  /** Blue/green, beside the live worker (which goes on), with a progress and signals of its own. */
  async rebuildBlueGreen(options: RebuildOptions): Promise<RebuildResult> {
    const projection = this.projection;
    if (projection.external || !projection.tables)
      throw new Error(`Cannot rebuild ${projection.name} blue/green: it declares no tables`);
    const progress = new WorkerProgress(rebuildCheckpointName(projection.name));
    const rebuild = { signals: new WorkerSignals(progress), progress };
    this.rebuilds.add(rebuild);
    try {
      const { tables } = projection;
      return await rebuildBlueGreen({ projection, tables, deps: this.deps, ...rebuild }, options);
    } finally {
      this.rebuilds.delete(rebuild);
    }
  }
}
