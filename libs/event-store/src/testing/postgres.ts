import type { SqlConnection } from '@arbiter/platform';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

/**
 * "PostgreSQL or skip" for integration suites, shared by every lib that has PostgreSQL tests.
 * Test code, so it may read the environment: `DATABASE_URL` selects the server; without it the
 * suites skip with a printed reason, unless `REQUIRE_POSTGRES=1` (CI), where they fail.
 */
export function postgresTestUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  if (url) return url;
  if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error('REQUIRE_POSTGRES=1 but DATABASE_URL is not set: PostgreSQL suites cannot run');
  }
  console.warn(
    'Skipping PostgreSQL suites: DATABASE_URL is not set (set REQUIRE_POSTGRES=1 to fail instead)',
  );
  return undefined;
}

/** `describe` when PostgreSQL is available, `describe.skip` otherwise (see postgresTestUrl). */
export function describeWithPostgres(name: string, body: (url: string) => void): void {
  const url = postgresTestUrl();
  if (url) describe(name, () => body(url));
  else describe.skip(`${name} (no DATABASE_URL)`, () => it('skipped', () => undefined));
}

/** A name no other test run uses; tests and engineers share one server. */
export function uniqueSchemaName(prefix = 'test'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface PostgresTestSchema {
  /** A pool whose sessions have `search_path = <schema>, public`. */
  connection: SqlConnection;
  schema: string;
  /** Drops the schema (cascade) and closes the pool. */
  cleanup(): Promise<void>;
}

/**
 * Opens a pool isolated in a fresh schema. `create: false` leaves the schema to be created by the
 * code under test (e.g. a migration).
 */
export async function openPostgresTestSchema(
  url: string,
  options: { prefix?: string; create?: boolean; maxConnections?: number } = {},
): Promise<PostgresTestSchema> {
  const schema = uniqueSchemaName(options.prefix);
  const pool = new Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${schema},public`,
  });
  pool.on('error', () => undefined);
  const connection: SqlConnection = { kind: 'postgres', pool, close: () => pool.end() };
  if (options.create !== false) await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    connection,
    schema,
    cleanup: async () => {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await connection.close();
      }
    },
  };
}
