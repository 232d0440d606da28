import type { Actor } from '@arbiter/auth';
import type { StoredFile } from '@arbiter/disputes';
import type { SqlConnection } from '@arbiter/platform';
import type { StoredBlob } from './blob-store';

/** One upload: who sent which blob for which dispute. */
export interface EvidenceUpload {
  disputeId: string;
  uploader: Pick<Actor, 'id' | 'role'>;
}

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
 * dispute. In the process's one SQL database (PostgreSQL or PGlite), so
 * every gateway sharing it counts the same uploads.
 */
export class EvidenceUploads {
  constructor(private readonly connection: SqlConnection) {}

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

  /** The file as uploaded by `uploader` for `disputeId`, or null: nobody else's uploads count. */
  async find(upload: EvidenceUpload, sha256: string): Promise<StoredFile | null> {
    const [row] = await this.query<{ size_bytes: number; media_type: string }>(
      `SELECT size_bytes::float8 AS size_bytes, media_type FROM evidence.uploads
        WHERE uploader_role = $1 AND uploader_id = $2 AND dispute_id = $3 AND sha256 = $4`,
      [upload.uploader.role, upload.uploader.id, upload.disputeId, sha256],
    );
    return row ? { sha256, mediaType: row.media_type, sizeBytes: row.size_bytes } : null;
  }

  /** Records the upload; the same bytes again for the same dispute are the same upload. */
  async register(upload: EvidenceUpload, blob: StoredBlob, now: Date): Promise<void> {
    await this.query(
      `INSERT INTO evidence.uploads
         (uploader_role, uploader_id, dispute_id, sha256, size_bytes, media_type, uploaded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        upload.uploader.role,
        upload.uploader.id,
        upload.disputeId,
        blob.sha256,
        blob.size,
        blob.mediaType,
        now.toISOString(),
      ],
    );
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
