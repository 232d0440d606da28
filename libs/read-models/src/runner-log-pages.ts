import type { EventFilter, EventStore, RecordedEvent } from '@arbiter/event-store';
import { assertWindowSize, eventsAfter } from '@arbiter/event-store/semantics';

/** Events kept: enough for projections catching up side by side to share what one of them read. */
const DEFAULT_CAPACITY = 20_000;
/** Events per read of the store (unfiltered: every projection takes its own events from it). */
const DEFAULT_PAGE = 2_000;

interface Fetch {
  /** Its number: a fetch numbered after a caller's call started after it. */
  readonly seq: number;
  readonly done: Promise<{ short: boolean }>;
}

/**
 * The log as the runner's projections catch up on it (after a start or in a rebuild): read once,
 * in unfiltered pages kept in a bounded window, from which each projection takes its own events.
 * Six projections rebuilding side by side used to read the whole log six times; reading was
 * half of a rebuild's time.
 *
 * The window holds every event with `start < position <= end` (each page continues from the last
 * event of the one before, and the store's `readAll` never skips a late commit). A projection
 * behind the window reads the store itself, with its filter.
 *
 * Completeness: a catch-up reads the head first and takes a short batch as "nothing left up to
 * the head". A short answer is therefore given only when the window reaches the head, or a page
 * read that started after the call came back short (the store had nothing more: the same answer
 * the caller's own `readAll` would have had).
 */
export class LogPages {
  private start: bigint | undefined;
  private end = 0n;
  private events: RecordedEvent[] = [];
  private seq = 0;
  private current: Fetch | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly capacity = DEFAULT_CAPACITY,
    private readonly pageSize = DEFAULT_PAGE,
  ) {
    assertWindowSize("The runner's catch-up window (catchUpWindow)", capacity, pageSize);
  }

  /** Up to `maxCount` events after `after` that match `filter`; all of them up to `head` at least. */
  async read(
    after: bigint,
    maxCount: number,
    filter: EventFilter,
    head: bigint,
  ): Promise<RecordedEvent[]> {
    if (this.start === undefined || (after > this.end && this.current === undefined)) {
      // Nothing shared yet, or the caller is past everything read: the window starts here.
      this.start = this.end = after;
      this.events = [];
    }
    const called = this.seq;
    let storeHadNoMore = false;
    for (;;) {
      // First, every time: the page this call waited for may have moved the window past `after`
      // (a full window drops its oldest events as a page comes in), and what the window holds
      // then starts after a gap.
      if (after < this.start) return this.store.readAll({ after, maxCount, filter });
      const events = this.take(after, maxCount, filter);
      if (events.length >= maxCount || this.end >= head || storeHadNoMore) return events;
      const fetch = this.current ?? this.startFetch();
      const { short } = await fetch.done;
      storeHadNoMore = short && fetch.seq > called;
    }
  }

  private take(after: bigint, maxCount: number, filter: EventFilter | undefined): RecordedEvent[] {
    return eventsAfter(this.events, after, maxCount, filter);
  }

  /** One page at a time, so the window stays gapless. */
  private startFetch(): Fetch {
    const fetch: Fetch = { seq: ++this.seq, done: this.fill() };
    this.current = fetch;
    const settle = () => {
      if (this.current === fetch) this.current = undefined;
    };
    fetch.done.then(settle, settle);
    return fetch;
  }

  private async fill(): Promise<{ short: boolean }> {
    const page = await this.store.readAll({ after: this.end, maxCount: this.pageSize });
    if (page.length > 0) {
      this.events.push(...page);
      this.end = page[page.length - 1].position;
      const excess = this.events.length - this.capacity;
      if (excess > 0) {
        this.start = this.events[excess - 1].position;
        this.events = this.events.slice(excess);
      }
    }
    return { short: page.length < this.pageSize };
  }
}
