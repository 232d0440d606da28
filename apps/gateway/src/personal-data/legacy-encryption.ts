import type { AuditDigest, AuditLog } from '@arbiter/audit';
import { personalDataSubjectOf } from '@arbiter/disputes';
import { chainHash, GENESIS_HASH, verifyChain } from '@arbiter/disputes/application';
import {
  type DataKey,
  encryptLegacyEvent,
  type EventMetadata,
  type EventStore,
  type PersonKeys,
  personalDataMarkOf,
  type RewrittenEvent,
  rewriteStoredStreams,
  type StoredEventRow,
  storedEventsOf,
} from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';

/**
 * Events stored before personal fields were encrypted keep them in plaintext, and destroying a
 * person's key cannot erase those. This rewrites them in place, in the form appends write now,
 * and accounts for it in the audit proof:
 *
 * 1. It refuses unless the log is intact against the newest signed digest and every stream it
 *    would touch has an intact hash chain: a rewrite must never launder earlier tampering.
 * 2. The audit log closes the current digest epoch (a signed closing digest over the log as it
 *    was), the rewrite runs, and the next epoch opens with a tree recomputed over the rewritten
 *    log whose first signed digest names the closing one. A digest kept from before is then
 *    checked against its own epoch's leaf record and that signed transition (`AuditLog.verify`
 *    says so in its notes).
 * 3. Inside one transaction holding the event store's append lock exclusively, each legacy
 *    event with declared personal text is encrypted under its writer's key, and the hash chain of
 *    each touched stream is recomputed from its first event, so `disputeAuditVerify` stays intact.
 *
 * Only the SQL stores (PostgreSQL, PGlite) can be rewritten: KurrentDB events are immutable.
 * Writers must be stopped while it runs (a command that read a stream before the rewrite would
 * chain its new event to the old hash).
 */
export interface LegacyEncryptionPlan {
  /** Stored events whose declared personal text is still plaintext. */
  events: number;
  /** The streams holding them, in the order first met. */
  streams: string[];
  /** Distinct writers (people) whose keys encrypt them. */
  people: number;
}

interface Scan extends LegacyEncryptionPlan {
  subjects: Set<string>;
}

export interface LegacyEncryptionResult extends LegacyEncryptionPlan {
  /** Events whose stored data or chain hash changed (the encrypted ones and those after them). */
  rewritten: number;
  closing: AuditDigest;
  opening: AuditDigest;
}

export class LegacyEncryptionRefused extends Error {
  constructor(
    readonly code:
      | 'LEGACY_ENCRYPTION_NOT_SQL'
      | 'LEGACY_ENCRYPTION_LOG_NOT_INTACT'
      | 'LEGACY_ENCRYPTION_CHAIN_BROKEN',
    message: string,
  ) {
    super(message);
    this.name = 'LegacyEncryptionRefused';
  }
}

interface Legacy {
  streamId: string;
  type: string;
  data: unknown;
}

const BATCH = 1000;

/** Reads the stored log (the raw bytes, never a decrypted or upcast reading) for legacy events. */
export async function planLegacyEncryption(store: EventStore): Promise<LegacyEncryptionPlan> {
  const { subjects: _subjects, ...plan } = await scan(store);
  return plan;
}

async function scan(store: EventStore): Promise<Scan> {
  const stored = storedEventsOf(store);
  const streams = new Set<string>();
  const people = new Set<string>();
  let events = 0;
  let after: bigint | undefined;
  for (;;) {
    const batch = await stored.readAll({ after, maxCount: BATCH });
    if (batch.length === 0) break;
    for (const event of batch) {
      const subject = legacySubjectOf(event, event.metadata);
      if (!subject) continue;
      events++;
      streams.add(event.streamId);
      people.add(subject);
    }
    after = batch[batch.length - 1].position;
  }
  return { events, streams: [...streams], people: people.size, subjects: people };
}

