import { disputeStreamId } from '@arbiter/disputes';
import { verifyChain } from '@arbiter/disputes/application/audit-chain';
import { type EventStore, type RecordedEvent, storedEventsOf } from '@arbiter/event-store';
import type { Clock, SqlConnection } from '@arbiter/platform';
import {
  closingDigest,
  currentEpoch,
  dropLeavesFrom,
  insertDigest,
  insertLeaves,
  latestDigest,
  markClosing,
  openingDigest,
  recordedLeaves,
} from './audit-records';
import { asAuditPublisher, type AuditSql, auditReader } from './audit-sql';
import {
  AUDIT_DIGEST_VERSION,
  type AuditDigest,
  checkDigestSignature,
  parseDigest,
  signDigest,
  type UnsignedDigest,
} from './digest';
import { AuditError } from './errors';
import type { AuditKeyring } from './keys';
import { changedParts, type LeafPart, type LeafRecord, leafHashOf, leafRecordOf } from './leaf';
import { MerkleTree } from './merkle';

/** One thing a check found wrong, named from the leaf record the digest's root vouches for. */
export type AuditFinding =
  | {
      kind: 'changed';
      position: string;
      streamId: string;
      revision: string;
      eventId: string;
      /** What differs from the event as it was signed. */
      parts: LeafPart[];
    }
  | { kind: 'removed'; position: string; streamId: string; revision: string; eventId: string }
  | { kind: 'inserted'; position: string; streamId: string; revision: string; eventId: string }
  | {
      kind: 'reordered';
      streamId: string;
      revision: string;
      eventId: string;
      fromPosition: string;
      toPosition: string;
    }
  | {
      kind: 'truncated';
      /** The log now ends here (-1: empty); the digest covered events after it. */
      afterPosition: string;
      missing: number;
      events: { position: string; streamId: string; revision: string; eventId: string }[];
    }
  | {
      /** Without a trustworthy leaf record: a stream whose hash chain breaks at this revision. */
      kind: 'chainBroken';
      streamId: string;
      revision: string;
    };

/** That one event is in the tree the digest's root stands for: check it with `verifyAuditPath`. */
export interface InclusionProof {
  leafIndex: number;
  /** Hex. */
  leafHash: string;
  record: LeafRecord;
  /** Sibling hashes (hex), nearest first. */
  auditPath: string[];
}

export interface AuditVerification {
  intact: boolean;
  digest: AuditDigest;
  /** Events read from the log up to the digest's position. */
  checkedEvents: number;
  /** The leaf record no longer yields the digest's root: findings come from the hash chains only. */
  recordAltered: boolean;
  findings: AuditFinding[];
  /** With a dispute: one per event of its stream, against the digest's root. */
  proofs: InclusionProof[];
  /** Plain sentences on what the answer rests on. */
  notes: string[];
}

export interface AuditLogOptions {
  connection: SqlConnection;
  /** The configured store; the log is read beneath its upcasting (`storedEventsOf`). */
  eventStore: EventStore;
  keyring: AuditKeyring;
  clock: Clock;
  /** Events read per batch from the store. */
  batchSize?: number;
  /** Recorded leaves read per statement. */
  leafPageSize?: number;
  /** How long an on-demand publish waits for another publisher. */
  lockWaitMs?: number;
  /** Told of every digest published (metrics). */
  onPublished?: (digest: AuditDigest) => void;
  /** Told when the periodic publisher failed (metrics). */
  onPublishFailed?: (error: unknown) => void;
}

export interface PublishOptions {
  /** Do not wait for another publisher: refuse with AUDIT_PUBLISHER_BUSY (the periodic publisher). */
  noWait?: boolean;
}

const hex = (buffer: Buffer) => buffer.toString('hex');

/**
 * Signed digests over the whole event log (libs/audit/README.md): publishes them, and checks a
 * digest an auditor kept against the log as it is now, naming what changed.
 */
export class AuditLog {
  private readonly store: EventStore;
  private readonly batchSize: number;
  private readonly leafPage: number;

  constructor(private readonly options: AuditLogOptions) {
    this.store = storedEventsOf(options.eventStore);
    this.batchSize = options.batchSize ?? 1_000;
    this.leafPage = options.leafPageSize ?? 10_000;
  }

