import {
  analystFormOf,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputeEvent,
  type DisputeEventType,
  type Pseudonymizer,
  visibleEventFor,
} from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import { InvalidCursorError } from '@arbiter/read-models';

/**
 * Who a feed is for, and so what it may carry:
 * - `analyst`: personal content reads `[redacted]`, people's ids read as pseudonyms, mediator-only
 *   events are left out (`analystFormOf`);
 * - `platform`: what the platform role sees everywhere else (`visibleEventFor('platform', …)`):
 *   people's and orders' ids stay real (the marketplace knows its buyers, sellers and orders), but
 *   the parties' conversation and every other personal text reads `[redacted]`, staff ids read
 *   `[redacted]` as for the parties, and mediator-only events are left out;
 * - `full`: as recorded, notes and personal text included. Only for the operator's `events`
 *   CLI (`--full`); no network feed hands it out.
 */
export type FeedForm = 'analyst' | 'platform' | 'full';

/**
 * A dispute event as the analytics feeds publish it (GraphQL `disputeEvents`, JetStream, the
 * `events` CLI): the same JSON everywhere, so a pipeline can switch transports.
 */
export interface FeedEvent {
  /** Opaque; resume after it with `after`. Orders events as the store does. */
  cursor: string;
  /** The event id (a uuid), unique in the whole log: consumers dedupe on it. */
  id: string;
  type: DisputeEventType;
  schemaVersion: number;
  disputeId: string;
  /** The event's 0-based revision in its dispute's stream. */
  revision: number;
  /** When the store recorded it (ISO-8601 UTC); `data.at` is when it happened. */
  recordedAt: string;
  /** Role of who caused it (`system` for deadlines). */
  actorRole: string;
  data: Record<string, unknown>;
}

export const DISPUTE_STREAM_PREFIX = 'dispute-';

const CURSOR_PREFIX = 'evt:';
const MAX_POSITION = 2n ** 64n - 1n;

/** The read side's INVALID_CURSOR, for the event feeds: the edge maps both the same way. */
export class InvalidEventCursorError extends InvalidCursorError {
  constructor() {
    super();
    this.message = 'The cursor is not one of this event log';
    this.name = 'InvalidEventCursorError';
  }
}

export function encodeEventCursor(position: bigint): string {
  return Buffer.from(`${CURSOR_PREFIX}${position}`).toString('base64url');
}

/** The store position a cursor stands for; InvalidEventCursorError for anything else. */
export function decodeEventCursor(cursor: string): bigint {
  if (cursor.length <= 40 && /^[A-Za-z0-9_-]+$/.test(cursor)) {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const match = /^evt:(0|[1-9][0-9]{0,19})$/.exec(text);
    if (match && encodeEventCursor(BigInt(match[1])) === cursor) {
      const position = BigInt(match[1]);
      if (position <= MAX_POSITION) return position;
    }
  }
  throw new InvalidEventCursorError();
}

const isDisputeEventType = (type: string): type is DisputeEventType =>
  Object.hasOwn(DISPUTE_EVENT_SCHEMA_VERSIONS, type);

/**
 * A recorded dispute event in the feed's form; null for what the form must not carry (other
 * streams, unknown types, mediator-only events for analysts and the platform).
 */
export function toFeedEvent(
  recorded: RecordedEvent,
  form: FeedForm,
  pseudonym: Pseudonymizer,
): FeedEvent | null {
  if (!recorded.streamId.startsWith(DISPUTE_STREAM_PREFIX) || !isDisputeEventType(recorded.type))
    return null;
  const event = { type: recorded.type, data: recorded.data } as DisputeEvent;
  const shown = shownIn(form, event, pseudonym);
  if (shown === null) return null;
  const schemaVersion = recorded.metadata.schemaVersion;
  return {
    cursor: encodeEventCursor(recorded.position),
    id: recorded.id,
    type: recorded.type,
    schemaVersion:
      typeof schemaVersion === 'number'
        ? schemaVersion
        : DISPUTE_EVENT_SCHEMA_VERSIONS[recorded.type],
    disputeId: event.data.disputeId,
    revision: Number(recorded.revision),
    recordedAt: recorded.recordedAt.toISOString(),
    actorRole: event.data.by?.role ?? recorded.metadata.actor?.role ?? 'system',
    data: shown.data as unknown as Record<string, unknown>,
  };
}

/** The event as the form may carry it, or null when that form leaves it out. */
function shownIn(
  form: FeedForm,
  event: DisputeEvent,
  pseudonym: Pseudonymizer,
): DisputeEvent | null {
  switch (form) {
    case 'full':
      return event;
    case 'platform':
      // The read side's own rule for the role, so the feed can never show the platform more
      // than its dispute views and timeline do.
      return visibleEventFor('platform', event);
    case 'analyst':
      return analystFormOf(event, pseudonym);
  }
}
