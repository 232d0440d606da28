import { randomBytes } from 'node:crypto';
import { PGliteRemote, type SqlConnection } from '@arbiter/platform';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { Pool } from 'pg';

/**
 * A database of the test's own. The read models' PostgreSQL schema name is fixed (drizzle-kit
 * writes it into the migrations), so isolation is one database per test on PostgreSQL
 * (CREATE DATABASE, dropped afterwards) and one in-memory instance on PGlite.
 */
export interface ReadTestDatabase {
  kind: 'pglite' | 'postgres';
  connection: SqlConnection;
  /** Another "process" on the same database: a new pool (PostgreSQL) or the same instance (PGlite). */
  connectAgain(): Promise<SqlConnection>;
  dispose(): Promise<void>;
}

export type ReadTestDatabaseFactory = () => Promise<ReadTestDatabase>;

/** PGlite in memory, in a worker thread as the gateway runs it. */
export async function openPgliteTestDatabase(): Promise<ReadTestDatabase> {
  const db = await PGliteRemote.create('memory://');
  const connection: SqlConnection = { kind: 'pglite', db, close: () => db.close() };
  return {
    kind: 'pglite',
    connection,
    // PGlite is one process's database: a second runner shares the instance (close is a no-op).
    connectAgain: async () => ({ kind: 'pglite', db, close: async () => undefined }),
    dispose: () => db.close(),
  };
}

export async function openPostgresTestDatabase(url: string): Promise<ReadTestDatabase> {
  const name = `rm_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: url, max: 1 });
  admin.on('error', () => undefined);
  await admin.query(`CREATE DATABASE "${name}"`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pools: Pool[] = [];
  const connect = async (): Promise<SqlConnection> => {
    const pool = new Pool({ connectionString: target.toString(), max: 10 });
    pool.on('error', () => undefined);
    pools.push(pool);
    return { kind: 'postgres', pool, close: () => pool.end() };
  };
  const connection = await connect();
  return {
    kind: 'postgres',
    connection,
    connectAgain: connect,
    dispose: async () => {
      await Promise.all(pools.map((pool) => (pool.ended ? undefined : pool.end())));
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** PGlite always; PostgreSQL when DATABASE_URL is set (required when REQUIRE_POSTGRES=1). */
export function readTestDatabases(): [string, ReadTestDatabaseFactory][] {
  const url = postgresTestUrl();
  const targets: [string, ReadTestDatabaseFactory][] = [['pglite', openPgliteTestDatabase]];
  if (url) targets.push(['postgres', () => openPostgresTestDatabase(url)]);
  return targets;
}

/**
 * A PostgreSQL database of its own for a started gateway (end-to-end suites whose read-model
 * assertions must not see other runs' rows): its URL, and `drop()` once the gateway is closed.
 */
export async function createPostgresTestDatabase(
  url: string,
  prefix = 'e2e',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Pool({ connectionString: url, max: 1 });
  admin.on('error', () => undefined);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    drop: async () => {
      const again = new Pool({ connectionString: url, max: 1 });
      again.on('error', () => undefined);
      try {
        await again.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await again.end();
      }
    },
  };
}
