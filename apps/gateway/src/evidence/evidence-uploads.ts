import type { Actor } from '@arbiter/auth';
import type { StoredFile } from '@arbiter/disputes';
import type { SqlConnection } from '@arbiter/platform';
import type { StoredBlob } from './blob-store';

/**
 * How much one uploader may store. Per dispute the share is each uploader's own, so one party
 * cannot crowd the other out of a dispute; per user it is a rolling window across all disputes,
 * so a long-lived seller is never locked out for good.
 */
export interface EvidenceQuotas {
  filesPerDispute: number;
  bytesPerDispute: number;
  filesPerUser: number;
  bytesPerUser: number;
  userWindowMs: number;
}

/** One upload: who sent which blob for which dispute. */
export interface EvidenceUpload {
  disputeId: string;
  uploader: Pick<Actor, 'id' | 'role'>;
}

/** What is left of one of an uploader's quotas, and how to tell the caller about it. */
export interface EvidenceRoom {
  files: number;
  bytes: number;
  limit: string;
}

/** The quota a file of `size` bytes would break, if any. */
export const exceeded = (rooms: readonly EvidenceRoom[], size: number): EvidenceRoom | undefined =>
  rooms.find((room) => room.files < 1 || room.bytes < size);

type Query = <Row>(sql: string, params?: unknown[]) => Promise<Row[]>;

const SCHEMA = `
  CREATE SCHEMA IF NOT EXISTS evidence;
  CREATE TABLE IF NOT EXISTS evidence.uploads (
    uploader_role text        NOT NULL,
    uploader_id   text        NOT NULL,
    dispute_id    text        NOT NULL,
    sha256        text        NOT NULL,
    size_bytes    bigint      NOT NULL,
    media_type    text        NOT NULL,
    uploaded_at   timestamptz NOT NULL,
    PRIMARY KEY (uploader_role, uploader_id, dispute_id, sha256)
  );
  CREATE INDEX IF NOT EXISTS uploads_uploader_time_idx
    ON evidence.uploads (uploader_role, uploader_id, uploaded_at);
`;

/**
 * Which file was uploaded for which dispute by whom: the blob store keeps bytes by their hash
 * only, shared by everyone who sent the same bytes, so this is what makes a file belong to a
 * dispute and what the quotas count. In the process's one SQL database (PostgreSQL or PGlite), so
 * every gateway sharing it counts the same uploads.
 */
export class EvidenceUploads {
  constructor(
    private readonly connection: SqlConnection,
    private readonly quotas: EvidenceQuotas,
  ) {}

  /** Idempotent, and safe when several processes start at once (hence the lock). */
  async migrate(): Promise<void> {
    const lock = `SELECT pg_advisory_xact_lock(hashtext('arbiter.evidence.migrate'))`;
    if (this.connection.kind === 'pglite') {
      // Several statements in one string: PGlite runs those with exec, not query.
      await this.connection.db.transaction(async (tx) => {
        await tx.query(lock);
        await tx.exec(SCHEMA);
      });
      return;
    }
    await this.transaction(async (query) => {
      await query(lock);
      await query(SCHEMA);
    });
  }

  /**
   * Forgets every upload of a person (erasure): their rows go, and the files they uploaded that no
   * other uploader's row names are returned, for the caller to delete unless an event of another
   * person references them.
   */
  async forgetUploader(uploaderId: string): Promise<string[]> {
    return this.transaction(async (query) => {
      const removed = await query<{ sha256: string }>(
        `DELETE FROM evidence.uploads WHERE uploader_id = $1 RETURNING sha256`,
        [uploaderId],
      );
      const files = [...new Set(removed.map((row) => row.sha256))];
      if (files.length === 0) return [];
      const kept = await query<{ sha256: string }>(
        `SELECT DISTINCT sha256 FROM evidence.uploads WHERE sha256 = ANY($1::text[])`,
        [files],
      );
      const stillUploaded = new Set(kept.map((row) => row.sha256));
      return files.filter((file) => !stillUploaded.has(file));
    });
  }

  /** The file as uploaded by `uploader` for `disputeId`, or null: nobody else's uploads count. */
  async find(upload: EvidenceUpload, sha256: string): Promise<StoredFile | null> {
    const [row] = await this.query<{ size_bytes: number; media_type: string }>(
      `SELECT size_bytes::float8 AS size_bytes, media_type FROM evidence.uploads
        WHERE uploader_role = $1 AND uploader_id = $2 AND dispute_id = $3 AND sha256 = $4`,
      [upload.uploader.role, upload.uploader.id, upload.disputeId, sha256],
    );
    return row ? { sha256, mediaType: row.media_type, sizeBytes: row.size_bytes } : null;
  }