function legacySubjectOf(event: Legacy, metadata: EventMetadata): string | undefined {
  if (personalDataMarkOf(metadata)) return undefined;
  const declared = personalDataSubjectOf(event);
  if (!declared) return undefined;
  // Only when something is there to encrypt (an optional field may be absent).
  return declared.paths.some((path) => stringsAt(event.data, path.split('.')))
    ? declared.subject
    : undefined;
}

function stringsAt(value: unknown, [head, ...rest]: string[]): boolean {
  if (head === undefined) return containsString(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  return stringsAt((value as Record<string, unknown>)[head], rest);
}

function containsString(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.some(containsString);
  if (value && typeof value === 'object') return Object.values(value).some(containsString);
  return false;
}

export async function encryptLegacyPersonalData(options: {
  connection: SqlConnection;
  store: EventStore;
  keys: PersonKeys;
  audit: AuditLog;
}): Promise<LegacyEncryptionResult | LegacyEncryptionPlan> {
  const { connection, store, keys, audit } = options;
  const { subjects, ...plan } = await scan(store);
  if (plan.events === 0) return plan;

  const latest = await audit.latest();
  if (latest) {
    const check = await audit.verify(latest);
    if (!check.intact) {
      throw new LegacyEncryptionRefused(
        'LEGACY_ENCRYPTION_LOG_NOT_INTACT',
        `The log does not match its newest signed digest (epoch ${latest.epoch}, ${latest.count} events up to position ${latest.position}): ${check.findings.length} finding(s). Rewriting it now would hide that; check it with \`npm run audit -- verify\` first.`,
      );
    }
  }
  for (const streamId of plan.streams) {
    const chain = verifyChain(await storedEventsOf(store).readStream(streamId));
    if (!chain.intact) {
      throw new LegacyEncryptionRefused(
        'LEGACY_ENCRYPTION_CHAIN_BROKEN',
        `The hash chain of ${streamId} breaks at revision ${chain.brokenAtRevision}: rewriting it would hide that.`,
      );
    }
  }

  // Keys first, outside the rewrite's transaction (PGlite runs one statement at a time: a key
  // created on the side while the transaction is open would wait for it forever).
  const subjectKeys = new Map<string, DataKey>();
  for (const subject of subjects) subjectKeys.set(subject, await keys.getOrCreate(subject));

  let rewritten = 0;
  const { closing, opening } = await audit.beginEpoch(async () => {
    rewritten = await rewriteStoredStreams(connection, plan.streams, (streamId, events) =>
      encryptAndRechain(streamId, events, subjectKeys),
    );
  });
  return { ...plan, rewritten, closing, opening };
}

/** The stream's events with legacy personal text encrypted, and the chain recomputed over them. */
function encryptAndRechain(
  streamId: string,
  events: StoredEventRow[],
  keys: ReadonlyMap<string, DataKey>,
): RewrittenEvent[] {
  let previousHash = GENESIS_HASH;
  const changed: RewrittenEvent[] = [];
  for (const event of events) {
    let { data, metadata } = event;
    const subject = legacySubjectOf({ streamId, type: event.type, data }, metadata);
    if (subject) {
      const key = keys.get(subject);
      // A writer met since the scan (writers were not stopped): their events wait for a next run.
      if (!key) throw new Error(`No key prepared for ${subject}: stop the writers and run again`);
      const paths = personalDataSubjectOf({ type: event.type, data })?.paths ?? [];
      ({ data, metadata } = encryptLegacyEvent(
        { id: event.id, data, metadata },
        subject,
        key,
        paths,
      ));
    }
    const hash = chainHash(previousHash, {
      streamId,
      revision: event.revision,
      type: event.type,
      data,
      metadata,
    });
    previousHash = hash;
    if (subject || metadata.hash !== hash)
      changed.push({ position: event.position, data, metadata: { ...metadata, hash } });
  }
  return changed;
}
