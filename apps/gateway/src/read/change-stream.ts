import { encodeEventCursor } from '@arbiter/analytics';
import type { RecordedEvent, Subscription } from '@arbiter/event-store';

/** One message of a live list: the caller's view of a dispute and where to resume after it. */
export interface Change<T> {
  cursor: string;
  value: T;
}

/** Why a live list ended, and the cursor to resubscribe with (`after`) to continue without gap. */
export interface ChangeEnd {
  code: 'SUBSCRIBER_TOO_SLOW' | 'EVENT_FEED_INTERRUPTED';
  message: string;
  resumeAfter: string;
}

export type ChangeItem<T> =
  { change: Change<T>; end?: undefined } | { change?: undefined; end: ChangeEnd };

/** What a message told its subscriber of a dispute, to send nothing it already has. */
export interface Told {
  /** The view's `sequence`: it grows with each event the subscriber may see, so greater is newer. */
  sequence: number;
  /** False for a message saying the dispute is not (or no longer) in the list. */
  listed: boolean;
}

export interface ChangeStreamOptions<T> {
  /** The store position the stream starts after (the client's `after`, or the head when none). */
  after: bigint;
  /** Most disputes waiting to be sent; the reading pauses while this many wait. */
  capacity: number;
  /** How long a full stream waits for its consumer before it is cut off (SUBSCRIBER_TOO_SLOW). */
  stallMs: number;
  /**
   * What a message tells (its view's sequence, whether in the list), remembered per dispute so
   * that a view the subscriber already has, or a second "not in the list", is not sent again.
   * Without it every read view is sent.
   */
  told?: (value: T) => Told;
  /** Most disputes remembered (least recently sent forgotten first; default 10 × capacity). */
  remembered?: number;
}

/** Told when the stream cuts its subscriber off for being too slow, and when it ends at all. */
export interface ChangeStreamHooks {
  overflowed(): void;
  ended(): void;
}

/**
 * A live list for one subscriber: the store subscription (catch-up after `after`, then live, with
 * no gap between the two, as the store's subscriptions are) says which of the caller's disputes
 * changed; each is then read once as the caller may see it, however many events it had meanwhile.
 *
 * The waiting disputes are kept in the order of their latest event, and sent in that order: when
 * a dispute is sent with its latest position as cursor, every dispute whose changes lie at or
 * before that position was already sent (read no earlier than those changes). So a client that
 * resubscribes with the last cursor it saw gets the latest state of everything that changed after
 * it: what it missed, at worst something twice, never a gap.
 *
 * Bounded by disputes, not events: a dispute already waiting takes no more room. While
 * `capacity` disputes wait the reading pauses (a far-behind client catches up at its own pace);
 * a consumer that takes nothing for `stallMs` is cut off with a final item naming its resume
 * cursor, as is one whose store subscription or view read fails.
 *
 * A view is read at the latest state, which may be past the change that queued it: a resumed
 * subscriber whose dispute changed four times would otherwise get the same (latest) view twice,
 * once for the first change and once for the rest. So the stream remembers what it told of each
 * dispute (`told`) and skips a view no newer than that, and a second "not in the list" in a row.
 * A skipped change was delivered by the newer view already sent, so every cursor stays a safe
 * resume point. The memory is bounded: a forgotten dispute costs at worst one repeated message.
 */
