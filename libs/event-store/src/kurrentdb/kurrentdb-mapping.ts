import {
  type AllStreamResolvedEvent,
  ErrorType,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  type ResolvedEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import {
  AppendResult,
  EventFilter,
  EventIdConflictError,
  EventToAppend,
  RecordedEvent,
} from '../port';
import { canonicalJson } from '../semantics';

// Between the port's shapes and the KurrentDB client's: events, filters, and the client's errors.

/** Positions at or above this are placeholders, never real log positions. */
const NO_POSITION = 2n ** 63n;

/**
 * The one filter the server applies (event types, or else stream prefixes, or else "no system
 * events"; with a stream prefix always the prefix); `read` checks the rest.
 */
export function serverFilter(streamPrefix: string, filter: EventFilter | undefined): Filter {
  if (streamPrefix) {
    const prefixes = filter?.streamPrefixes ?? [''];
    return streamNameFilter({ prefixes: prefixes.map((prefix) => streamPrefix + prefix) });
  }
  if (filter?.eventTypes)
    return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  if (filter?.streamPrefixes) return streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  return excludeSystemEvents();
}

/**
 * The port's view of a stored event, or undefined for one that is not this store's (outside its
 * stream prefix). `$all`
 * reads must carry a position, and a single one (see KurrentDbEventStore); stream reads fall
 * back to -1n on servers that send none.
 */
export function toRecorded(
  streamPrefix: string,
  resolved: ResolvedEvent | AllStreamResolvedEvent,
  fromAll: boolean,
): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.streamId.startsWith(streamPrefix)) return undefined;
  // Servers before 2022 send 2^64-1 (or nothing) for positions on stream reads: no position.
  const position =
    event.position && event.position.commit < NO_POSITION ? event.position : undefined;
  if (fromAll && !position) throw new Error(`KurrentDB sent event ${event.id} without a position`);
  if (position && position.commit !== position.prepare && !event.streamId.startsWith('$'))
    throw new Error(
      `KurrentDB event ${event.id} has commit position ${position.commit} and prepare position ${position.prepare}: events written in explicit transactions are not supported`,
    );
  const metadata = event.metadata;
  return {
    streamId: event.streamId.slice(streamPrefix.length),
    revision: event.revision,
    position: position ? position.commit : -1n,
    id: event.id,
    type: event.type,
    data: event.isJson ? event.data : decodeJson(event.data as Uint8Array),
    metadata:
      metadata && !(metadata instanceof Uint8Array) && typeof metadata === 'object'
        ? (metadata as Record<string, unknown>)
        : {},
    recordedAt: event.created,
  };
}

export function toEventData(event: EventToAppend) {
  return {
    id: event.id,
    contentType: 'application/json' as const,
    type: event.type,
    data: (event.data ?? null) as never,
    metadata: event.metadata ?? {},
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isSystemEvent(event: RecordedEvent): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return Buffer.from(bytes).toString('base64');
  }
}

/** The first result again when every event is already stored, in order, with the same content. */
export function replayedResult(
  stream: RecordedEvent[],
  events: readonly EventToAppend[],
): AppendResult {
  const byId = new Map(stream.map((event) => [event.id, event]));
  let previous: RecordedEvent | undefined;
  for (const event of events) {
    const recorded = byId.get(event.id);
    const same =
      recorded !== undefined &&
      (previous === undefined || recorded.revision === previous.revision + 1n) &&
      recorded.type === event.type &&
      canonicalJson(recorded.data) === canonicalJson(event.data ?? null) &&
      canonicalJson(recorded.metadata) === canonicalJson(event.metadata ?? {});
    if (!same) throw new EventIdConflictError(event.id);
    previous = recorded;
  }
  const last = previous as RecordedEvent;
  return { nextRevision: last.revision, position: last.position };
}

export function errorType(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { type?: unknown }).type
    : undefined;
}

export function isWrongExpectedVersion(error: unknown): boolean {
  return errorType(error) === ErrorType.WRONG_EXPECTED_VERSION;
}

export function isStreamNotFound(error: unknown): boolean {
  return errorType(error) === ErrorType.STREAM_NOT_FOUND;
}

/** Errors that mean "the server or the link is away", not "this request is wrong". */
export function isTransient(error: unknown): boolean {
  const type = errorType(error);
  return (
    type === ErrorType.UNAVAILABLE ||
    type === ErrorType.DEADLINE_EXCEEDED ||
    type === ErrorType.CANCELLED ||
    type === ErrorType.NOT_LEADER ||
    type === ErrorType.TIMEOUT ||
    type === ErrorType.UNKNOWN
  );
}
