import { sql } from 'drizzle-orm';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { ATTR, inSpan, linksToEvents } from '@arbiter/platform/tracing';
import type { RecordedEvent } from '@arbiter/event-store';
import { advanceCheckpoint, markFailed } from './checkpoints';
import type { ProjectionLease } from './locks';
import type { AnyProjection } from './projection';
import {
  detailOf,
  Interrupted,
  isTransientDatabaseError,
  messageOf,
  ProjectionFailedError,
  sqlStateOf,
} from './runner-errors';
import { backoffMs, Dependencies } from './runner-options';
import type { WorkerProgress } from './runner-progress';
import type { WorkerSignals } from './runner-signals';

type Attempt = { applied: number } | { index: number; error: unknown };

/**
 * Applies events to one projection with its checkpoint, and the failure policy: a failing event is
 * retried with backoff and finally stops the projection at it, never past it.
 */
export class BatchApplier {
  /** Events per `applyBatch` transaction: adapted to `maxTransactionMs`, at most `batchSize`. */
  private transactionSize: number;

  constructor(
    private readonly projection: AnyProjection,
    private readonly deps: Dependencies,
    private readonly progress: WorkerProgress,
    private readonly signals: WorkerSignals,
  ) {
    this.transactionSize = deps.settings.batchSize;
  }

  /**
   * Applies `events` in one transaction (an external projection: its effect, then the checkpoint);
   * on a handler error commits the events before the failing one, then retries that event with
   * backoff and finally stops at it, never past it — unless the error is transient: then it is
   * retried without end, `lastError` showing it meanwhile.
   */
  apply(lease: ProjectionLease, events: readonly RecordedEvent[]): Promise<void> {
    // A root span of its own with a link to each event's command span (`metadata.trace`), not a
    // child of one: a batch applies events of many requests, and a span has one parent only.
    return inSpan(
      `projection ${this.projection.name}`,
      {
        parent: ROOT_CONTEXT,
        attributes: {
          [ATTR.projection]: this.projection.name,
          [ATTR.eventCount]: events.length,
          [ATTR.firstPosition]: events[0]?.position.toString() ?? '',
          [ATTR.lastPosition]: events.at(-1)?.position.toString() ?? '',
        },
        links: linksToEvents(events),
      },
      () => this.applyAll(lease, events),
    );
  }

  private async applyAll(lease: ProjectionLease, events: readonly RecordedEvent[]): Promise<void> {
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
        if (pending.length > 0 && this.signals.interrupted()) throw new Interrupted();
        continue;
      }
      const failure = result;
      const transient = this.isTransient(failure.error);
      if (failure.index > 0) {
        // An external projection's events before the failing one are committed already.
        if (!this.projection.external) await this.applyAll(lease, pending.slice(0, failure.index));
        pending = pending.slice(failure.index);
        attempts = transient ? 0 : 1;
        transientRetries = transient ? 1 : 0;
      } else if (transient) {
        transientRetries++;
      } else {
        attempts++;
      }
      const event = pending[0];
      this.progress.recordError(failure.error, attempts + transientRetries, event.position);
      if (transient) {
        const code = sqlStateOf(failure.error);
        settings.logger.warn(
          `Projection ${name}: ${event.type} at ${event.position} hit a transient error (${code === undefined ? '' : `${code}, `}retry ${transientRetries}): ${messageOf(failure.error)}`,
        );
        await this.signals.sleep(backoffMs(settings.retry, transientRetries));
        if (this.signals.interrupted()) throw new Interrupted();
        continue;
      }
      if (attempts >= settings.retry.attempts) {
        await markFailed(lease.db, name, {
          position: event.position,
          error: detailOf(failure.error),
          attempts,
          checkpoint: this.progress.position,
        });
        this.progress.failed(event.position);
        settings.logger.error(
          `Projection ${name} stopped at position ${event.position} (${event.type}, stream ${event.streamId}) after ${attempts} attempts: ${detailOf(failure.error)}`,
        );
        throw new ProjectionFailedError(name, event.position, failure.error);
      }
      settings.logger.warn(
        `Projection ${name}: ${event.type} at ${event.position} failed (attempt ${attempts}/${settings.retry.attempts}): ${messageOf(failure.error)}`,
      );
      await this.signals.sleep(backoffMs(settings.retry, attempts));
      if (this.signals.interrupted()) throw new Interrupted();
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
  ): Promise<Attempt> {
    const projection = this.projection;
    if (projection.external) return this.tryApplyExternal(projection, lease, events, oneByOne);
    const { settings } = this.deps;
    const from = this.progress.position;
    const canBatch = !oneByOne && projection.applyBatch !== undefined;
    const chunk = canBatch ? events.slice(0, this.transactionSize) : events;
    const batched = canBatch && chunk.length > 1;
    let applied = chunk.length;
    let failure = null as { index: number; error: unknown } | null;
    const started = performance.now();
    try {
      await lease.db.transaction(async (tx) => {
        // What a batch writes is derived from the log, and its checkpoint commits with it: a crash
        // that loses the last commits only makes the projection apply those events again. So the
        // commit does not wait for its WAL flush (a few ms per batch, the largest part of a live
        // event's way to the views); the events themselves are committed durably.
        if (this.deps.connection.kind === 'postgres')
          await tx.execute(sql`SET LOCAL synchronous_commit TO OFF`);
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
    this.progress.applied(applied, chunk[applied - 1].position);
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
  ): Promise<Attempt> {
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
      if (this.signals.interrupted() && index < events.length - 1) throw new Interrupted();
    }
    return { applied: events.length };
  }

  private async commitExternal(lease: ProjectionLease, count: number, to: bigint): Promise<void> {
    const { settings } = this.deps;
    const from = this.progress.position;
    await advanceCheckpoint(lease.db, this.projection.name, from, to, settings.owner);
    this.progress.applied(count, to);
  }

  private isTransient(error: unknown): boolean {
    return isTransientDatabaseError(error) || this.projection.isTransient?.(error) === true;
  }
}
