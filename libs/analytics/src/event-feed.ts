import { type DisputeEventType, type DisputeReason, disputeStreamId } from '@arbiter/disputes';
import type { EventFilter, EventStore, RecordedEvent, Subscription } from '@arbiter/event-store';
import {
  decodeEventCursor,
  DISPUTE_STREAM_PREFIX,
  encodeEventCursor as toCursor,
  InvalidEventCursorError,
  type FeedEvent,
  type FeedForm,
  toFeedEvent,
} from './feed-event';
import type { Pseudonyms } from './pseudonyms';

/** Which events a consumer wants; every part optional, the parts combine with AND. */
export interface FeedFilter {
  types?: readonly DisputeEventType[] | null;
  disputeId?: string | null;
  /** The dispute's reason (from its opening), for every event of the dispute. */
  reasons?: readonly DisputeReason[] | null;
}

export interface FeedPage {
  events: FeedEvent[];
  /**
   * Where the next page starts (pass it as `after`): the last event's cursor, or further on when
   * the events after it did not match the filter; null only when nothing at all was read.
   */
  endCursor: string | null;
  hasNextPage: boolean;
}

/** What a subscription hands out: an event, or why it ends and where to resume. */
export type FeedItem = { event: FeedEvent; end?: undefined } | { event?: undefined; end: FeedEnd };

/**
 * Why a feed subscription ends, as its final error's `extensions.code` (with `resumeAfter`), and
 * what that means to the consumer (docs/clients.md's error table is generated from this list).
 */
export const FEED_END_CODES = {
  SUBSCRIBER_TOO_SLOW:
    'The subscriber fell too far behind and was cut off: subscribe again with `after: resumeAfter`.',
  EVENT_FEED_INTERRUPTED:
    'The event log failed while the feed was being read: subscribe again with `after: resumeAfter`.',
} as const satisfies Record<string, string>;

export interface FeedEnd {
  /** `SUBSCRIBER_TOO_SLOW`: the buffer filled; `EVENT_FEED_INTERRUPTED`: the store failed. */
  code: keyof typeof FEED_END_CODES;
  message: string;
  /** The cursor of the last event delivered (or the `after` given): resume from it. */
  resumeAfter: string | null;
}

export interface EventFeedOptions {
  /** Events one page request reads at most, matching or not; default 10,000. */
  scanLimit?: number;
}

export interface EventFeedStats {
  subscriptions: number;
  bufferedEvents: number;
  /** Subscriptions ended because their consumer fell too far behind (since start). */
  overflows: number;
}

const REASON_CACHE_LIMIT = 100_000;
/** How long a full buffer may wait for its consumer to take an event before it is cut off. */
export const DEFAULT_STALL_MS = 10_000;

/**
 * The dispute events for analytics consumers, read through the event store port (so PostgreSQL,
 * PGlite and KurrentDB alike): pages for backfills, and subscriptions that catch up from a cursor
 * and then stay live, in the store's global order, in the form the consumer is entitled to
 * (`FeedForm`: the analyst's, the platform's, or the full one for the operator).
 */
export class EventFeed {
  private readonly reasons = new Map<string, DisputeReason>();
  private readonly live = new Set<FeedSubscription>();
  private overflows = 0;

  constructor(
    private readonly store: Pick<
      EventStore,
      'readAll' | 'readStream' | 'subscribeToAll' | 'headPosition'
    >,
    private readonly pseudonyms: Pseudonyms,
    private readonly options: EventFeedOptions = {},
  ) {}

  stats(): EventFeedStats {
    let bufferedEvents = 0;
    for (const subscription of this.live) bufferedEvents += subscription.buffered;
    return { subscriptions: this.live.size, bufferedEvents, overflows: this.overflows };
  }

  /**
   * The position a cursor stands for, checked against this log: InvalidEventCursorError for
   * anything that is not a cursor, or that lies beyond the newest event (no feed of this log can
   * have handed it out, and resuming there would silently skip what comes next). Null or
   * undefined: from the start.
   */
  async positionOf(cursor: string | null | undefined): Promise<bigint | undefined> {
    if (cursor === null || cursor === undefined) return undefined;
    const position = decodeEventCursor(cursor);
    if (position > (await this.store.headPosition())) throw new InvalidEventCursorError();
    return position;
  }

