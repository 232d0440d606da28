import type { EventFilter, RecordedEvent } from '../port';
import { assertWindowSize, eventsAfter } from '../semantics';
import type { SqlReader } from './sql-read';

/** Events kept in the window: a few minutes of a busy log, a few MB. */
const DEFAULT_CAPACITY = 5_000;
/** Events per shared read of the log's end. */
const DEFAULT_PAGE = 1_000;

interface Fetch {
  /** The wake-up generation when it started: reads of that generation may share it. */
  readonly generation: number;
  readonly done: Promise<void>;
}

/**
 * The end of the log, read once for all of this store's live subscriptions. Every projection, feed
 * and forwarder follows the log with its own subscription; woken by the same append, each used to
 * run its own fence statement and read, so one command cost a dozen reads. Here a wake-up costs one
 * fence statement and one read (a `fetch`), whose events stay in a bounded window that every
 * subscription then takes its own events from (its filter applied in memory).
 *
 * The window holds every event with `start < position <= end` that lay below the fence when it was
 * read: a fence guarantees nothing below it can still commit, so extending the window from its
 * last event keeps it gapless. A subscription whose checkpoint lies before the window (it started
 * far behind, or its filter matched nothing for a long while) reads the store directly.
 *
 * Freshness: a read must see every event whose wake-up it answers. Reads share a fetch that is in
 * flight only when no wake-up came since that fetch started (the `generation`); otherwise they wait
 * for a new one, which starts after the one in flight ends. A wake-up during a read still makes the
 * subscription read again (PollingSubscription's `signalled`).
 */
export class SqlTail {
  private start: bigint | undefined;
  private end = 0n;
  private events: RecordedEvent[] = [];
  /** The last fetch met committed events at or above its fence (an older append still open). */
  private heldBack = false;
  /** The last fetch filled its page: more may lie below the fence. */
  private full = false;
  private generation = 0;
  private current: Fetch | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly reader: SqlReader,
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly pageSize = DEFAULT_PAGE,
  ) {
    assertWindowSize("The event store's tail window (tailWindow)", capacity, pageSize);
  }

  /** An append committed, here or (notified) elsewhere: reads from now on need a new fetch. */
  touch(): void {
    this.generation++;
  }

  /** Whether `after` lies in the window, so the window's fence state speaks for it. */
  covers(after: bigint): boolean {
    return this.start !== undefined && after >= this.start;
  }

  /** The last fetch's answer to "are committed events waiting behind the fence?". */
  get waitingBehindFence(): boolean {
    return this.heldBack;
  }

  /** A subscription's batch: events after `after` below the fence, at most `maxCount`. */
  async read(
    after: bigint,
    maxCount: number,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    // The first reader anchors the window where it stands; so does one past everything the window
    // read (it was idle while the log grew: reading the gap would serve nobody).
    if (this.start === undefined || (after > this.end && !this.current && !this.next)) {
      this.start = this.end = after;
      this.events = [];
    }
    if (after < this.start) return this.reader.readFenced(after, maxCount, filter);
    const generation = this.generation;
    let events = this.take(after, maxCount, filter);
    if (events.length >= maxCount) return events;
    await this.fetchSince(generation);
    for (;;) {
      // The window may have moved past `after` while this read waited.
      if (after < this.start) return this.reader.readFenced(after, maxCount, filter);
      events = this.take(after, maxCount, filter);
      if (events.length >= maxCount || !this.full) return events;
      await this.fetchSince(this.generation);
    }
  }

  private take(after: bigint, maxCount: number, filter: EventFilter | undefined): RecordedEvent[] {
    return eventsAfter(this.events, after, maxCount, filter);
  }

  /**
   * Resolves once a fetch that started with no wake-up after `generation` has ended: the one in
   * flight if it qualifies, else the next one, which starts when the one in flight ends (one fetch
   * at a time keeps the window gapless).
   */
  private fetchSince(generation: number): Promise<void> {
    if (this.current && this.current.generation >= generation) return this.current.done;
    // The next fetch is queued already (the one in flight may have just ended, the queue's turn
    // not yet come): wait for it, never start one beside it.
    if (this.next) return this.next;
    if (!this.current) return this.startFetch().done;
    this.next = this.current.done
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.startFetch().done;
      });
    return this.next;
  }

  private startFetch(): Fetch {
    // The generation as the fetch starts: its fence statement is sent before any later wake-up.
    const fetch: Fetch = { generation: this.generation, done: this.fill() };
    this.current = fetch;
    const settle = () => {
      if (this.current === fetch) this.current = undefined;
    };
    fetch.done.then(settle, settle);
    return fetch;
  }

  /** One fence statement and one read; the window grows by what lay below the fence. */
  private async fill(): Promise<void> {
    const { events, heldBack, full } = await this.reader.readPastFence(this.end, this.pageSize);
    this.heldBack = heldBack;
    this.full = full;
    if (events.length === 0) return;
    this.events.push(...events);
    this.end = events[events.length - 1].position;
    const excess = this.events.length - this.capacity;
    if (excess > 0) {
      this.start = this.events[excess - 1].position;
      this.events = this.events.slice(excess);
    }
  }
}
