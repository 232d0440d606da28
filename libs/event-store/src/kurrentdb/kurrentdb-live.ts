import {
  type AllStreamSubscription,
  END,
  type Filter,
  type KurrentDBClient,
  type StreamSubscription,
} from '@kurrent/kurrentdb-client';
import type { PollingSubscription } from '../subscription';

/**
 * One live server subscription from the end of `$all` whose only job is to wake the readers (the
 * shared polling loop reads by checkpoint); open while any reader is attached. When the server
 * drops it, it is opened again with backoff and every reader is woken to read what it may have
 * missed.
 */
export class LiveWakeUps {
  private readonly subscriptions = new Set<PollingSubscription>();
  private live: StreamSubscription | AllStreamSubscription | undefined;
  private liveRetry: NodeJS.Timeout | undefined;
  private liveFailures = 0;
  private closed = false;

  constructor(
    /** The store's current client: it may be replaced (see KurrentDbEventStore.reading). */
    private readonly client: () => KurrentDBClient,
    private readonly filter: Filter,
    private readonly backoff: (attempt: number) => number,
  ) {}

  attach(subscription: PollingSubscription): void {
    this.subscriptions.add(subscription);
    if (this.subscriptions.size === 1) this.start();
  }

  detach(subscription: PollingSubscription): void {
    this.subscriptions.delete(subscription);
    if (this.subscriptions.size === 0) this.stop();
  }

  /** After the client was replaced: the live subscription moves to the new one. */
  reopen(): void {
    const hadLive = this.live !== undefined;
    this.stop();
    if (hadLive) this.start();
  }

  /** Ends every reader and the live subscription. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.stop();
  }

  private start(): void {
    if (this.closed || this.live) return;
    const live = this.client().subscribeToAll({ fromPosition: END, filter: this.filter });
    this.live = live;
    const wakeAll = () => {
      for (const subscription of this.subscriptions) subscription.wake();
    };
    live.on('data', () => {
      this.liveFailures = 0;
      wakeAll();
    });
    live.on('confirmation', () => {
      this.liveFailures = 0;
      wakeAll();
    });
    const dropped = () => {
      if (this.live !== live) return;
      this.live = undefined;
      void live.unsubscribe().catch(() => undefined);
      if (this.closed || this.subscriptions.size === 0) return;
      this.liveRetry = setTimeout(() => {
        this.liveRetry = undefined;
        if (this.subscriptions.size > 0) this.start();
        wakeAll();
      }, this.backoff(this.liveFailures++));
    };
    live.on('error', dropped);
    live.on('end', dropped);
    live.on('close', dropped);
  }

  private stop(): void {
    if (this.liveRetry) clearTimeout(this.liveRetry);
    this.liveRetry = undefined;
    const live = this.live;
    this.live = undefined;
    if (live) void live.unsubscribe().catch(() => undefined);
  }
}