  get keyring(): AuditKeyring {
    return this.options.keyring;
  }

  /** The newest published digest, or null before the first. */
  async latest(): Promise<AuditDigest | null> {
    const sql = auditReader(this.options.connection);
    return latestDigest(sql, await currentEpoch(sql));
  }

  /** For the periodic publisher: a failure to count. */
  publishFailed(error: unknown): void {
    this.options.onPublishFailed?.(error);
  }

  /** Whether the log has events the newest digest does not cover (or no digest exists yet). */
  async behind(): Promise<boolean> {
    const latest = await this.latest();
    if (!latest) return true;
    const head = await this.store.headPosition();
    return head > BigInt(latest.position);
  }

  /**
   * Signs a digest of the log up to its head when it grew since the newest digest (else returns
   * that one). Refuses with AUDIT_RECORD_ALTERED when the recorded leaves no longer yield the
   * newest signed root.
   */
  async publish(options: PublishOptions = {}): Promise<AuditDigest> {
    return asAuditPublisher(this.options.connection, this.lockWait(options), (sql) =>
      this.publishLocked(sql),
    );
  }

  /**
   * For a command that rewrites stored events: publishes the closing digest of the current epoch,
   * runs `rewrite`, then opens epoch e+1 with a tree recomputed over the whole log, whose first
   * digest names the closing one (`previousEpoch`). No digest is published meanwhile.
   */
  async beginEpoch(
    rewrite: () => Promise<void>,
  ): Promise<{ closing: AuditDigest; opening: AuditDigest }> {
    return asAuditPublisher(
      this.options.connection,
      this.options.lockWaitMs ?? 30_000,
      async (sql) => {
        const closing = await this.publishLocked(sql);
        await markClosing(sql, closing);
        await rewrite();
        const epoch = closing.epoch + 1;
        const events = await this.readStored(-1n);
        const records = events.map(leafRecordOf);
        const opening = this.sign(epoch, records, events, -1n, {
          epoch: closing.epoch,
          position: closing.position,
          count: closing.count,
          root: closing.root,
        });
        await sql.transaction(async (tx) => {
          await dropLeavesFrom(tx, epoch, 0);
          await insertLeaves(tx, epoch, 0, records);
          await insertDigest(tx, opening);
        });
        this.options.onPublished?.(opening);
        return { closing, opening };
      },
    );
  }

  private lockWait(options: PublishOptions): number {
    return options.noWait ? 0 : (this.options.lockWaitMs ?? 30_000);
  }

  /** The first digest of an empty log covers nothing (count 0, position -1). */
  private async publishLocked(sql: AuditSql): Promise<AuditDigest> {
    const epoch = await currentEpoch(sql);
    const last = await latestDigest(sql, epoch);
    const leaves = await recordedLeaves(sql, epoch, undefined, this.leafPage);
    const signedCount = last?.count ?? 0;
    const hashes = leaves.slice(0, signedCount).map((leaf) => leafHashOf(leaf.record));
    if (last) {
      const storedDiffers = leaves
        .slice(0, signedCount)
        .some((leaf, i) => leaf.storedHash !== hex(hashes[i]));
      if (
        leaves.length < signedCount ||
        storedDiffers ||
        hex(new MerkleTree(hashes).root()) !== last.root
      ) {
        throw new AuditError(
          'AUDIT_RECORD_ALTERED',
          `The recorded leaves of epoch ${epoch} no longer yield the root of its digest at ${last.count} events (${last.root}): the audit record was changed. No digest is signed until it is restored (an auditor's digest still checks the log).`,
        );
      }
    }
    const after = last ? BigInt(last.position) : -1n;
    const events = await this.readStored(after);
    if (last && events.length === 0) return last;
    const records = events.map(leafRecordOf);
    const all = [...leaves.slice(0, signedCount).map((leaf) => leaf.record), ...records];
    const digest = this.sign(epoch, all, events, after);
    await sql.transaction(async (tx) => {
      await dropLeavesFrom(tx, epoch, signedCount);
      await insertLeaves(tx, epoch, signedCount, records);
      await insertDigest(tx, digest);
    });
    this.options.onPublished?.(digest);
    return digest;
  }

