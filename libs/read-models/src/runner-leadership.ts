import { CheckpointMovedError } from './checkpoints';
import { ProjectionLease, tryAcquireProjectionLease } from './locks';
import type { BatchLoop } from './runner-batch-loop';
import { Interrupted, messageOf, ProjectionFailedError } from './runner-errors';
import { backoffMs, Dependencies } from './runner-options';
import type { WorkerProgress } from './runner-progress';
import type { WorkerSignals } from './runner-signals';

/** A moved checkpoint is reloaded at once, unless it moved under us this recently already. */
const RELOAD_AT_ONCE_AFTER_MS = 1_000;

/**
 * The lock loop of one projection: whoever holds its lock runs it, the others stand by and try
 * again every `lockRetryMs`. A failed projection keeps its lock until `retry()` or a stop; a lost
 * lock or an error of the store or database is retried with backoff.
 */
export class Leadership {
  private loop: Promise<void> | undefined;
  private resumeFailed: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly deps: Dependencies,
    private readonly progress: WorkerProgress,
    private readonly signals: WorkerSignals,
    private readonly batches: BatchLoop,
  ) {}

  get running(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop) return;
    this.signals.stopRequested = false;
    this.loop = this.run().finally(() => (this.loop = undefined));
  }

  async stop(): Promise<void> {
    this.signals.stopRequested = true;
    this.resumeFailed?.();
    this.progress.notify();
    await this.signals.subscription?.close().catch(() => undefined);
    await this.loop;
    if (this.progress.state !== 'failed') this.progress.setState('stopped');
  }

  retry(): void {
    this.resumeFailed?.();
  }

  private async run(): Promise<void> {
    const { connection, settings } = this.deps;
    const { name, signals, progress } = this;
    let infraFailures = 0;
    let lastReload = 0;
    while (!signals.stopRequested) {
      let lease: ProjectionLease | null = null;
      try {
        lease = await tryAcquireProjectionLease(connection, name);
      } catch (error) {
        infraFailures++;
        progress.recordError(error, infraFailures);
        settings.logger.warn(`Projection ${name}: cannot take its lock: ${messageOf(error)}`);
        await signals.sleep(backoffMs(settings.retry, infraFailures));
        continue;
      }
      if (!lease) {
        progress.setState('standby');
        await signals.sleep(settings.lockRetryMs);
        continue;
      }

      signals.hold(lease);
      try {
        await this.batches.run(lease);
      } catch (error) {
        if (error instanceof ProjectionFailedError) {
          infraFailures = 0;
          await this.waitForRetry();
        } else if (
          error instanceof CheckpointMovedError &&
          !signals.stopRequested &&
          Date.now() - lastReload > RELOAD_AT_ONCE_AFTER_MS
        ) {
          // A blue/green rebuild switched the projection to its new tables and moved the
          // checkpoint (or another holder did): nothing was committed; start again from the
          // stored checkpoint at once, without counting it as a failure. (Again within a second:
          // something else moves it, so the usual backoff below.)
          lastReload = Date.now();
          infraFailures = 0;
          settings.logger.log(`Projection ${name}: ${messageOf(error)}; reloading it`);
        } else if (!signals.stopRequested) {
          infraFailures++;
          const cause = error instanceof Interrupted ? (signals.leaseLost ?? error) : error;
          progress.recordError(cause, infraFailures);
          settings.logger.warn(`Projection ${name}: ${messageOf(cause)}; retrying`);
        }
      } finally {
        signals.holding = false;
        await signals.closeSubscription();
        await lease
          .release()
          .catch((error) =>
            settings.logger.warn(`Projection ${name}: releasing lock: ${messageOf(error)}`),
          );
        signals.leaseLost = undefined;
      }
      if (infraFailures > 0 && !signals.stopRequested)
        await signals.sleep(backoffMs(settings.retry, infraFailures));
    }
  }

  /**
   * Keeps the lock while failed: a standby would only fail on the same event again. A stop() that
   * landed after markFailed found no resumeFailed to call: check the flag on both sides of
   * installing it, or the wait (and the stop awaiting it) never ends.
   */
  private async waitForRetry(): Promise<void> {
    if (!this.signals.stopRequested) {
      await new Promise<void>((resolve) => {
        this.resumeFailed = resolve;
        if (this.signals.stopRequested) resolve();
      });
    }
    this.resumeFailed = undefined;
    if (!this.signals.stopRequested) this.progress.setState('catching-up');
  }
}
