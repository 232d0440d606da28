import {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventIdConflictError,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../port';
import { PollingSubscription, SubscriptionSource } from '../subscription';
import { assertUniqueIds, canonicalJson, matchesFilter, revisionMatches } from '../semantics';

/**
 * Process-memory store for handler unit tests. Same semantics as the SQL store (the contract suite
 * runs against both); data and metadata are deep-copied through JSON on the way in and out, so a
 * test cannot mutate what was "recorded" and sees the same JSON round trip as with a database.
 */
export class MemoryEventStore implements EventStore, SubscriptionSource {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly byId = new Map<string, RecordedEvent>();
  private readonly subscriptions = new Set<PollingSubscription>();

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = options.expectedRevision ?? 'any';
    assertUniqueIds(events);
    const stream = this.streams.get(streamId) ?? [];
    const actual = BigInt(stream.length) - 1n;

    const existing = events.map((event) => this.byId.get(event.id));
    if (existing.some((event) => event !== undefined))
      return this.replayedResult(streamId, events, existing);
    if (!revisionMatches(expected, actual))
      throw new WrongExpectedRevisionError(streamId, expected, actual);
    if (events.length === 0) {
      return { nextRevision: actual, position: stream.at(-1)?.position ?? 0n };
    }

    const recordedAt = new Date();
    for (const event of events) {
      const recorded: RecordedEvent = {
        streamId,
        revision: BigInt(stream.length),
        position: BigInt(this.log.length + 1),
        id: event.id,
        type: event.type,
        data: jsonCopy(event.data ?? null),
        metadata: jsonCopy(event.metadata ?? {}),
        recordedAt,
      };
      stream.push(recorded);
      this.log.push(recorded);
      this.byId.set(event.id, recorded);
    }
    this.streams.set(streamId, stream);
    for (const subscription of this.subscriptions) subscription.wake();
    const last = stream[stream.length - 1];
    return { nextRevision: last.revision, position: last.position };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const stream = this.streams.get(streamId) ?? [];
    const limit = options.maxCount ?? Infinity;
    const selected =
      options.direction === 'backwards'
        ? stream
            .filter((event) => options.from === undefined || event.revision <= options.from)
            .reverse()
        : stream.filter((event) => options.from === undefined || event.revision >= options.from);
    return selected.slice(0, limit).map(copyOut);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.read(options.after ?? -1n, options.maxCount ?? Infinity, options.filter);
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    return new PollingSubscription(this, options);
  }

  async headPosition(): Promise<bigint> {
    return this.log.at(-1)?.position ?? 0n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }

  /** @internal SubscriptionSource */
  async read(
    after: bigint,
    maxCount: number,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    // Positions are 1-based indexes into the log, so the start is found without scanning.
    const start = after < 0n ? 0 : Number(after);
    const result: RecordedEvent[] = [];
    for (let i = start; i < this.log.length && result.length < maxCount; i++) {
      if (matchesFilter(this.log[i], filter)) result.push(copyOut(this.log[i]));
    }
    return result;
  }

  /** @internal SubscriptionSource: appends wake subscribers directly, nothing to poll for. */
  async idleDelayMs(): Promise<undefined> {
    return undefined;
  }

  /** @internal SubscriptionSource */
  async attach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.add(subscription);
  }

  /** @internal SubscriptionSource */
  async detach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.delete(subscription);
  }

  private replayedResult(
    streamId: string,
    events: readonly EventToAppend[],
    existing: (RecordedEvent | undefined)[],
  ): AppendResult {
    existing.forEach((recorded, i) => {
      const event = events[i];
      const same =
        recorded !== undefined &&
        recorded.streamId === streamId &&
        (i === 0 || recorded.revision === (existing[i - 1] as RecordedEvent).revision + 1n) &&
        recorded.type === event.type &&
        canonicalJson(recorded.data) === canonicalJson(event.data ?? null) &&
        canonicalJson(recorded.metadata) === canonicalJson(event.metadata ?? {});
      if (!same) throw new EventIdConflictError(event.id);
    });
    const last = existing[existing.length - 1] as RecordedEvent;
    return { nextRevision: last.revision, position: last.position };
  }
}

function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function copyOut(event: RecordedEvent): RecordedEvent {
  return {
    ...event,
    data: jsonCopy(event.data),
    metadata: jsonCopy(event.metadata),
    recordedAt: new Date(event.recordedAt),
  };
}
