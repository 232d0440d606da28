import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { DISPUTE_EVENT_TYPES } from '@arbiter/disputes';
import { EVENT_STORE, type EventStore, type Subscription } from '@arbiter/event-store';
import { exponentialDelay, type ExponentialBackoff } from '@arbiter/platform/backoff';

type Listener = (position: bigint) => void;

export const DISPUTE_UPDATES_RETRY = Symbol('DISPUTE_UPDATES_RETRY');

/** Backoff before re-opening a failed store subscription: doubling from `initialMs`, capped at `maxMs`. */
export type RetryDelays = ExponentialBackoff;

/**
 * Which disputes changed, for `disputeUpdated`: one store subscription (`subscribeToAll`, dispute
 * events only) shared by every GraphQL subscriber of this process, open while anyone listens.
 * It says *that* a dispute moved and at which position; the resolver then reads the caller's
 * view once the projection has passed it. Fed by the store rather than by the runner, so it
 * works the same when the projections run in another process.
 *
 * A failing store read (a dropped database connection) must not silently starve every current
 * subscriber: while anyone listens, the subscription is re-opened from the last position
 * delivered, after a capped backoff, with a log line per attempt.
 */
@Injectable()
export class DisputeUpdates implements OnModuleDestroy {
  private readonly logger = new Logger('DisputeUpdates');
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly retry: RetryDelays;
  private subscription: Subscription | undefined;
  private pumping: Promise<void> | undefined;
  private wakeRetry: (() => void) | undefined;
  private destroyed = false;

  constructor(
    @Inject(EVENT_STORE)
    private readonly store: Pick<EventStore, 'subscribeToAll' | 'headPosition'>,
    @Optional() @Inject(DISPUTE_UPDATES_RETRY) retry?: RetryDelays,
  ) {
    this.retry = retry ?? { initialMs: 250, maxMs: 30_000 };
  }

  /** Calls `listener` with the position of each new event of the dispute; returns the unsubscribe. */
  async listen(disputeId: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(disputeId);
    if (!set) this.listeners.set(disputeId, (set = new Set()));
    set.add(listener);
    await this.open();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(disputeId);
      if (this.listeners.size === 0) void this.close();
    };
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    this.listeners.clear();
    await this.close();
  }

  private wanted(): boolean {
    return this.listeners.size > 0 && !this.destroyed;
  }

  private async open(): Promise<void> {
    if (this.pumping) return;
    // From the head as of now: a subscriber hears about changes after it subscribed.
    const after = await this.store.headPosition();
    if (this.pumping) return;
    const pumping = this.pump(after).finally(() => {
      if (this.pumping === pumping) this.pumping = undefined;
      // Someone subscribed again while the pump was shutting down.
      if (this.wanted()) void this.open();
    });
    this.pumping = pumping;
  }

  private async pump(after: bigint): Promise<void> {
    let position = after;
    let failures = 0;
    while (this.wanted()) {
      const subscription = this.store.subscribeToAll({
        after: position,
        filter: { eventTypes: DISPUTE_EVENT_TYPES },
      });
      this.subscription = subscription;
      let failure: unknown;
      try {
        for await (const event of subscription) {
          position = event.position;
          failures = 0;
          const disputeId = (event.data as { disputeId?: string }).disputeId;
          for (const listener of (disputeId && this.listeners.get(disputeId)) || [])
            listener(event.position);
        }
      } catch (error) {
        failure = error;
      }
      const closedHere = this.subscription !== subscription;
      if (!closedHere) this.subscription = undefined;
      if (!this.wanted()) return;
      if (closedHere && failure === undefined) continue; // closed, then listened to again at once
      failures += 1;
      const delay = exponentialDelay(failures, this.retry);
      const reason =
        failure === undefined
          ? 'the store subscription ended'
          : failure instanceof Error
            ? failure.message
            : String(failure);
      this.logger.warn(
        `Dispute updates interrupted (${reason}); re-opening after position ${position} in ${delay} ms (attempt ${failures})`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRetry = undefined;
    }
  }

  private async close(): Promise<void> {
    if (this.wanted()) return; // someone listens again
    const subscription = this.subscription;
    this.subscription = undefined;
    this.wakeRetry?.();
    await subscription?.close().catch(() => undefined);
    await this.pumping;
  }
}

/**
 * The async iterator a GraphQL subscription returns: positions in, the caller's view out, one
 * read per burst (positions that arrive while a read runs collapse into the latest). `return()`
 * (the client unsubscribed) ends it at once, even while it waits.
 */
export class UpdateStream<T> implements AsyncIterableIterator<T> {
  private latest: bigint | null = null;
  private wake: (() => void) | undefined;
  private done = false;
  private unsubscribe: (() => void) | undefined;

  /** `read` answers what to send for a position, or undefined when nothing the subscriber sees changed. */
  constructor(private readonly read: (position: bigint) => Promise<T | undefined>) {}

  attach(unsubscribe: () => void): void {
    if (this.done) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  push(position: bigint): void {
    if (this.latest === null || position > this.latest) this.latest = position;
    this.wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      while (!this.done && this.latest === null)
        await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
      if (this.done || this.latest === null) return { done: true, value: undefined };
      const position = this.latest;
      this.latest = null;
      const value = await this.read(position);
      if (value !== undefined) return { done: false, value };
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.unsubscribe?.();
    this.wake?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
