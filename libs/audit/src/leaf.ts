import { createHash } from 'node:crypto';
import { canonicalJson } from '@arbiter/disputes/application/audit-chain';
import type { RecordedEvent } from '@arbiter/event-store';
import { leafHash } from './merkle';

/**
 * What one leaf of the audit tree says about one stored event. Its bytes are the canonical JSON
 * of this record (keys sorted, no whitespace, UTF-8); bigints are decimal strings, `recordedAt`
 * an ISO-8601 UTC instant with milliseconds, the hashes lower-case hex SHA-256 of the canonical
 * JSON of the event's stored `data` and `metadata`. The two are hashed apart so that a check can
 * say which of them changed.
 */
export interface LeafRecord {
  position: string;
  streamId: string;
  revision: string;
  eventId: string;
  type: string;
  recordedAt: string;
  dataHash: string;
  metadataHash: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The leaf record of an event as the store holds it (read it through `storedEventsOf`). */
export function leafRecordOf(event: RecordedEvent): LeafRecord {
  return {
    position: event.position.toString(),
    streamId: event.streamId,
    revision: event.revision.toString(),
    eventId: event.id,
    type: event.type,
    recordedAt: event.recordedAt.toISOString(),
    dataHash: sha256Hex(canonicalJson(event.data)),
    metadataHash: sha256Hex(canonicalJson(event.metadata)),
  };
}

/** The bytes a leaf hashes: the record's canonical JSON. */
export function leafBytes(record: LeafRecord): string {
  return canonicalJson({
    position: record.position,
    streamId: record.streamId,
    revision: record.revision,
    eventId: record.eventId,
    type: record.type,
    recordedAt: record.recordedAt,
    dataHash: record.dataHash,
    metadataHash: record.metadataHash,
  });
}

/** SHA-256(0x00 || leaf bytes). */
export function leafHashOf(record: LeafRecord): Buffer {
  return leafHash(leafBytes(record));
}

/** What differs between the record an event had and the one it has now. */
export type LeafPart = 'data' | 'metadata' | 'type' | 'recordedAt' | 'streamId' | 'revision';

export function changedParts(before: LeafRecord, after: LeafRecord): LeafPart[] {
  const parts: LeafPart[] = [];
  if (before.dataHash !== after.dataHash) parts.push('data');
  if (before.metadataHash !== after.metadataHash) parts.push('metadata');
  if (before.type !== after.type) parts.push('type');
  if (before.recordedAt !== after.recordedAt) parts.push('recordedAt');
  if (before.streamId !== after.streamId) parts.push('streamId');
  if (before.revision !== after.revision) parts.push('revision');
  return parts;
}