  private sign(
    epoch: number,
    records: readonly LeafRecord[],
    newEvents: readonly RecordedEvent[],
    after: bigint,
    previousEpoch?: AuditDigest['previousEpoch'],
  ): AuditDigest {
    const root = new MerkleTree(records.map(leafHashOf)).root();
    const unsigned: UnsignedDigest = {
      version: AUDIT_DIGEST_VERSION,
      epoch,
      position: (newEvents.at(-1)?.position ?? after).toString(),
      count: records.length,
      root: hex(root),
      createdAt: this.options.clock.now().toISOString(),
      keyId: this.options.keyring.keyId,
      ...(previousEpoch ? { previousEpoch } : {}),
    };
    return signDigest(unsigned, this.options.keyring);
  }

  /** Stored events after `after`, up to `until` inclusive (default: the head), in log order. */
  private async readStored(after: bigint, until?: bigint): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    let from = after;
    for (;;) {
      const batch = await this.store.readAll({ after: from, maxCount: this.batchSize });
      for (const event of batch) {
        if (until !== undefined && event.position > until) return events;
        events.push(event);
      }
      if (batch.length < this.batchSize) return events;
      from = batch[batch.length - 1].position;
    }
  }

  /**
   * Checks a digest kept outside Arbiter against the log as it is now. Refuses (AuditError) a
   * digest that is malformed, not signed by a trusted key, badly signed, or beyond this log.
   * With `disputeId`: only findings touching that dispute, and an inclusion proof per event of it.
   */
  async verify(input: unknown, options: { disputeId?: string } = {}): Promise<AuditVerification> {
    const digest = parseDigest(input);
    checkDigestSignature(digest, this.options.keyring);
    const sql = auditReader(this.options.connection);
    const current = await currentEpoch(sql);
    if (digest.epoch > current) {
      throw new AuditError(
        'AUDIT_EPOCH_UNKNOWN',
        `The digest is of epoch ${digest.epoch}; this log has no record of epochs after ${current}.`,
      );
    }
    const streamId =
      options.disputeId === undefined ? undefined : disputeStreamId(options.disputeId);
    if (digest.epoch < current) return this.verifyOlderEpoch(digest, current, streamId);
    return this.verifyAgainstLog(digest, streamId);
  }

  private async verifyAgainstLog(
    digest: AuditDigest,
    streamId: string | undefined,
  ): Promise<AuditVerification> {
    const sql = auditReader(this.options.connection);
    const recorded = (await recordedLeaves(sql, digest.epoch, digest.count, this.leafPage)).map(
      (l) => l.record,
    );
    const recordTree = new MerkleTree(recorded.map(leafHashOf));
    const recordMatches =
      recorded.length === digest.count && hex(recordTree.root()) === digest.root;
    const limit = BigInt(digest.position);
    const events = await this.readStored(-1n, limit);
    const head = await this.store.headPosition();
    if (limit > head && !recordMatches) {
      throw new AuditError(
        'AUDIT_DIGEST_BEYOND_LOG',
        `The digest covers ${digest.count} events up to position ${digest.position}, but this log ends at position ${head} and its leaf record does not reach that far: a digest of another deployment, or the log and its record were both cut short.`,
      );
    }
    const actual = events.map(leafRecordOf);
    const actualTree = new MerkleTree(actual.map(leafHashOf));
    const intact = actual.length === digest.count && hex(actualTree.root()) === digest.root;
    const notes: string[] = [];
    let findings: AuditFinding[] = [];
    if (!intact && recordMatches) findings = diff(recorded, actual);
    if (!intact && !recordMatches) {
      notes.push(
        'The leaf record does not match the signed root either (record altered too): the events that changed cannot be named from it; the per-stream hash chains below localise what they can.',
      );
      if (actual.length !== digest.count) {
        notes.push(
          `The log holds ${actual.length} events up to position ${digest.position}; the digest counted ${digest.count}.`,
        );
      }
      findings = brokenChains(events);
    }
    if (streamId !== undefined) findings = findings.flatMap((f) => touching(f, streamId));
    const proofSource = intact
      ? { records: actual, tree: actualTree }
      : recordMatches
        ? { records: recorded, tree: recordTree }
        : undefined;
    const proofs =
      streamId === undefined || !proofSource
        ? []
        : proofsFor(streamId, proofSource.records, proofSource.tree);
    if (streamId !== undefined && proofSource && proofs.length === 0) {
      notes.push(`No event of ${streamId} is covered by this digest.`);
    }
    if (streamId !== undefined && !intact && !proofSource) {
      notes.push(
        'No inclusion proofs: neither the log nor the leaf record yields the signed root.',
      );
    }
    if (streamId !== undefined && !intact && findings.length === 0 && recordMatches) {
      notes.push(
        'Other events of the log differ from the digest (check without a dispute to see them); this dispute’s events are as signed.',
      );
    }
    notes.push(
      `Events recorded after position ${digest.position} are not covered by this digest: check them with a newer one.`,
    );
    return {
      intact: intact || (streamId !== undefined && findings.length === 0 && recordMatches),
      digest,
      checkedEvents: events.length,
      recordAltered: !recordMatches,
      findings,
      proofs,
      notes,
    };
  }

  /**
   * A digest of an earlier epoch: the log was rewritten since, so it is checked against that
   * epoch's leaf record, the signed chain of epoch transitions up to the current epoch, and the
   * current epoch's newest digest against the log.
   */
  private async verifyOlderEpoch(
    digest: AuditDigest,
    current: number,
    streamId: string | undefined,
  ): Promise<AuditVerification> {
    const sql = auditReader(this.options.connection);
    const notes: string[] = [];
    const recorded = (await recordedLeaves(sql, digest.epoch, digest.count, this.leafPage)).map(
      (l) => l.record,
    );
    const recordTree = new MerkleTree(recorded.map(leafHashOf));
    const recordMatches =
      recorded.length === digest.count && hex(recordTree.root()) === digest.root;
    if (!recordMatches) {
      notes.push(
        `The leaf record of epoch ${digest.epoch} no longer yields this digest's root: the record of that epoch was altered.`,
      );
    }
    let transitionsHold = true;
    for (let epoch = digest.epoch; epoch < current; epoch++) {
      const closing = await closingDigest(sql, epoch);
      const opening = await openingDigest(sql, epoch + 1);
      const problem = await this.transitionProblem(
        sql,
        epoch,
        closing,
        opening,
        epoch === digest.epoch ? digest : undefined,
      );
      if (problem) {
        transitionsHold = false;
        notes.push(problem);
      }
    }
    const latest = await latestDigest(sql, current);
    let tail: AuditVerification | undefined;
    if (latest) {
      checkDigestSignature(latest, this.options.keyring);
      tail = await this.verifyAgainstLog(latest, streamId);
      notes.push(
        `The log was rewritten since epoch ${digest.epoch} (now epoch ${current}): this digest was checked against its epoch's leaf record, and the proof across the rewrite rests on the signed transition digests (closing digest → previousEpoch of the next epoch's first digest), not on the events as they were. The current log was checked against epoch ${current}'s newest digest (${latest.count} events up to position ${latest.position}).`,
        ...tail.notes,
      );
    }
    const proofs =
      streamId !== undefined && recordMatches ? proofsFor(streamId, recorded, recordTree) : [];
    return {
      intact: recordMatches && transitionsHold && (tail?.intact ?? false),
      digest,
      checkedEvents: tail?.checkedEvents ?? 0,
      recordAltered: !recordMatches || (tail?.recordAltered ?? false),
      findings: tail?.findings ?? [],
      proofs,
      notes,
    };
  }

  /** Why the transition out of `epoch` is not proven, or null when it is. */
  private async transitionProblem(
    sql: Pick<AuditSql, 'query'>,
    epoch: number,
    closing: AuditDigest | null,
    opening: AuditDigest | null,
    earlier: AuditDigest | undefined,
  ): Promise<string | null> {
    if (!closing || !opening) return `No signed transition out of epoch ${epoch} is recorded.`;
    try {
      checkDigestSignature(closing, this.options.keyring);
      checkDigestSignature(opening, this.options.keyring);
    } catch (error) {
      return `The transition out of epoch ${epoch} is not signed by a trusted key: ${(error as Error).message}`;
    }
    const link = opening.previousEpoch;
    if (
      !link ||
      link.epoch !== closing.epoch ||
      link.count !== closing.count ||
      link.root !== closing.root ||
      link.position !== closing.position
    ) {
      return `Epoch ${epoch + 1}'s first digest does not name epoch ${epoch}'s closing digest.`;
    }
    if (earlier && earlier.count > closing.count) {
      return `The digest counts more events than epoch ${epoch} closed with.`;
    }
    const recorded = (await recordedLeaves(sql, epoch, closing.count, this.leafPage)).map(
      (l) => l.record,
    );
    if (
      recorded.length !== closing.count ||
      hex(new MerkleTree(recorded.map(leafHashOf)).root()) !== closing.root
    ) {
      return `The leaf record of epoch ${epoch} does not yield its closing digest's root.`;
    }
    return null;
  }
}

