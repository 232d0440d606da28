import type { EmbeddedDatabase, SqlConnection } from '@arbiter/platform';
import type { PoolClient } from 'pg';
import { AuditError } from './errors';

/** Statements on one session; `transaction` runs its work atomically on that same session. */
export interface AuditSql {
  query<Row>(text: string, params?: unknown[]): Promise<Row[]>;
  transaction<T>(work: (sql: Omit<AuditSql, 'transaction'>) => Promise<T>): Promise<T>;
}

/** First key of the publisher's advisory lock ('AU' in ASCII), beside the read side's 'RM'. */
const LOCK_NAMESPACE = 0x4155;
const LOCK_NAME = 'audit-publisher';

const pgliteQueues = new WeakMap<EmbeddedDatabase, Promise<unknown>>();

/**
 * Runs `work` as the only audit publisher: a session advisory lock on PostgreSQL (any process),
 * an in-process queue on PGlite (one process's database). `waitMs`: how long to wait for another
 * publisher before refusing with AUDIT_PUBLISHER_BUSY (0: do not wait).
 */
export async function asAuditPublisher<T>(
  connection: SqlConnection,
  waitMs: number,
  work: (sql: AuditSql) => Promise<T>,
): Promise<T> {
  if (connection.kind === 'pglite') {
    const db = connection.db;
    const previous = pgliteQueues.get(db);
    if (previous && waitMs === 0) throw busy();
    const run = (previous ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => work(pgliteSql(db)));
    pgliteQueues.set(db, run);
    try {
      return await run;
    } finally {
      if (pgliteQueues.get(db) === run) pgliteQueues.delete(db);
    }
  }
  const client = await connection.pool.connect();
  let broken: Error | undefined;
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const [row] = (
        await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
          LOCK_NAMESPACE,
          LOCK_NAME,
        ])
      ).rows;
      if (row?.ok) break;
      if (Date.now() >= deadline) throw busy();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      return await work(pgSql(client));
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, LOCK_NAME])
        .catch((error: unknown) => {
          broken = error instanceof Error ? error : new Error(String(error));
        });
    }
  } finally {
    // A broken session is destroyed, which ends its lock too.
    client.release(broken);
  }
}

/** Statements without the publisher's lock: what a check reads. */
export function auditReader(connection: SqlConnection): Omit<AuditSql, 'transaction'> {
  if (connection.kind === 'pglite') return pgliteSql(connection.db);
  return {
    query: async <Row>(text: string, params: unknown[] = []) =>
      (await connection.pool.query(text, params)).rows as Row[],
  };
}

function busy(): AuditError {
  return new AuditError(
    'AUDIT_PUBLISHER_BUSY',
    'Another process is publishing an audit digest right now; try again in a moment.',
  );
}

function pgliteSql(db: EmbeddedDatabase): AuditSql {
  return {
    query: async <Row>(text: string, params: unknown[] = []) =>
      (await db.query<Row>(text, params)).rows,
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async <Row>(text: string, params: unknown[] = []) =>
            (await tx.query<Row>(text, params)).rows,
        }),
      ),
  };
}

function pgSql(client: PoolClient): AuditSql {
  const query = async <Row>(text: string, params: unknown[] = []) =>
    (await client.query(text, params)).rows as Row[];
  return {
    query,
    transaction: async (work) => {
      await client.query('BEGIN');
      try {
        const result = await work({ query });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}
