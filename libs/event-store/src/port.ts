/**
 * The event store port. Every adapter (memory, PostgreSQL, PGlite, EventStoreDB) implements it
 * and passes the same contract suite (`testing/event-store.contract.ts`).
 */

/**
 * Who caused an event, as the caller gave it. The store keeps it without reading it, so the role is
 * a plain string here: which roles exist is the dispute domain's list (`ROLES` in its vocabulary).
 */
export interface Actor {
  id: string;
  role: string;
}

/** What every recorded event carries besides its data; all fields survive a round trip. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  actor?: Actor;
  commandId?: string;
  schemaVersion?: number;
  /** Adapters and later features may add fields (e.g. an audit hash); they are stored as given. */
  [key: string]: unknown;
}

/** An event as a command handler hands it to `append`. `id` is a uuid chosen by the caller. */
export interface EventToAppend<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

/** An event as the store recorded it. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  streamId: string;
  /** 0-based position of the event inside its stream. */
  revision: bigint;
  /** Global position in the store's log; strictly increasing in read order, may have gaps. */
  position: bigint;
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * `no_stream`: the stream must not exist; `exists`: it must; `any`: no check;
 * a bigint: the stream's current last revision must equal it.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'exists' | bigint;

export interface AppendOptions {
  expectedRevision?: ExpectedRevision;
}

export interface AppendResult {
  /** The revision of the last event now in the stream. */
  nextRevision: bigint;
  /** The global position of the last appended event. */
  position: bigint;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  /** Inclusive start revision; default the start (forwards) or the end (backwards). */
  from?: bigint;
  direction?: Direction;
  maxCount?: number;
}

export interface EventFilter {
  /** Only events of these types. */
  eventTypes?: readonly string[];
  /** Only events of streams whose id starts with one of these prefixes. */
  streamPrefixes?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: read events whose position is greater than this. Default: from the start. */
  after?: bigint;
  maxCount?: number;
  filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events whose position is greater than this. */
  after?: bigint;
  filter?: EventFilter;
  /** Events fetched per catch-up read (adapter default if omitted). */
  batchSize?: number;
}

/**
 * An async iterable that catches up from the checkpoint and then stays live.
 * `close()` ends the iteration cleanly (a pending `next()` resolves with done).
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  append(
    streamId: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  /** Events of one stream; an unknown stream reads as an empty list. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in the global order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** The position of the newest event a reader can see now (0n when empty). */
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}

/** Raised when `expectedRevision` does not hold. `actualRevision` is -1n for a missing stream. */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: bigint,
  ) {
    super(
      `Stream ${streamId}: expected revision ${String(expectedRevision)}, actual ${actualRevision === -1n ? 'no stream' : String(actualRevision)}`,
    );
    this.name = 'WrongExpectedRevisionError';
  }
}

/** Raised when the same event id is re-appended with different content or to a different place. */
export class EventIdConflictError extends Error {
  readonly code = 'EVENT_ID_CONFLICT';
  constructor(readonly eventId: string) {
    super(`Event ${eventId} was already appended with other content or to another stream`);
    this.name = 'EventIdConflictError';
  }
}
