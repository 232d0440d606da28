import type { AuditDigest } from './digest';
import type { LeafRecord } from './leaf';
import { leafHashOf } from './leaf';

type Reader = { query<Row>(text: string, params?: unknown[]): Promise<Row[]> };

interface LeafRow {
  position: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  recorded_at: string;
  data_hash: string;
  metadata_hash: string;
  leaf_hash: string;
}

/** A recorded leaf: the record it was hashed from and the hash stored beside it. */
export interface StoredLeaf {
  record: LeafRecord;
  storedHash: string;
}

const T = 'read_models';

export async function currentEpoch(sql: Reader): Promise<number> {
  const [row] = await sql.query<{ epoch: number | null }>(
    `SELECT max(epoch) AS epoch FROM ${T}.audit_digests`,
  );
  return row?.epoch ?? 0;
}

/** The newest digest of `epoch` (the most events), or null. */
export async function latestDigest(sql: Reader, epoch: number): Promise<AuditDigest | null> {
  const [row] = await sql.query<{ digest: AuditDigest }>(
    `SELECT digest FROM ${T}.audit_digests WHERE epoch = $1 ORDER BY count DESC LIMIT 1`,
    [epoch],
  );
  return row?.digest ?? null;
}

/** The digest that opened `epoch` (the one naming the epoch before), or null. */
export async function openingDigest(sql: Reader, epoch: number): Promise<AuditDigest | null> {
  const [row] = await sql.query<{ digest: AuditDigest }>(
    `SELECT digest FROM ${T}.audit_digests WHERE epoch = $1 AND digest ? 'previousEpoch' ORDER BY count LIMIT 1`,
    [epoch],
  );
  return row?.digest ?? null;
}

/** The digest that closed `epoch` before a rewrite, or null. */
export async function closingDigest(sql: Reader, epoch: number): Promise<AuditDigest | null> {
  const [row] = await sql.query<{ digest: AuditDigest }>(
    `SELECT digest FROM ${T}.audit_digests WHERE epoch = $1 AND closing ORDER BY count DESC LIMIT 1`,
    [epoch],
  );
  return row?.digest ?? null;
}

export async function insertDigest(
  sql: Reader,
  digest: AuditDigest,
  closing = false,
): Promise<void> {
  await sql.query(
    `INSERT INTO ${T}.audit_digests (epoch, count, position, root, key_id, closing, digest, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      digest.epoch,
      digest.count,
      digest.position,
      digest.root,
      digest.keyId,
      closing,
      JSON.stringify(digest),
      digest.createdAt,
    ],
  );
}

export async function markClosing(sql: Reader, digest: AuditDigest): Promise<void> {
  await sql.query(`UPDATE ${T}.audit_digests SET closing = true WHERE epoch = $1 AND count = $2`, [
    digest.epoch,
    digest.count,
  ]);
}

/** The recorded leaves of `epoch` from index 0, at most `limit` of them. */
/** Leaves read per statement by default: each stays short, whatever the size of the log. */
const READ_PAGE = 10_000;

export async function recordedLeaves(
  sql: Reader,
  epoch: number,
  limit?: number,
  pageSize = READ_PAGE,
): Promise<StoredLeaf[]> {
  const leaves: StoredLeaf[] = [];
  let from = 0;
  for (;;) {
    const rows = await sql.query<LeafRow & { leaf_index: string }>(
      // Aliased: a column selected as text under its own name would make ORDER BY sort text.
      `SELECT index::text AS leaf_index, position::text, stream_id, revision::text, event_id, type,
              recorded_at, data_hash, metadata_hash, leaf_hash
         FROM ${T}.audit_leaves
        WHERE epoch = $1 AND index >= $2 AND ($3::bigint IS NULL OR index < $3::bigint)
        ORDER BY index LIMIT $4`,
      [epoch, from, limit ?? null, pageSize],
    );
    for (const row of rows) {
      leaves.push({
        record: {
          position: row.position,
          streamId: row.stream_id,
          revision: row.revision,
          eventId: row.event_id,
          type: row.type,
          recordedAt: row.recorded_at,
          dataHash: row.data_hash,
          metadataHash: row.metadata_hash,
        },
        storedHash: row.leaf_hash,
      });
    }
    if (rows.length < pageSize) return leaves;
    from = Number(rows[rows.length - 1].leaf_index) + 1;
  }
}

/** Drops leaves from `fromIndex` on (a publish that never committed its digest leaves none, but be sure). */
export async function dropLeavesFrom(sql: Reader, epoch: number, fromIndex: number): Promise<void> {
  await sql.query(`DELETE FROM ${T}.audit_leaves WHERE epoch = $1 AND index >= $2`, [
    epoch,
    fromIndex,
  ]);
}

const INSERT_BATCH = 1_000;

export async function insertLeaves(
  sql: Reader,
  epoch: number,
  firstIndex: number,
  records: readonly LeafRecord[],
): Promise<void> {
  for (let start = 0; start < records.length; start += INSERT_BATCH) {
    const batch = records.slice(start, start + INSERT_BATCH);
    const params: unknown[] = [];
    const values = batch.map((record, i) => {
      const base = params.length;
      params.push(
        epoch,
        firstIndex + start + i,
        record.position,
        record.streamId,
        record.revision,
        record.eventId,
        record.type,
        record.recordedAt,
        record.dataHash,
        record.metadataHash,
        leafHashOf(record).toString('hex'),
      );
      return `(${Array.from({ length: 11 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await sql.query(
      `INSERT INTO ${T}.audit_leaves (epoch, index, position, stream_id, revision, event_id, type,
         recorded_at, data_hash, metadata_hash, leaf_hash) VALUES ${values.join(', ')}`,
      params,
    );
  }
}