  /** Up to `first` events after the cursor (InvalidEventCursorError for a cursor not ours). */
  async page(
    form: FeedForm,
    args: { after?: string | null; first: number; filter?: FeedFilter },
  ): Promise<FeedPage> {
    let position = await this.positionOf(args.after);
    const filter = storeFilter(args.filter);
    const scanLimit = this.options.scanLimit ?? 10_000;
    const events: FeedEvent[] = [];
    let scanned = 0;
    let endPosition: bigint | undefined = position;
    let exhausted = false;
    while (events.length <= args.first && scanned < scanLimit) {
      const batch = await this.store.readAll({
        after: position,
        maxCount: Math.min(Math.max(args.first * 2, 100), scanLimit - scanned),
        filter,
      });
      scanned += batch.length;
      for (const recorded of batch) {
        const event = await this.toFeedEvent(recorded, form, args.filter);
        if (event) {
          events.push(event);
          if (events.length > args.first) break;
        }
        endPosition = recorded.position;
      }
      if (batch.length === 0) {
        exhausted = true;
        break;
      }
      position = batch[batch.length - 1].position;
    }
    const hasNextPage = events.length > args.first || !exhausted;
    const page = events.slice(0, args.first);
    return {
      events: page,
      endCursor:
        events.length > args.first
          ? (page.at(-1)?.cursor ?? null)
          : endPosition === undefined
            ? null
            : toCursor(endPosition),
      hasNextPage,
    };
  }

  /**
   * Events after the cursor (check it first with `positionOf`), then live ones. Reading runs ahead of the consumer by at most
   * `bufferSize` events and then waits for it, so a consumer that keeps taking events, however
   * far behind, holds at most that many. One that takes nothing for `stallMs` while the buffer is
   * full is cut off: it gets what is buffered, then an end item (SUBSCRIBER_TOO_SLOW) with the
   * cursor to resume after, and the store subscription is closed.
   */
  subscribe(
    form: FeedForm,
    args: { after?: string | null; filter?: FeedFilter; bufferSize: number; stallMs?: number },
  ): AsyncIterableIterator<FeedItem> {
    const after =
      args.after === null || args.after === undefined ? undefined : decodeEventCursor(args.after);
    const source = this.store.subscribeToAll({ after, filter: storeFilter(args.filter) });
    const subscription = new FeedSubscription(
      source,
      (recorded) => this.toFeedEvent(recorded, form, args.filter),
      { capacity: args.bufferSize, stallMs: args.stallMs ?? DEFAULT_STALL_MS },
      args.after ?? null,
      {
        overflowed: () => (this.overflows += 1),
        ended: () => this.live.delete(subscription),
      },
    );
    this.live.add(subscription);
    subscription.start();
    return subscription;
  }

  /** Synchronous unless the reasons filter must look a dispute's reason up in the store. */
  private toFeedEvent(
    recorded: RecordedEvent,
    form: FeedForm,
    filter: FeedFilter | undefined,
  ): FeedEvent | null | Promise<FeedEvent | null> {
    const disputeId = (recorded.data as { disputeId?: unknown }).disputeId;
    if (recorded.type === 'DisputeOpened' && typeof disputeId === 'string')
      this.remember(disputeId, (recorded.data as { reason: DisputeReason }).reason);
    if (filter?.disputeId && recorded.streamId !== disputeStreamId(filter.disputeId)) return null;
    if (filter?.types?.length && !filter.types.includes(recorded.type as DisputeEventType))
      return null;
    if (filter?.reasons?.length) {
      if (typeof disputeId !== 'string') return null;
      const reasons = filter.reasons;
      const known = this.reasons.get(disputeId);
      const matches = (reason: DisputeReason | undefined) =>
        reason !== undefined && reasons.includes(reason)
          ? toFeedEvent(recorded, form, this.pseudonyms.of)
          : null;
      return known !== undefined ? matches(known) : this.reasonOf(disputeId).then(matches);
    }
    return toFeedEvent(recorded, form, this.pseudonyms.of);
  }

