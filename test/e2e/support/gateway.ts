import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { Clock, validateConfig } from '@arbiter/platform';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { createGateway } from '../../../apps/gateway/src/gateway';

// Starting PGlite and Nest takes seconds on a shared machine; Jest's 5 s default is too tight.
jest.setTimeout(120_000);

export const TEST_JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';

export type Database = 'pglite' | 'postgres';

export interface RunningGateway {
  app: INestApplication;
  /** e.g. `http://127.0.0.1:43817` */
  url: string;
  /** e.g. `ws://127.0.0.1:43817/graphql` */
  wsUrl: string;
  evidenceDir: string;
  close(): Promise<void>;
}

/**
 * Starts the real gateway on a free port: PGlite in memory, or PostgreSQL — in a database of its
 * own created on DATABASE_URL's server and dropped on close, so no suite sees another run's events
 * (CI reuses one server across runs). Pass `DATABASE_URL` in `settings` to choose the database.
 * `settings` are environment variables as strings, validated like production ones (the dispute
 * policy too: `ON_SELLER_SILENCE`, `DISPUTE_POLICY_JSON`); `clock` replaces the system clock.
 */
export async function startGateway(
  settings: Record<string, string> = {},
  database: Database = 'pglite',
  options: { clock?: Clock } = {},
): Promise<RunningGateway> {
  const evidenceDir = await mkdtemp(join(tmpdir(), 'arbiter-evidence-'));
  const own =
    database === 'postgres' && !settings.DATABASE_URL
      ? await createPostgresTestDatabase(postgresUrl(), 'e2e')
      : undefined;
  const config = validateConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    EVIDENCE_DIR: evidenceDir,
    ...(database === 'postgres'
      ? { EVENT_STORE: 'postgres', DATABASE_URL: own?.url ?? postgresUrl() }
      : { EVENT_STORE: 'memory' }),
    ...settings,
  });
  const app = await createGateway(config, { clock: options.clock });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    evidenceDir,
    async close() {
      await app.close();
      await own?.drop();
      await rm(evidenceDir, { recursive: true, force: true });
    },
  };
}

function postgresUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

/**
 * The databases an end-to-end suite runs on: always PGlite, and PostgreSQL when DATABASE_URL is
 * set (CI sets it; without it the PostgreSQL variant is reported as skipped, not silently absent).
 * With REQUIRE_POSTGRES=1 a missing DATABASE_URL fails the run instead.
 */
export function describeOnDatabases(name: string, suite: (database: Database) => void): void {
  describe(`${name} [pglite]`, () => suite('pglite'));
  (postgresTestUrl() ? describe : describe.skip)(`${name} [postgres]`, () => suite('postgres'));
}
