import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DISPUTE_EVENT_TYPES } from '@arbiter/disputes';
import { EVENT_STORE, type EventStore, type Subscription } from '@arbiter/event-store';

type Listener = (position: bigint) => void;

/**
 * Which disputes changed, for `disputeUpdated`: one store subscription (`subscribeToAll`, dispute
 * events only) shared by every GraphQL subscriber of this process, open while anyone listens.
 * It says *that* a dispute moved and at which position; the resolver then reads the caller's
 * view once the projection has passed it. Fed by the store rather than by the runner, so it
 * works the same when the projections run in another process.
 */
@Injectable()
export class DisputeUpdates implements OnModuleDestroy {
  private readonly logger = new Logger('DisputeUpdates');
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscription: Subscription | undefined;
  private pumping: Promise<void> | undefined;

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

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
    this.listeners.clear();
    await this.close();
  }

  private async open(): Promise<void> {
    if (this.subscription) return;
    // From the head as of now: a subscriber hears about changes after it subscribed.
    const after = await this.store.headPosition();
    if (this.subscription) return;
    const subscription = this.store.subscribeToAll({ after, filter: { eventTypes: DISPUTE_EVENT_TYPES } });
    this.subscription = subscription;
    this.pumping = (async () => {
      try {
        for await (const event of subscription) {
          const disputeId = (event.data as { disputeId?: string }).disputeId;
          for (const listener of (disputeId && this.listeners.get(disputeId)) || []) listener(event.position);
        }
      } catch (error) {
        this.logger.warn(`Dispute updates stopped: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        if (this.subscription === subscription) this.subscription = undefined;
      }
    })();
  }

  private async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
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

  constructor(private readonly read: (position: bigint) => Promise<T>) {}

  attach(unsubscribe: () => void): void {
    if (this.done) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  push(position: bigint): void {
    if (this.latest === null || position > this.latest) this.latest = position;
    this.wake?.();
  }

  async next(): Promise<IteratorResult<T>> {
    while (!this.done && this.latest === null) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.done || this.latest === null) return { done: true, value: undefined };
    const position = this.latest;
    this.latest = null;
    return { done: false, value: await this.read(position) };
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
