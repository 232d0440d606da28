import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  postgresTestUrl,
  realKurrentDbUnavailable,
  startRealKurrentDb,
} from '@arbiter/event-store/testing';
import {
  KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import { Clock, validateConfig } from '@arbiter/platform';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { createGateway } from '../../../apps/gateway/src/gateway';

// Starting PGlite and Nest takes seconds on a shared machine; Jest's 5 s default is too tight.
jest.setTimeout(120_000);

/**
 * A real KurrentDB for the `kurrentdb` variants, read once: Nest's ConfigModule copies a started
 * gateway's settings into process.env, so a later read would find the previous stand-in's URL.
 */
const REAL_KURRENTDB_URL = process.env.KURRENTDB_URL;
/** Where the `kurrentdb` variants' events go: a real server (URL or container) or the stand-in. */
const KURRENTDB_TARGET = realKurrentDbUnavailable()
  ? 'stand-in'
  : REAL_KURRENTDB_URL
    ? 'KURRENTDB_URL'
    : 'container';

export const TEST_JWT_SECRET = 'e2e-secret-that-is-long-enough-for-hs256!';
export const TEST_PSEUDONYM_KEY = 'e2e-pseudonym-key-that-is-long-enough!!';
export const TEST_EVIDENCE_URL_SECRET = 'e2e-evidence-url-secret-long-enough!!!';
/** The personal data master key of every test gateway (32 bytes, base64). */
export const TEST_PERSONAL_DATA_KEY = Buffer.alloc(32, 'e2e-personal-data').toString('base64');
/** The audit digests' signing key of every gateway this run starts (a PKCS8 PEM). */
export const TEST_AUDIT_SIGNING_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/**
 * Where events live: PGlite, PostgreSQL, or KurrentDB (a real server at KURRENTDB_URL under a
 * stream prefix of the run's own, else the protocol stand-in) with the read models in PGlite.
 */
export type Database = 'pglite' | 'postgres' | 'kurrentdb';

export interface RunningGateway {
  app: INestApplication;
  /** e.g. `http://127.0.0.1:43817` */
  url: string;
  /** e.g. `ws://127.0.0.1:43817/graphql` */
  wsUrl: string;
  evidenceDir: string;
  /** With `kurrentdb` and no KURRENTDB_URL: the stand-in serving the events. */
  kurrentDb?: KurrentDbStandIn;
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
  options: { clock?: Clock; writeSchemaFile?: boolean } = {},
): Promise<RunningGateway> {
  const evidenceDir = await mkdtemp(join(tmpdir(), 'arbiter-evidence-'));
  const own =
    database === 'postgres' && !settings.DATABASE_URL
      ? await createPostgresTestDatabase(postgresUrl(), 'e2e')
      : undefined;
  const container =
    database === 'kurrentdb' && KURRENTDB_TARGET === 'container'
      ? await startRealKurrentDb()
      : undefined;
  const standIn =
    database === 'kurrentdb' && KURRENTDB_TARGET === 'stand-in'
      ? await startKurrentDbStandIn({
          port: 0,
          // KURRENTDB_STANDIN_TRACE=1 prints every call the stand-in receives.
          trace: process.env.KURRENTDB_STANDIN_TRACE ? (line) => console.log(line) : undefined,
        })
      : undefined;
  const stores = {
    postgres: { EVENT_STORE: 'postgres', DATABASE_URL: own?.url ?? '' },
    pglite: { EVENT_STORE: 'memory' },
    kurrentdb: {
      EVENT_STORE: 'kurrentdb',
      KURRENTDB_URL: standIn?.url ?? container?.url ?? REAL_KURRENTDB_URL ?? '',
      KURRENTDB_STREAM_PREFIX: `e2e-${randomUUID().slice(0, 8)}`,
      PGLITE_DATA_DIR: 'memory://',
    },
  };
  if (database === 'postgres' && !own) stores.postgres.DATABASE_URL = postgresUrl();
  const config = validateConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    ANALYTICS_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    EVIDENCE_URL_SECRET: TEST_EVIDENCE_URL_SECRET,
    PERSONAL_DATA_KEY: TEST_PERSONAL_DATA_KEY,
    AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    EVIDENCE_DIR: evidenceDir,
    // The suites send many anonymous and refused requests from one address on purpose; the
    // per-IP edge limits have their own tests (hardening.e2e.spec.ts).
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    RATE_LIMIT_FAILED_PER_MINUTE: '100000',
    ...stores[database],
    ...settings,
  });
  let app: INestApplication;
  try {
    // A development gateway would rewrite the committed schema file; a test's never does.
    app = await createGateway(config, {
      clock: options.clock,
      writeSchemaFile: options.writeSchemaFile ?? false,
    });
  } catch (error) {
    await standIn?.stop();
    await container?.stop();
    throw error;
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    evidenceDir,
    kurrentDb: standIn,
    async close() {
      await app.close();
      await standIn?.stop();
      await container?.stop();
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

/**
 * As `describeOnDatabases`, and once more with the events in KurrentDB: the real server at
 * KURRENTDB_URL, else a container where a Docker engine is reachable, else the protocol stand-in
 * (the suite's name says which). For the suites that show everything above the event store port
 * works the same on every store.
 */
export function describeOnAllStores(name: string, suite: (database: Database) => void): void {
  describeOnDatabases(name, suite);
  describe(`${name} [kurrentdb: ${KURRENTDB_TARGET}]`, () => suite('kurrentdb'));
}
