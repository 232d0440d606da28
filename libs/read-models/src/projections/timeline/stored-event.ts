import { DISPUTE_EVENT_SCHEMAS, type DisputeEvent } from '@arbiter/disputes/read-side';
import { EventSchemas, FIRST_SCHEMA_VERSION, type RecordedEvent } from '@arbiter/event-store';

/**
 * The same registry the event store reads through: a timeline row keeps the event's data as it
 * was projected, so a row written before an upcaster existed is read in the current shape too.
 */
const DISPUTE_EVENTS = new EventSchemas([DISPUTE_EVENT_SCHEMAS]);

/** What a timeline row keeps of an event. */
export interface StoredTimelineEvent {
  disputeId: string;
  revision: number;
  type: string;
  data: unknown;
  schemaVersion: number;
}

/** The version to store with a projected event's data (events began without one, at 1). */
export function schemaVersionOf(recorded: RecordedEvent): number {
  const { schemaVersion } = recorded.metadata;
  return typeof schemaVersion === 'number' ? schemaVersion : FIRST_SCHEMA_VERSION;
}

/** A stored row's event in its type's current shape (refused, with a stable code, if newer). */
export function currentEventOf(row: StoredTimelineEvent): DisputeEvent {
  const read = DISPUTE_EVENTS.upcast({
    streamId: row.disputeId,
    revision: BigInt(row.revision),
    position: 0n,
    // Named for a refusal's message only: the row keeps no event id.
    id: `${row.disputeId}@${row.revision}`,
    type: row.type,
    data: row.data,
    metadata: { schemaVersion: row.schemaVersion },
    recordedAt: new Date(0),
  });
  return { type: read.type, data: read.data } as DisputeEvent;
}