export class ChangeStream<T> implements AsyncIterableIterator<ChangeItem<T>> {
  /** Dispute id → position of its latest unsent change, oldest first. */
  private readonly pending = new Map<string, bigint>();
  /** Dispute id → what it was last sent of it, least recently sent first. */
  private readonly sent = new Map<string, Told>();
  private lastSent: string;
  private end: Omit<ChangeEnd, 'resumeAfter'> | undefined;
  private endSent = false;
  private finished = false;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly source: Subscription,
    /** The dispute an event concerns when the caller follows it; null to ignore the event. */
    private readonly concerns: (event: RecordedEvent) => string | null | Promise<string | null>,
    /** The caller's view of the dispute once the read side passed `position`; null to skip it. */
    private readonly read: (disputeId: string, position: bigint) => Promise<T | null>,
    private readonly options: ChangeStreamOptions<T>,
    private readonly hooks?: ChangeStreamHooks,
  ) {
    this.lastSent = encodeEventCursor(options.after);
  }

  get waiting(): number {
    return this.pending.size;
  }

  start(): this {
    this.pumping ??= this.pump();
    return this;
  }

  async next(): Promise<IteratorResult<ChangeItem<T>>> {
    for (;;) {
      if (this.finished && !this.end) return { done: true, value: undefined };
      if (this.end) {
        if (this.endSent) return { done: true, value: undefined };
        this.endSent = true;
        const end = { ...this.end, resumeAfter: this.lastSent };
        void this.return();
        return { done: false, value: { end } };
      }
      const first = this.pending.entries().next();
      if (first.done) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const [disputeId, position] = first.value;
      this.pending.delete(disputeId);
      this.room?.();
      let value: T | null;
      try {
        value = await this.read(disputeId, position);
      } catch {
        this.stop(
          'EVENT_FEED_INTERRUPTED',
          'Reading a changed dispute failed; resume from resumeAfter',
        );
        continue;
      }
      if (this.finished) return { done: true, value: undefined };
      if (value === null || !this.isNews(disputeId, value)) continue;
      this.lastSent = encodeEventCursor(position);
      return { done: false, value: { change: { cursor: this.lastSent, value } } };
    }
  }

  async return(): Promise<IteratorResult<ChangeItem<T>>> {
    if (!this.finished) {
      this.finished = true;
      this.hooks?.ended();
      this.pending.clear();
      this.wake?.();
      this.room?.();
      await this.source.close().catch(() => undefined);
      await this.pumping;
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Whether `value` tells the subscriber anything it was not sent yet; if so, remembers it. */
  private isNews(disputeId: string, value: T): boolean {
    if (!this.options.told) return true;
    const told = this.options.told(value);
    const before = this.sent.get(disputeId);
    if (before && (told.sequence <= before.sequence || (!told.listed && !before.listed)))
      return false;
    this.sent.delete(disputeId);
    this.sent.set(disputeId, told);
    if (this.sent.size > (this.options.remembered ?? 10 * this.options.capacity)) {
      this.sent.delete(this.sent.keys().next().value as string);
    }
    return true;
  }

  private stop(code: ChangeEnd['code'], message: string): void {
    if (this.finished || this.end) return;
    this.end = { code, message };
    this.pending.clear();
    this.wake?.();
    void this.source.close().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for await (const event of this.source) {
        if (this.finished || this.end) return;
        const concerned = this.concerns(event);
        const disputeId = concerned instanceof Promise ? await concerned : concerned;
        if (disputeId === null) continue;
        if (this.pending.has(disputeId)) {
          // Moved to the end: the map stays ordered by each dispute's latest change.
          this.pending.delete(disputeId);
        } else if (this.pending.size >= this.options.capacity && !(await this.roomWithin())) {
          if (!this.finished) this.hooks?.overflowed();
          this.stop(
            'SUBSCRIBER_TOO_SLOW',
            `The subscriber took nothing for ${this.options.stallMs} ms with ${this.options.capacity} changed disputes waiting; resume from resumeAfter`,
          );
          return;
        }
        if (this.finished || this.end) return;
        this.pending.set(disputeId, event.position);
        this.wake?.();
      }
      this.stop(
        'EVENT_FEED_INTERRUPTED',
        'The event log subscription ended; resume from resumeAfter',
      );
    } catch {
      this.stop('EVENT_FEED_INTERRUPTED', 'Reading the event log failed; resume from resumeAfter');
    }
  }

  /** Waits until the consumer takes a dispute (true) or `stallMs` passes without one (false). */
  private roomWithin(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.room = undefined;
        resolve(this.pending.size < this.options.capacity);
      }, this.options.stallMs);
      this.room = () => {
        clearTimeout(timer);
        this.room = undefined;
        resolve(true);
      };
    });
  }
}
