import { createHash } from 'node:crypto';

/**
 * Tamper evidence for a stream: each event's metadata carries `hash`, the sha256 of the canonical
 * JSON of the event (stream, revision, type, data, metadata without the hash) together with the
 * previous event's hash. Changing, removing or reordering any stored event breaks every hash from
 * that revision on.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainableEvent {
  streamId: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

export function chainHash(previousHash: string, event: ChainableEvent): string {
  const { hash: _ignored, ...metadata } = event.metadata;
  return createHash('sha256')
    .update(previousHash)
    .update(
      canonicalJson({
        streamId: event.streamId,
        revision: event.revision.toString(),
        type: event.type,
        data: event.data,
        metadata,
      }),
    )
    .digest('hex');
}

export type ChainVerification =
  | { intact: true; events: number; lastHash: string }
  | {
      intact: false;
      events: number;
      brokenAtRevision: bigint;
      expectedHash: string;
      storedHash: unknown;
    };

export function verifyChain(events: readonly ChainableEvent[]): ChainVerification {
  let previous = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const expected = chainHash(previous, event);
    // A gap in revisions (a removed event) breaks the chain just like altered content.
    if (event.revision !== BigInt(index) || event.metadata.hash !== expected) {
      return {
        intact: false,
        events: events.length,
        brokenAtRevision: BigInt(index),
        expectedHash: expected,
        storedHash: event.metadata.hash,
      };
    }
    previous = expected;
  }
  return { intact: true, events: events.length, lastHash: previous };
}

/** JSON with object keys sorted at every depth, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
