import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SqlConnection } from '@arbiter/platform';
import { connectWithoutTimeouts } from '@arbiter/platform/database';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { LOCK_NAMESPACE, withInProcessMutex } from './locks';
import { drizzleClient, type ReadDb } from './database';
import { sql } from 'drizzle-orm';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/** Where Drizzle records applied read-model migrations (kept out of the read_models schema it creates). */
export const MIGRATIONS_TABLE = {
  migrationsSchema: 'drizzle',
  migrationsTable: '__read_models_migrations',
} as const;

export interface MigrateReadModelsOptions {
  /** Defaults to libs/read-models/migrations, found from the source tree or the working directory. */
  migrationsFolder?: string;
}

export function defaultMigrationsFolder(): string {
  const candidates = [
    // From the sources, and from dist/ (`npm run build` copies the folder beside the compiled lib).
    resolve(__dirname, '../migrations'),
    // A build made with bare `tsc` lacks the copy: found from the repository root as a last resort.
    resolve(process.cwd(), 'libs/read-models/migrations'),
  ];
  const found = candidates.find((folder) => existsSync(resolve(folder, 'meta/_journal.json')));
  if (!found) throw new Error(`Read-model migrations not found in ${candidates.join(' or ')}`);
  return found;
}

/**
 * Applies the committed read-model migrations through Drizzle's migrator. Drizzle's migrator
 * takes no lock, so two processes starting together would both see "not applied" and race on
 * CREATE SCHEMA: on PostgreSQL the whole run holds a session advisory lock on one client.
 */
export async function migrateReadModels(
  connection: SqlConnection,
  options: MigrateReadModelsOptions = {},
): Promise<void> {
  const config = {
    migrationsFolder: options.migrationsFolder ?? defaultMigrationsFolder(),
    ...MIGRATIONS_TABLE,
  };
  if (connection.kind === 'pglite') {
    // One PGlite instance is one process's database: an in-process mutex is the whole story.
    await withInProcessMutex(connection.db, 'migrate', () =>
      migratePglite(drizzlePglite(drizzleClient(connection.db)), config),
    );
    return;
  }
  // Outside the pool's statement and query timeouts: a migration may take long, or wait for
  // another process's (the advisory lock below).
  const client = await connectWithoutTimeouts(connection.pool);
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, 'migrate']);
    try {
      await migrateNodePg(drizzleNodePg(client), config);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        'migrate',
      ]);
    }
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A client whose session may still hold the lock must not go back to the pool.
    client.release(broken);
  }
}

/** One committed migration, as Drizzle's journal lists it (`when`: what the table records). */
export interface MigrationEntry {
  tag: string;
  when: number;
}

export function committedMigrations(folder = defaultMigrationsFolder()): MigrationEntry[] {
  const journal = JSON.parse(readFileSync(resolve(folder, 'meta/_journal.json'), 'utf8')) as {
    entries: MigrationEntry[];
  };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/**
 * Whether the read models' schema is at the version this code expects: the newest committed
 * migration is recorded as applied. A process migrates before it listens, so this fails only when
 * the database changed under it (restored from an older backup, replaced by an empty one) or
 * when it was started without migrating (`migrate: false`) before anyone else migrated. A schema
 * ahead of the code (a newer version migrated) is up: migrations only add.
 */
export async function migrationsHealth(
  db: ReadDb,
  committed: readonly MigrationEntry[],
  key = 'migrations',
): Promise<HealthIndicatorResult> {
  const expected = committed.at(-1);
  if (!expected) return { [key]: { status: 'up', expected: null } };
  let applied: number;
  try {
    const { rows } = await db.execute<{ applied: string | null }>(
      sql.raw(
        `select max(created_at)::text as applied from "${MIGRATIONS_TABLE.migrationsSchema}"."${MIGRATIONS_TABLE.migrationsTable}"`,
      ),
    );
    applied = Number(rows[0]?.applied ?? 0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      [key]: { status: 'down', expected: expected.tag, message: `not applied: ${message}` },
    };
  }
  const at = [...committed].reverse().find((entry) => entry.when <= applied)?.tag ?? null;
  if (applied >= expected.when)
    return { [key]: { status: 'up', applied: at, expected: expected.tag } };
  return {
    [key]: {
      status: 'down',
      applied: at,
      expected: expected.tag,
      message: `read-model schema at ${at ?? 'no migration'}, this version needs ${expected.tag}`,
    },
  };
}
