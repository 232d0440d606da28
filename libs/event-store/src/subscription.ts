import { EventFilter, RecordedEvent, SubscribeOptions, Subscription } from './port';

/** What an adapter gives the shared subscription loop. */
export interface SubscriptionSource {
  /** Events with position > after, in the store's order; at most maxCount. */
  read(after: bigint, maxCount: number, filter: EventFilter | undefined): Promise<RecordedEvent[]>;
  /**
   * How long to sleep when caught up before reading again even without a wake-up: a safety net for
   * lost notifications, or a short interval while committed events still wait behind the fence.
   * `undefined` sleeps until woken.
   */
  idleDelayMs(after: bigint): Promise<number | undefined>;
  /** Called once the loop starts (before the first read, so no wake-up is missed) and when it ends. */
  attach(subscription: PollingSubscription): Promise<void>;
  detach(subscription: PollingSubscription): Promise<void>;
  /**
   * A failed read ends the iteration with its error unless this returns a delay: then the loop
   * sleeps that long (a close or a wake-up cuts the sleep short) and reads again from the same
   * checkpoint, so a retry can neither skip nor repeat an event. `attempt` counts from 0 and resets
   * after a successful read.
   */
  retryDelayMs?(error: unknown, attempt: number): number | undefined;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * Catch-up-then-live subscription shared by all adapters: read batches after the checkpoint until a
 * short batch, then sleep until `wake()` (a local append or a database notification) or the idle
 * delay, and read again. Reading is always by checkpoint, so a wake-up can never duplicate or skip.
 */
export class PollingSubscription implements Subscription {
  private closed = false;
  /** Set by wake(); cleared before each read, so a wake-up during a read forces one more read. */
  private signalled = false;
  private resolveSleep: (() => void) | undefined;
  private readonly iterator: AsyncGenerator<RecordedEvent, void, undefined>;

  constructor(
    private readonly source: SubscriptionSource,
    options: SubscribeOptions,
  ) {
    this.iterator = this.run(
      options.after ?? -1n,
      options.filter,
      options.batchSize ?? DEFAULT_BATCH_SIZE,
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.iterator;
  }

  wake(): void {
    this.signalled = true;
    const resolve = this.resolveSleep;
    this.resolveSleep = undefined;
    resolve?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    // Queued behind a pending next(), which resolves with done once it sees `closed`; then the
    // generator's finally block detaches from the source.
    await this.iterator.return(undefined);
  }

  private async *run(after: bigint, filter: EventFilter | undefined, batchSize: number) {
    let checkpoint = after;
    let failures = 0;
    await this.source.attach(this);
    try {
      while (!this.closed) {
        this.signalled = false;
        let batch: RecordedEvent[];
        try {
          batch = await this.source.read(checkpoint, batchSize, filter);
          failures = 0;
        } catch (error) {
          if (this.closed) return;
          const delay = this.source.retryDelayMs?.(error, failures++);
          if (delay === undefined) throw error;
          await this.sleep(delay);
          continue;
        }
        for (const event of batch) {
          if (this.closed) return;
          checkpoint = event.position;
          yield event;
        }
        if (batch.length >= batchSize || this.closed || this.signalled) continue;
        await this.sleep(await this.source.idleDelayMs(checkpoint));
      }
    } finally {
      this.closed = true;
      await this.source.detach(this);
    }
  }

  private sleep(ms: number | undefined): Promise<void> {
    if (this.signalled || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.resolveSleep = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }
}