/** What differs between the signed leaf record and the log, event by event. */
function diff(recorded: readonly LeafRecord[], actual: readonly LeafRecord[]): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const actualById = new Map(actual.map((record) => [record.eventId, record]));
  const recordedIds = new Set(recorded.map((record) => record.eventId));
  const missing: LeafRecord[] = [];
  for (const before of recorded) {
    const now = actualById.get(before.eventId);
    if (!now) {
      missing.push(before);
      continue;
    }
    if (now.position !== before.position) {
      findings.push({
        kind: 'reordered',
        streamId: before.streamId,
        revision: before.revision,
        eventId: before.eventId,
        fromPosition: before.position,
        toPosition: now.position,
      });
    }
    const parts = changedParts(before, now);
    if (parts.length) {
      findings.push({
        kind: 'changed',
        position: before.position,
        streamId: before.streamId,
        revision: before.revision,
        eventId: before.eventId,
        parts,
      });
    }
  }
  for (const now of actual) {
    if (!recordedIds.has(now.eventId)) {
      findings.push({
        kind: 'inserted',
        position: now.position,
        streamId: now.streamId,
        revision: now.revision,
        eventId: now.eventId,
      });
    }
  }
  const lastActual = actual.reduce(
    (max, r) => (BigInt(r.position) > max ? BigInt(r.position) : max),
    -1n,
  );
  const tail = missing.filter((record) => BigInt(record.position) > lastActual);
  for (const record of missing) {
    if (BigInt(record.position) <= lastActual) {
      findings.push({
        kind: 'removed',
        position: record.position,
        streamId: record.streamId,
        revision: record.revision,
        eventId: record.eventId,
      });
    }
  }
  if (tail.length) {
    findings.push({
      kind: 'truncated',
      afterPosition: lastActual.toString(),
      missing: tail.length,
      events: tail.map(({ position, streamId, revision, eventId }) => ({
        position,
        streamId,
        revision,
        eventId,
      })),
    });
  }
  return findings;
}