  /** The reason a dispute was opened for: from memory, or its stream's first event. */
  private async reasonOf(disputeId: string): Promise<DisputeReason | undefined> {
    const known = this.reasons.get(disputeId);
    if (known !== undefined) return known;
    const [opening] = await this.store.readStream(disputeStreamId(disputeId), { maxCount: 1 });
    if (opening?.type !== 'DisputeOpened') return undefined;
    const reason = (opening.data as { reason: DisputeReason }).reason;
    this.remember(disputeId, reason);
    return reason;
  }

  private remember(disputeId: string, reason: DisputeReason): void {
    if (this.reasons.size >= REASON_CACHE_LIMIT) this.reasons.clear();
    this.reasons.set(disputeId, reason);
  }
}

/** What the store can filter itself: the dispute streams (or one) and the types asked for. */
function storeFilter(filter: FeedFilter | undefined): EventFilter {
  return {
    // Dispute streams hold dispute events only: the prefix alone selects them (cheaper to query).
    ...(filter?.types?.length ? { eventTypes: filter.types } : {}),
    streamPrefixes: [filter?.disputeId ? disputeStreamId(filter.disputeId) : DISPUTE_STREAM_PREFIX],
  };
}

/**
 * One consumer's subscription: a pump reads the store into a bounded queue; the consumer takes
 * from it. A full queue pauses the pump until the consumer takes an event; if it takes none for
 * `stallMs` (or the store fails), the pump stops and the consumer gets what was queued and one
 * final item saying why it ended and where to resume.
 */
class FeedSubscription implements AsyncIterableIterator<FeedItem> {
  private readonly queue: FeedEvent[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  private end: FeedEnd | undefined;
  private endHandedOut = false;
  private pumping: Promise<void> | undefined;
  /** Set while the pump waits for room: called when the consumer takes an event or leaves. */
  private room: (() => void) | undefined;

  constructor(
    private readonly source: Subscription,
    private readonly map: (recorded: RecordedEvent) => FeedEvent | null | Promise<FeedEvent | null>,
    private readonly limits: { capacity: number; stallMs: number },
    private lastDelivered: string | null,
    private readonly hooks: { overflowed(): void; ended(): void },
  ) {}

  get buffered(): number {
    return this.queue.length;
  }

  start(): void {
    this.pumping = this.pump();
  }

  async next(): Promise<IteratorResult<FeedItem>> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        this.lastDelivered = event.cursor;
        this.room?.();
        return { done: false, value: { event } };
      }
      if (this.end && !this.endHandedOut) {
        this.endHandedOut = true;
        const end = { ...this.end, resumeAfter: this.lastDelivered };
        void this.return();
        return { done: false, value: { end } };
      }
      if (this.finished || this.end) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<FeedItem>> {
    if (!this.finished) {
      this.finished = true;
      this.queue.length = 0;
      this.hooks.ended();
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

  private async pump(): Promise<void> {
    try {
      for await (const recorded of this.source) {
        if (this.finished) return;
        const mapped = this.map(recorded);
        const event = mapped instanceof Promise ? await mapped : mapped;
        if (event === null) continue;
        if (this.queue.length >= this.limits.capacity && !(await this.roomWithin())) {
          if (this.finished) return;
          this.hooks.overflowed();
          this.end = {
            code: 'SUBSCRIBER_TOO_SLOW',
            message: `The consumer took nothing for ${this.limits.stallMs} ms with ${this.limits.capacity} events waiting; resume from resumeAfter`,
            resumeAfter: null,
          };
          break;
        }
        if (this.finished) return;
        this.queue.push(event);
        this.wake?.();
      }
    } catch {
      if (!this.finished) {
        this.end = {
          code: 'EVENT_FEED_INTERRUPTED',
          message: 'Reading the event log failed; resume from resumeAfter',
          resumeAfter: null,
        };
      }
    } finally {
      if (!this.finished && !this.end) {
        this.end = {
          code: 'EVENT_FEED_INTERRUPTED',
          message: 'The event log subscription ended; resume from resumeAfter',
          resumeAfter: null,
        };
      }
      await this.source.close().catch(() => undefined);
      this.wake?.();
    }
  }

  /** Waits until the consumer takes an event (true) or `stallMs` passes without one (false). */
  private roomWithin(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.room = undefined;
        resolve(this.queue.length < this.limits.capacity);
      }, this.limits.stallMs);
      this.room = () => {
        clearTimeout(timer);
        this.room = undefined;
        resolve(true);
      };
    });
  }
}
