/**
 * Test-only: a forwarder in a process of its own, for nats-forwarder-crash.int.spec.ts, which
 * starts it with ts-node. It runs the real projection runner over the PostgreSQL database and
 * kills itself (SIGKILL: no shutdown hook, no unlock, nothing flushed) right after every PubAck of
 * its CRASH_AFTER_BATCH-th batch arrived and before the runner commits that batch's checkpoint.
 *
 * Environment (set by the test): CHILD_DATABASE_URL, NATS_TEST_URL, CHILD_STREAM,
 * CHILD_SUBJECT_PREFIX, CHILD_DUPLICATE_WINDOW_SECONDS, CHILD_BATCH_SIZE, CRASH_AFTER_BATCH.
 */
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import type { SqlConnection } from '@arbiter/platform';
import { ProjectionRegistry } from '@arbiter/read-models/projection';
import { ProjectionRunner } from '@arbiter/read-models/runner';
import { Pool } from 'pg';
import { Pseudonyms } from '../../pseudonyms';
import { NatsForwarder } from '../nats-forwarder';
import { NatsLink } from '../nats-link';
import { testForwarderSettings } from './nats';
import { TEST_PSEUDONYM_KEY } from './stories';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: required('CHILD_DATABASE_URL'), max: 4 });
  pool.on('error', () => undefined);
  const connection: SqlConnection = { kind: 'postgres', pool, close: () => pool.end() };
  const store = await createSqlEventStore(connection);
  const crashAfter = Number(required('CRASH_AFTER_BATCH'));
  let batches = 0;
  const forwarder = new NatsForwarder({
    link: new NatsLink(
      testForwarderSettings(
        required('NATS_TEST_URL'),
        { stream: required('CHILD_STREAM'), subjectPrefix: required('CHILD_SUBJECT_PREFIX') },
        { duplicateWindowSeconds: Number(required('CHILD_DUPLICATE_WINDOW_SECONDS')) },
      ),
    ),
    pseudonym: new Pseudonyms(TEST_PSEUDONYM_KEY).of,
    afterAcksForTests: (events) => {
      batches += 1;
      // One line per acknowledged batch, written synchronously (stdout is a pipe) before the kill.
      process.stdout.write(
        `${JSON.stringify({ batch: batches, last: String(events[events.length - 1].position) })}\n`,
      );
      if (batches === crashAfter) process.kill(process.pid, 'SIGKILL');
    },
  });
  const runner = new ProjectionRunner(store, connection, new ProjectionRegistry([forwarder]), {
    batchSize: Number(required('CHILD_BATCH_SIZE')),
    lockRetryMs: 50,
    logger: { log: () => undefined, warn: (m) => console.error(m), error: (m) => console.error(m) },
  });
  runner.start();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
