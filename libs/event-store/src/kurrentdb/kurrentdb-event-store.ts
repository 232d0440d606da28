import { exponentialDelay, sleep } from '@arbiter/platform/backoff';
import {
  type AppendStreamState,
  BACKWARDS,
  END,
  ErrorType,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  type ReadPosition,
  START,
} from '@kurrent/kurrentdb-client';
import {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../port';
import { assertUniqueIds, matchesFilter, revisionMatches } from '../semantics';
import { PollingSubscription, SubscriptionSource } from '../subscription';
import { LiveWakeUps } from './kurrentdb-live';
import {
  errorType,
  isStreamNotFound,
  isSystemEvent,
  isTransient,
  isWrongExpectedVersion,
  replayedResult,
  serverFilter,
  toEventData,
  toRecorded,
} from './kurrentdb-mapping';

export interface KurrentDbEventStoreOptions {
  /**
   * Keeps this store's streams apart from others on the same server: every stream id is stored
   * with this prefix and `$all` reads see only those streams (e.g. `staging.`, or one per test).
   * It must end with a dot and hold no other, so no store's prefix can begin another's.
   */
  streamPrefix?: string;
  /** How often a caught-up subscription reads again without a wake-up (a safety net). */
  idlePollMs?: number;
  /** Longest pause between retries while the server is unreachable. */
  maxRetryDelayMs?: number;
}

/** Events fetched per `$all` read while a filter that the server cannot apply drops some. */
const READ_CHUNK = 1_000;
/** Retries of a read while the server is unreachable (100 ms doubling: about 3 s in all). */
const READ_RETRIES = 5;
/** 100, 200, 400, 800, 1600 ms between the read attempts: about three seconds in all. */
const READ_BACKOFF = { initialMs: 100, maxMs: 1_600 };
/** Appends retried after losing a race for the stream's head, before giving up. */
const MAX_APPEND_ATTEMPTS = 100;

/**
 * The event store on KurrentDB (formerly EventStoreDB) through the official gRPC client.
 *
 * Positions: an event's `$all` position is its commit position. KurrentDB's gRPC API has no
 * explicit transactions, and without them every event has its own commit position, equal to its
 * prepare position, so one bigint orders `$all` exactly and fits the `bigint` checkpoint columns;
 * `{ commit: p, prepare: p }` resumes from it. An event whose two positions differ (written by a
 * legacy client in an explicit transaction) is refused loudly rather than risk skipping a sibling.
 *
 * Idempotency: KurrentDB only reliably recognises re-appended event ids for an exact expected
 * revision (or no_stream); for `any` it is a best-effort cache. Appends with an exact revision or
 * no_stream go straight to the server, which checks the expectation and answers a retry at that
 * revision from what it stored; only when it refuses does the adapter read the stream. Appends
 * with `any` or `exists` always read it first. With the stream read, a re-append is answered from
 * what is stored (or refused when the content differs), the caller's expectation is checked here,
 * and the events go in at the exact revision read: a race for the head fails on the server and is
 * retried from a fresh read. Re-appending the same ids is therefore safe after any number of
 * other writes, as on PostgreSQL. Unlike PostgreSQL, the same id in another stream is not detected
 * (KurrentDB has no index by event id), nor is other content under the same ids at the exact
 * revision they were first appended at (the server compares ids only).
 *
 * Subscriptions read `$all` by checkpoint (the shared polling loop) and are woken by one live
 * server subscription per store (kurrentdb-live.ts); a dropped call or an unreachable server is retried with backoff,
 * and reading by checkpoint means a retry can neither skip nor repeat an event.
 */
export class KurrentDbEventStore implements EventStore, SubscriptionSource {
  private readonly wakeUps: LiveWakeUps;
  private closed = false;
  private readonly idlePollMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly prefix: string;
  private client: KurrentDBClient;
  /** Whether the current client ever completed a read (see `reading`). */
  private clientHasRead = false;
  private clientSince = Date.now();

  constructor(
    private readonly connect: () => KurrentDBClient,
    options: KurrentDbEventStoreOptions = {},
  ) {
    this.client = connect();
    this.idlePollMs = options.idlePollMs ?? 2_000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 2_000;
    this.prefix = options.streamPrefix ?? '';
    if (this.prefix && !/^[^.$][^.]*\.$/.test(this.prefix))
      throw new Error(
        `KurrentDB stream prefix ${JSON.stringify(this.prefix)} must end with a dot and contain no other dot (e.g. "staging.")`,
      );
    this.wakeUps = new LiveWakeUps(
      () => this.client,
      serverFilter(this.prefix, undefined),
      (attempt) => this.backoff(attempt),
    );
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    assertUniqueIds(events);
    // An exact revision or no_stream (every command's append): the server checks it, and answers a
    // retry of the same ids at that revision from what it stored. It compares ids only, so the
    // events now at those revisions are read back: other content under the same ids (two requests
    // with one idempotency key that decided differently) is a conflict, as on the other stores,
    // not a success. Only a refusal needs the stream read below (a re-append after later writes,
    // or a real conflict).
    if (
      events.length > 0 &&
      (expected === 'no_stream' || (typeof expected === 'bigint' && expected >= 0n))
    ) {
      let appended: AppendResult | undefined;
      try {
        appended = await this.appendAt(
          streamId,
          events,
          expected === 'no_stream' ? NO_STREAM : expected,
        );
      } catch (error) {
        if (!isWrongExpectedVersion(error)) throw error;
      }
      if (appended) {
        const stored = await this.readStream(streamId, {
          from: appended.nextRevision - BigInt(events.length) + 1n,
          maxCount: events.length,
        });
        replayedResult(stored, events);
        return appended;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const stream = await this.readStream(streamId);
      const actual = stream.length ? stream[stream.length - 1].revision : -1n;
      const ids = new Set(events.map((event) => event.id));
      if (stream.some((event) => ids.has(event.id))) {
        const replayed = replayedResult(stream, events);
        return replayed.position >= 0n ? replayed : this.positionOfReplay(streamId, events, stream);
      }
      if (!revisionMatches(expected, actual))
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      if (events.length === 0)
        return { nextRevision: actual, position: stream.at(-1)?.position ?? 0n };

      try {
        return await this.appendAt(streamId, events, actual === -1n ? NO_STREAM : actual);
      } catch (error) {
        // Someone else moved the head since the read: decide again on what is there now.
        if (!isWrongExpectedVersion(error) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
      }
    }
  }

  private async appendAt(
    streamId: string,
    events: readonly EventToAppend[],
    streamState: AppendStreamState,
  ): Promise<AppendResult> {
    const result = await this.client.appendToStream(
      this.prefix + streamId,
      events.map(toEventData),
      { streamState },
    );
    if (!result.position) throw new Error(`KurrentDB returned no position for ${streamId}`);
    return { nextRevision: result.nextExpectedRevision, position: result.position.commit };
  }

  /**
   * Servers that send no position with stream reads: re-append at the exact revision the events
   * already hold, which KurrentDB reliably answers from what is stored, with its position.
   */
  private async positionOfReplay(
    streamId: string,
    events: readonly EventToAppend[],
    stream: RecordedEvent[],
  ): Promise<AppendResult> {
    const first = stream.find((event) => event.id === events[0].id) as RecordedEvent;
    const result = await this.client.appendToStream(
      this.prefix + streamId,
      events.map(toEventData),
      {
        streamState: first.revision === 0n ? NO_STREAM : first.revision - 1n,
      },
    );
    const last = stream.find((event) => event.id === events[events.length - 1].id) as RecordedEvent;
    if (!result.position) throw new Error(`KurrentDB returned no position for ${streamId}`);
    return { nextRevision: last.revision, position: result.position.commit };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    let from = options.from;
    if (from !== undefined && from < 0n) {
      if (backwards) return [];
      from = undefined;
    }
    return this.reading(async (client) => {
      const result: RecordedEvent[] = [];
      try {
        for await (const resolved of client.readStream(this.prefix + streamId, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: from ?? (backwards ? END : START),
          maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
        })) {
          const event = toRecorded(this.prefix, resolved, false);
          if (event) result.push(event);
        }
      } catch (error) {
        if (isStreamNotFound(error)) return [];
        throw error;
      }
      return result;
    });
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.read(options.after ?? -1n, options.maxCount ?? Infinity, options.filter);
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    return new PollingSubscription(this, options);
  }

  async headPosition(): Promise<bigint> {
    return this.reading(async (client) => {
      for await (const resolved of client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: 1,
        filter: serverFilter(this.prefix, undefined),
      })) {
        const event = toRecorded(this.prefix, resolved, true);
        if (event) return event.position;
      }
      return 0n;
    });
  }

  /**
   * Runs a read (the client reads through its native bridge), retrying a few times over about
   * three seconds while the server is unreachable: reads are safe to repeat, and a bridge's first
   * connection can fail on a busy machine. A client whose bridge never reached the server stays
   * unavailable even once the server is back (one that connected once reconnects by itself), so
   * such a client is replaced, at most once a second.
   */
  private async reading<T>(read: (client: KurrentDBClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = this.client;
      try {
        const result = await read(client);
        if (client === this.client) this.clientHasRead = true;
        return result;
      } catch (error) {
        if (errorType(error) !== ErrorType.UNAVAILABLE || this.closed) throw error;
        if (
          client === this.client &&
          !this.clientHasRead &&
          Date.now() - this.clientSince >= 1_000
        ) {
          this.renewClient();
        }
        if (attempt >= READ_RETRIES) throw error;
        await sleep(exponentialDelay(attempt + 1, READ_BACKOFF));
      }
    }
  }

  private renewClient(): void {
    const old = this.client;
    this.client = this.connect();
    this.clientHasRead = false;
    this.clientSince = Date.now();
    this.wakeUps.reopen();
    void old.dispose().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.wakeUps.close();
    await this.client.dispose();
  }

  /** @internal SubscriptionSource: events after `after` (exclusive) that pass the filter. */
  async read(
    after: bigint,
    maxCount: number,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    if (maxCount <= 0 || filter?.eventTypes?.length === 0 || filter?.streamPrefixes?.length === 0)
      return [];
    const result: RecordedEvent[] = [];
    let cursor = after;
    // The server applies one filter (event types, or else stream prefixes, or else "no system
    // events"); the rest is checked here, so a read may need several chunks to fill maxCount.
    const onServer = serverFilter(this.prefix, filter);
    for (;;) {
      const fromPosition: ReadPosition = cursor < 0n ? START : { commit: cursor, prepare: cursor };
      // Reads from a position are inclusive: one more than wanted, the first one dropped.
      const want = Math.min(READ_CHUNK, maxCount - result.length) + 1;
      const { seen, full } = await this.reading(async (client) => {
        let seen = 0;
        for await (const resolved of client.readAll({
          fromPosition,
          maxCount: want,
          filter: onServer,
        })) {
          seen++;
          const event = toRecorded(this.prefix, resolved, true);
          if (!event || event.position <= cursor) continue;
          cursor = event.position;
          if (!isSystemEvent(event) && matchesFilter(event, filter)) result.push(event);
          if (result.length >= maxCount) return { seen, full: true };
        }
        return { seen, full: false };
      });
      if (full || seen < want) return result;
    }
  }

  /** @internal SubscriptionSource */
  async idleDelayMs(): Promise<number> {
    return this.idlePollMs;
  }

  /** @internal SubscriptionSource: the server was unreachable or dropped the call; try again. */
  retryDelayMs(error: unknown, attempt: number): number | undefined {
    if (this.closed || !isTransient(error)) return undefined;
    return this.backoff(attempt);
  }

  /** @internal SubscriptionSource */
  async attach(subscription: PollingSubscription): Promise<void> {
    this.wakeUps.attach(subscription);
  }

  /** @internal SubscriptionSource */
  async detach(subscription: PollingSubscription): Promise<void> {
    this.wakeUps.detach(subscription);
  }

  private backoff(attempt: number): number {
    return exponentialDelay(attempt + 1, { initialMs: 50, maxMs: this.maxRetryDelayMs });
  }
}

/** Opens a client for a `kurrentdb://` (or `esdb://`) connection string. */
export function createKurrentDbEventStore(
  url: string,
  options?: KurrentDbEventStoreOptions,
): KurrentDbEventStore {
  return new KurrentDbEventStore(() => KurrentDBClient.connectionString(url), options);
}
