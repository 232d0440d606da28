import type { RecordedEvent } from '@arbiter/event-store';
import { advanceCheckpoint, ensureCheckpoint } from './checkpoints';
import type { ProjectionLease } from './locks';
import type { AnyProjection } from './projection';
import type { BatchApplier } from './runner-apply';
import { Interrupted } from './runner-errors';
import type { Dependencies } from './runner-options';
import type { WorkerProgress } from './runner-progress';
import type { WorkerSignals } from './runner-signals';

const IDLE = Symbol('idle');

/**
 * What a worker does while it holds the projection's lock: catch up from the stored checkpoint
 * with `readAll`, then follow `subscribeToAll`, gathering whatever the subscription already holds
 * into one batch. The event store is only ever read outside a read-DB transaction: it may be
 * another system entirely, and on PGlite a transaction holds the single connection.
 */
export class BatchLoop {
  private readonly filter: { eventTypes: readonly string[] };
  private readonly types: ReadonlySet<string>;

  constructor(
    private readonly projection: AnyProjection,
    private readonly deps: Dependencies,
    private readonly progress: WorkerProgress,
    private readonly signals: WorkerSignals,
    private readonly applier: BatchApplier,
  ) {
    this.filter = { eventTypes: [...projection.eventTypes] };
    this.types = new Set(projection.eventTypes);
  }

  /** Runs until interrupted, failed (`ProjectionFailedError`) or an error of the store or database. */
  async run(lease: ProjectionLease): Promise<void> {
    const { eventStore, settings } = this.deps;
    const row = await ensureCheckpoint(lease.db, this.projection.name, settings.owner);
    this.progress.load(row);
    this.progress.setState('catching-up');
    await this.catchUp(lease);
    this.progress.setState('live');
    settings.logger.log(`Projection ${this.projection.name}: live at ${this.progress.checkpoint}`);

    const subscription = eventStore.subscribeToAll({
      after: this.progress.position,
      filter: this.filter,
      batchSize: settings.batchSize,
    });
    this.signals.subscription = subscription;
    if (this.signals.interrupted()) throw new Interrupted();
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
        if (this.signals.interrupted()) throw new Interrupted();
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
        (event) => event.position > this.progress.position && this.types.has(event.type),
      );
      if (fresh.length > 0) await this.applier.apply(lease, fresh);
      if (this.signals.interrupted()) throw new Interrupted();
    }
  }

  /** Reads and applies batches until a short one; returns the head the projection is now at. */
  async catchUp(
    lease: ProjectionLease,
    onBatch?: (applied: number, head: bigint) => void,
  ): Promise<bigint> {
    const { eventStore, settings } = this.deps;
    for (;;) {
      if (this.signals.interrupted()) throw new Interrupted();
      // Read the head first: every event at or below it is visible to the readAll that follows.
      const head = await eventStore.headPosition();
      // Through the runner's shared pages: projections catching up together read the log once.
      const events = await this.deps.pages.read(
        this.progress.position,
        settings.batchSize,
        this.filter,
        head,
      );
      if (events.length > 0) await this.applier.apply(lease, events);
      onBatch?.(events.length, head);
      if (events.length < settings.batchSize) {
        // Nothing matching is left up to `head`: record that, so lag and waitForPosition see it.
        const at = this.progress.position;
        const to = head > at ? head : at;
        await advanceCheckpoint(lease.db, this.projection.name, at, to, settings.owner, 'active');
        this.progress.advanceTo(to);
        return head;
      }
    }
  }
}
