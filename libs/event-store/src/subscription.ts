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
    await this.source.attach(this);
    try {
      while (!this.closed) {
        this.signalled = false;
        const batch = await this.source.read(checkpoint, batchSize, filter);
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