  /**
   * What the uploader may still store in this dispute at `now`. Read without a lock: it only
   * refuses early and bounds how much of an upload is read; `register` decides under the lock.
   */
  room(upload: EvidenceUpload, now: Date): Promise<EvidenceRoom[]> {
    return this.roomWith((sql, params) => this.query(sql, params), upload, now);
  }

  /**
   * Records the upload, or refuses it with the limit it would break (and records nothing). The
   * uploader's advisory lock serialises their concurrent uploads across processes, so two
   * uploads can never both take the last place. The same bytes again for the same dispute are
   * the same upload: accepted without counting twice.
   */
  async register(upload: EvidenceUpload, blob: StoredBlob, now: Date): Promise<string | null> {
    const { disputeId, uploader } = upload;
    return this.transaction(async (query) => {
      await query(
        `SELECT pg_advisory_xact_lock(hashtext('arbiter.evidence.quota'), hashtext($1))`,
        [`${uploader.role}:${uploader.id}`],
      );
      const [existing] = await query(
        `SELECT 1 FROM evidence.uploads
          WHERE uploader_role = $1 AND uploader_id = $2 AND dispute_id = $3 AND sha256 = $4`,
        [uploader.role, uploader.id, disputeId, blob.sha256],
      );
      if (existing) return null;
      const refusal = exceeded(await this.roomWith(query, upload, now), blob.size);
      if (refusal) return refusal.limit;
      await query(
        `INSERT INTO evidence.uploads
           (uploader_role, uploader_id, dispute_id, sha256, size_bytes, media_type, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          uploader.role,
          uploader.id,
          disputeId,
          blob.sha256,
          blob.size,
          blob.mediaType,
          now.toISOString(),
        ],
      );
      return null;
    });
  }

  private async roomWith(query: Query, upload: EvidenceUpload, now: Date): Promise<EvidenceRoom[]> {
    const q = this.quotas;
    const since = new Date(now.getTime() - q.userWindowMs).toISOString();
    const [used] = await query<{
      dispute_files: number;
      dispute_bytes: number;
      user_files: number;
      user_bytes: number;
    }>(
      `SELECT count(*) FILTER (WHERE dispute_id = $3)::float8 AS dispute_files,
              coalesce(sum(size_bytes) FILTER (WHERE dispute_id = $3), 0)::float8 AS dispute_bytes,
              count(*) FILTER (WHERE uploaded_at > $4)::float8 AS user_files,
              coalesce(sum(size_bytes) FILTER (WHERE uploaded_at > $4), 0)::float8 AS user_bytes
         FROM evidence.uploads WHERE uploader_role = $1 AND uploader_id = $2`,
      [upload.uploader.role, upload.uploader.id, upload.disputeId, since],
    );
    const hours = Math.round(q.userWindowMs / 3_600_000);
    return [
      {
        files: q.filesPerDispute - used.dispute_files,
        bytes: q.bytesPerDispute - used.dispute_bytes,
        limit: `Evidence quota reached: at most ${q.filesPerDispute} files and ${q.bytesPerDispute} bytes per party in one dispute`,
      },
      {
        files: q.filesPerUser - used.user_files,
        bytes: q.bytesPerUser - used.user_bytes,
        limit: `Evidence quota reached: at most ${q.filesPerUser} files and ${q.bytesPerUser} bytes per user in ${hours} hours`,
      },
    ];
  }

  private async query<Row>(sql: string, params: unknown[] = []): Promise<Row[]> {
    if (this.connection.kind === 'pglite') {
      return (await this.connection.db.query<Row>(sql, params)).rows;
    }
    return (await this.connection.pool.query(sql, params)).rows as Row[];
  }

  private async transaction<T>(work: (query: Query) => Promise<T>): Promise<T> {
    if (this.connection.kind === 'pglite') {
      return this.connection.db.transaction((tx) =>
        work(
          async <Row>(sql: string, params?: unknown[]) => (await tx.query<Row>(sql, params)).rows,
        ),
      );
    }
    const client = await this.connection.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(
        async <Row>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)).rows as Row[],
      );
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A client whose transaction failed midway may be broken: do not hand it out again.
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}
