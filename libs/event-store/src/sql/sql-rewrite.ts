import type { SqlConnection } from '@arbiter/platform';
import { connectWithoutTimeouts } from '@arbiter/platform/database';
import type { EventMetadata } from '../port';
import { APPEND_LOCK_NAMESPACE, appendLockKey, DEFAULT_SCHEMA, quoteSchema } from './schema';

/** A stored event as a rewrite sees it: its raw bytes, in revision order. */
export interface StoredEventRow {
  position: bigint;
  revision: bigint;
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

/** What a rewrite replaces in one stored event (same position; ids, types and order stay). */
export interface RewrittenEvent {
  position: bigint;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * Rewrites stored events in place, for maintenance commands that must change the stored bytes
 * (encrypting personal text stored before encryption existed). One transaction holding the
 * store's append lock exclusively, so no append commits meanwhile; each stream's rows are locked
 * and handed to `rewrite` in revision order, and what it returns is written back. Returns how
 * many events were rewritten. Appends are an event store's only other writer: the caller says
 * why changing history is right, and accounts for it (the audit log's digest epochs).
 */
export async function rewriteStoredStreams(
  connection: SqlConnection,
  streamIds: readonly string[],
  rewrite: (streamId: string, events: StoredEventRow[]) => RewrittenEvent[],
  schema: string = DEFAULT_SCHEMA,
): Promise<number> {
  const table = `${quoteSchema(schema)}.events`;
  return inTransaction(connection, async (query) => {
    await query('SELECT pg_advisory_xact_lock($1, $2)', [
      APPEND_LOCK_NAMESPACE,
      appendLockKey(schema),
    ]);
    let count = 0;
    for (const streamId of streamIds) {
      const rows = await query<{
        position: string;
        revision: string;
        event_id: string;
        type: string;
        data: unknown;
        metadata: EventMetadata;
      }>(
        // `e.revision`: a bare `revision` would order by the text alias (10 before 2).
        `SELECT e.position::text AS position, e.revision::text AS revision, e.event_id, e.type, e.data, e.metadata
           FROM ${table} e WHERE e.stream_id = $1 ORDER BY e.revision FOR UPDATE`,
        [streamId],
      );
      const changes = rewrite(
        streamId,
        rows.map((row) => ({
          position: BigInt(row.position),
          revision: BigInt(row.revision),
          id: row.event_id,
          type: row.type,
          data: row.data,
          metadata: row.metadata,
        })),
      );
      for (const change of changes) {
        await query(
          `UPDATE ${table} SET data = $2::jsonb, metadata = $3::jsonb WHERE position = $1`,
          [
            change.position.toString(),
            JSON.stringify(change.data),
            JSON.stringify(change.metadata),
          ],
        );
        count++;
      }
    }
    return count;
  });
}

type Query = <Row>(text: string, params: unknown[]) => Promise<Row[]>;

async function inTransaction<T>(
  connection: SqlConnection,
  work: (query: Query) => Promise<T>,
): Promise<T> {
  if (connection.kind === 'pglite') {
    return connection.db.transaction((tx) =>
      work(
        async <Row>(text: string, params: unknown[]) => (await tx.query<Row>(text, params)).rows,
      ),
    );
  }
  // Outside the pool's statement timeouts: a rewrite may take long on a large log.
  const client = await connectWithoutTimeouts(connection.pool);
  try {
    await client.query('BEGIN');
    const result = await work(
      async <Row>(text: string, params: unknown[]) =>
        (await client.query(text, params)).rows as Row[],
    );
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(error as Error);
    throw error;
  }
}
