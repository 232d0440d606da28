import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { EventStore } from '@arbiter/event-store';
// The sql module itself, not the barrel: the barrel's Nest module is ESM, which Jest cannot require.
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import { describeWithPostgres } from '@arbiter/event-store/testing';
import type { SqlConnection } from '@arbiter/platform';
import { readDbFor } from '@arbiter/read-models/database';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { ProjectionRegistry } from '@arbiter/read-models/projection';
import { ProjectionRunner } from '@arbiter/read-models/runner';
import { projectionCheckpoints } from '@arbiter/read-models/schema';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { eq } from 'drizzle-orm';
import { Pool } from 'pg';
import { decodeEventCursor } from '../feed-event';
import { Pseudonyms } from '../pseudonyms';
import { NATS_FORWARDER, NatsForwarder, POSITION_HEADER } from './nats-forwarder';
import { NatsLink } from './nats-link';
import {
  describeWithNats,
  NatsAdmin,
  testForwarderSettings,
  uniqueNatsNames,
} from './testing/nats';
import { Stories, TEST_PSEUDONYM_KEY } from './testing/stories';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../../../..');
const CHILD = join(__dirname, 'testing/forwarder-child.ts');

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The batches it saw acknowledged: { batch, last } per line. */
  batches: { batch: number; last: string }[];
  stderr: string;
}

/** Runs the forwarder in a process of its own (ts-node, as package.json's scripts do). */
function runChild(env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin.js'),
        '--transpile-only',
        '-r',
        'tsconfig-paths/register',
        CHILD,
      ],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        batches: stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { batch: number; last: string }),
        stderr,
      });
    });
  });
}

describeWithNats('NATS forwarder killed between its PubAcks and its checkpoint', (natsUrl) => {
  describeWithPostgres('a real process on PostgreSQL', (postgresUrl) => {
    let admin: NatsAdmin;
    let database: { url: string; drop(): Promise<void> };
    let connection: SqlConnection;
    let store: EventStore;
    let stories: Stories;
    let names: { stream: string; subjectPrefix: string };
    let runner: ProjectionRunner | undefined;
    let link: NatsLink | undefined;

    beforeAll(async () => {
      admin = await NatsAdmin.open(natsUrl);
    });
    afterAll(async () => {
      await admin?.close();
    });

    beforeEach(async () => {
      database = await createPostgresTestDatabase(postgresUrl, 'nats_crash');
      const pool = new Pool({ connectionString: database.url, max: 10 });
      pool.on('error', () => undefined);
      connection = { kind: 'postgres', pool, close: () => pool.end() };
      await migrateReadModels(connection);
      store = await createSqlEventStore(connection);
      stories = new Stories(store);
      names = uniqueNatsNames();
    });

    afterEach(async () => {
      await runner?.stop();
      await link?.close();
      await store.close();
      await connection.close();
      await database.drop();
      await admin.deleteStream(names.stream);
    });

    it.each([
      ['within the duplicate window', 120],
      ['past the duplicate window (1 s)', 1],
    ])(
      'the restarted forwarder leaves every event in the stream exactly once, %s',
      async (_case, windowSeconds) => {
        await stories.add(2);
        const child = await runChild({
          CHILD_DATABASE_URL: database.url,
          NATS_TEST_URL: natsUrl,
          CHILD_STREAM: names.stream,
          CHILD_SUBJECT_PREFIX: names.subjectPrefix,
          CHILD_DUPLICATE_WINDOW_SECONDS: String(windowSeconds),
          CHILD_BATCH_SIZE: '5',
          CRASH_AFTER_BATCH: '2',
        });
        expect({ signal: child.signal, stderr: child.stderr }).toEqual({
          signal: 'SIGKILL',
          stderr: '',
        });
        expect(child.batches.map((b) => b.batch)).toEqual([1, 2]);

        // It died holding the second batch's acks: in the stream, not in the checkpoint.
        const [row] = await readDbFor(connection)
          .select()
          .from(projectionCheckpoints)
          .where(eq(projectionCheckpoints.name, NATS_FORWARDER));
        expect(row.position).toBe(BigInt(child.batches[0].last));
        const before = await admin.messages(names.stream);
        const unrecorded = before.filter(
          (m) => BigInt(m.header.get(POSITION_HEADER)) > row.position,
        );
        expect(unrecorded.length).toBeGreaterThan(0);
        expect(BigInt(before[before.length - 1].header.get(POSITION_HEADER))).toBe(
          BigInt(child.batches[1].last),
        );
        // Past the window, the server itself would store a repeated Nats-Msg-Id again.
        if (windowSeconds === 1) await new Promise((r) => setTimeout(r, 1_500));

        link = new NatsLink(
          testForwarderSettings(natsUrl, names, { duplicateWindowSeconds: windowSeconds }),
        );
        const forwarder = new NatsForwarder({
          link,
          pseudonym: new Pseudonyms(TEST_PSEUDONYM_KEY).of,
        });
        runner = new ProjectionRunner(store, connection, new ProjectionRegistry([forwarder]), {
          batchSize: 5,
          lockRetryMs: 50,
          waitPollMs: 10,
          logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
        });
        runner.start();
        expect(
          await runner.waitForPosition(stories.scenario.lastPosition, 60_000, NATS_FORWARDER),
        ).toBe(true);

        const expected = await stories.expectedFeed();
        const after = await admin.messages(names.stream);
        expect(after.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(expected.map((e) => e.id));
        expect(after.map((m) => m.header.get(POSITION_HEADER))).toEqual(
          expected.map((e) => String(decodeEventCursor(e.cursor))),
        );
        // The repeated batch was recognised from the stream's tail, not dropped by the server.
        expect(forwarder.stats()).toMatchObject({
          alreadyInStream: unrecorded.length,
          duplicates: 0,
          published: expected.length - before.length,
        });
      },
    );
  });
});
