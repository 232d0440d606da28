import { PGlite } from '@electric-sql/pglite';
import { Pool, PoolConfig } from 'pg';

/**
 * One SQL database shared by the event store and the read models. In embedded mode both live in
 * the same PGlite instance (a data directory can be opened by one instance only); in production
 * both use one PostgreSQL pool.
 */
export type SqlConnection =
  | { kind: 'postgres'; pool: Pool; close(): Promise<void> }
  | { kind: 'pglite'; db: PGlite; close(): Promise<void> };

export type SqlConnectionOptions =
  | { kind: 'postgres'; url: string; pool?: Omit<PoolConfig, 'connectionString'> }
  /** `dataDir` undefined (or 'memory://') keeps the database in memory. */
  | { kind: 'pglite'; dataDir?: string };

export async function openSqlConnection(options: SqlConnectionOptions): Promise<SqlConnection> {
  if (options.kind === 'postgres') {
    const pool = new Pool({ connectionString: options.url, max: 20, ...options.pool });
    // An idle client's network error must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return { kind: 'postgres', pool, close: () => pool.end() };
  }
  const db = await PGlite.create(options.dataDir ?? 'memory://');
  return { kind: 'pglite', db, close: () => db.close() };
}