/** Per stream, the first revision whose hash chain breaks (events up to the digest's position). */
function brokenChains(events: readonly RecordedEvent[]): AuditFinding[] {
  const byStream = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const list = byStream.get(event.streamId) ?? [];
    list.push(event);
    byStream.set(event.streamId, list);
  }
  const findings: AuditFinding[] = [];
  for (const [streamId, list] of byStream) {
    list.sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
    // Only streams that carry the chain (dispute streams) can be checked this way.
    if (!list.some((event) => typeof event.metadata.hash === 'string')) continue;
    const chain = verifyChain(list);
    if (!chain.intact) {
      findings.push({ kind: 'chainBroken', streamId, revision: chain.brokenAtRevision.toString() });
    }
  }
  return findings;
}

/** The finding as far as it touches one stream (a truncation keeps only that stream's events). */
function touching(finding: AuditFinding, streamId: string): AuditFinding[] {
  if (finding.kind !== 'truncated') return finding.streamId === streamId ? [finding] : [];
  const events = finding.events.filter((event) => event.streamId === streamId);
  return events.length ? [{ ...finding, missing: events.length, events }] : [];
}

function proofsFor(
  streamId: string,
  records: readonly LeafRecord[],
  tree: MerkleTree,
): InclusionProof[] {
  const proofs: InclusionProof[] = [];
  records.forEach((record, leafIndex) => {
    if (record.streamId !== streamId) return;
    proofs.push({
      leafIndex,
      leafHash: hex(leafHashOf(record)),
      record,
      auditPath: tree.auditPath(leafIndex).map(hex),
    });
  });
  return proofs;
}
