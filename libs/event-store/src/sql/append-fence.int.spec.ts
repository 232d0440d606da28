import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { RecordedEvent } from '../port';
import { sampleEvent, takeEvents } from '../testing/event-store.contract';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '../testing/postgres';
import { AppendLockTooLateError, createSqlEventStore, SqlEventStore } from './sql-event-store';
import { pgRunner } from './sql-runner';

/** Test-only advisory lock namespace for the gate that holds an append statement open. */
const GATE_NAMESPACE = 0x5447;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(10);
  }
}

function expectIncreasing(events: readonly RecordedEvent[]) {
  for (let i = 1; i < events.length; i++)
    expect(events[i].position).toBeGreaterThan(events[i - 1].position);
}

/** A transaction that holds an xid and nothing of the store's, as maintenance or another app would. */
async function holdForeignTransaction(connectionString: string): Promise<Client> {
  const client = new Client({ connectionString });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_current_xact_id()');
  return client;
}

async function endForeignTransaction(client: Client | undefined) {
  if (!client) return;
  await client.query('ROLLBACK').catch(() => undefined);
  await client.end().catch(() => undefined);
}

describeWithPostgres('PostgreSQL event store: the append fence', (url) => {
  jest.setTimeout(60_000);
  let test: PostgresTestSchema;
  let store: SqlEventStore;
  let pool: Pool;

  beforeEach(async () => {
    test = await openPostgresTestSchema(url, { prefix: 'esf', create: false, maxConnections: 24 });
    if (test.connection.kind !== 'postgres') throw new Error('expected a pool');
    pool = test.connection.pool;
    store = await createSqlEventStore(test.connection, { schema: test.schema });
  });

  afterEach(async () => {
    await store.close();
    await test.cleanup();
  });

  /**
   * Test-only trigger: an insert into a `slow…` stream (or one named by `prefix`) waits, after its
   * rows are written (so with its xid), for a gate the test holds. The append statement itself
   * stays open as long as the test wants, through the pool, exactly as the product runs it.
   */
  async function installGate(
    prefix = 'slow',
  ): Promise<{ close(): Promise<void>; blocked(): Promise<boolean> }> {
    const key = randomBytes(4).readUInt32BE() & 0x7fffffff;
    await pool.query(
      `CREATE FUNCTION "${test.schema}".gate_${prefix}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.stream_id LIKE '${prefix}%' THEN PERFORM pg_advisory_xact_lock_shared(${GATE_NAMESPACE}, ${key}); END IF;
         RETURN NULL;
       END $$;
       CREATE TRIGGER gate_${prefix} AFTER INSERT ON "${test.schema}".events FOR EACH ROW EXECUTE FUNCTION "${test.schema}".gate_${prefix}()`,
    );
    const gate = await pool.connect();
    await gate.query('SELECT pg_advisory_lock($1, $2)', [GATE_NAMESPACE, key]);
    let open = true;
    return {
      blocked: async () =>
        (
          await pool.query<{ blocked: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                              AND classid = $1 AND objid = $2) AS blocked`,
            [GATE_NAMESPACE, key],
          )
        ).rows[0].blocked,
      close: async () => {
        if (!open) return;
        open = false;
        await gate.query('SELECT pg_advisory_unlock($1, $2)', [GATE_NAMESPACE, key]);
        gate.release();
      },
    };
  }

  it.each([
    ['a new stream (one event, no_stream)', 1, 'no_stream' as const],
    ['one event', 1, 'any' as const],
    ['several events', 3, 'any' as const],
  ])(
    'an append statement that takes its xid first and commits last is never skipped: %s',
    async (_, count, expectedRevision) => {
      await store.append('before', [sampleEvent()]);
      const subscription = store.subscribeToAll();
      const [first] = await takeEvents(subscription, 1);
      const gate = await installGate();
      let slow: Promise<unknown> = Promise.resolve();
      try {
        const slowEvents = Array.from({ length: count }, () => sampleEvent('Slow'));
        const appending = store.append('slow', slowEvents, { expectedRevision });
        slow = appending.catch(() => undefined);
        await waitUntil(gate.blocked, 'the slow append holds its rows');

        // Appends that begin after it get higher xids, commit first and must wait behind it.
        const others = Array.from({ length: 5 }, (_, i) => sampleEvent('Fast', { i }));
        for (const [i, event] of others.entries()) await store.append(`fast-${i % 2}`, [event]);
        const received = takeEvents(subscription, count + others.length, 30_000);
        expect(await store.readAll({ after: first.position })).toEqual([]);
        expect(await store.headPosition()).toBe(first.position);

        await gate.close();
        const slowResult = await appending;
        const seen = await received;
        expect(seen.map((e) => e.id)).toEqual([...slowEvents, ...others].map((e) => e.id));
        expect(seen[count - 1].position).toBe(slowResult.position);
        expectIncreasing(seen);
        expect((await store.readAll({ after: first.position })).map((e) => e.id)).toEqual(
          seen.map((e) => e.id),
        );
      } finally {
        // A failed assertion must not leave the append waiting on the gate (cleanup would wait too).
        await gate.close();
        await slow;
        await subscription.close();
      }
    },
  );

  it('readAll and headPosition wait for the appends older than what they can see, not for a moment with none open', async () => {
    // A wait bound far longer than the test: a read that waited for no append to be open at all
    // would still be waiting when the assertions run (under a steady load some append always is).
    // Its pool reports each statement it ran, so the test knows when both reads have begun.
    const ran: string[] = [];
    const counted = Object.create(pool) as Pool;
    counted.query = ((config: { name?: string }, ...rest: unknown[]) => {
      const answer = (pool.query as (...args: unknown[]) => Promise<unknown>)(config, ...rest);
      return answer.then((result) => {
        if (typeof config === 'object' && config.name) ran.push(config.name);
        return result;
      });
    }) as Pool['query'];
    const patient = await createSqlEventStore(
      { kind: 'postgres', pool: counted, close: async () => undefined },
      { schema: test.schema, fenceWaitMs: 120_000 },
    );
    const base = await store.append('before', [sampleEvent()]);
    const early = await installGate('early');
    const late = await installGate('late');
    const pending: Promise<unknown>[] = [];
    try {
      // An append that took its xid first, still open; one after it commits.
      const earlyEvent = sampleEvent('Early');
      const appendingEarly = store.append('early', [earlyEvent]);
      pending.push(appendingEarly.catch(() => undefined));
      await waitUntil(early.blocked, 'the early append holds its rows');
      const fast = sampleEvent('Fast');
      const fastResult = await store.append('fast-1', [fast]);

      // Both reads start now: what they owe is everything up to fast-1.
      const reading = patient.readAll({ after: base.position });
      const heading = patient.headPosition();
      pending.push(
        reading.catch(() => undefined),
        heading.catch(() => undefined),
      );

      // A newer append opens (and stays open) with a commit behind it, then the early one ends.
      const appendingLate = store.append('late', [sampleEvent('Late')]);
      pending.push(appendingLate.catch(() => undefined));
      await waitUntil(late.blocked, 'the late append holds its rows');
      await store.append('fast-2', [sampleEvent('Fast')]);
      await early.close();
      await appendingEarly;

      if (process.env.DEBUG_FENCE)
        console.log('step', Date.now() % 100000, 'await appendingEarly;\n');
      const answered = await Promise.race([
        Promise.all([reading, heading]),
        sleep(30_000).then(() => 'still waiting' as const),
      ]);
      expect(answered).not.toBe('still waiting');
      const [events, head] = answered as [RecordedEvent[], bigint];
      expect(events.map((e) => e.id)).toEqual([earlyEvent.id, fast.id]);
      expect(head).toBe(fastResult.position);
      expect(await late.blocked()).toBe(true);
    } finally {
      await early.close();
      await late.close();
      await Promise.all(pending);
      await patient.close();
    }
  });

  it('transactions that are not appends (in another database, in this one) hold nothing back', async () => {
    const database = `esf_foreign_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const foreignUrl = new URL(url);
    foreignUrl.pathname = `/${database}`;
    let elsewhere: Client | undefined;
    let here: Client | undefined;
    const subscription = store.subscribeToAll();
    await pool.query(`CREATE DATABASE "${database}"`);
    try {
      const deliveryMs = async () => {
        const event = sampleEvent();
        const pending = takeEvents(subscription, 1, 30_000);
        const started = performance.now();
        const { position } = await store.append('s', [event]);
        const [delivered] = await pending;
        expect(delivered.id).toBe(event.id);
        return { ms: performance.now() - started, position, event };
      };
      await deliveryMs(); // the listener is up
      const without = await deliveryMs();

      elsewhere = await holdForeignTransaction(foreignUrl.toString());
      here = await holdForeignTransaction(url);
      // While both are open, an append is in readAll and headPosition at once...
      const appended = sampleEvent();
      const { position } = await store.append('s', [appended]);
      const readAllStarted = performance.now();
      const all = await store.readAll();
      const readAllMs = performance.now() - readAllStarted;
      expect(all.at(-1)?.id).toBe(appended.id);
      const headStarted = performance.now();
      expect(await store.headPosition()).toBe(position);
      const headMs = performance.now() - headStarted;
      // ...and the subscription delivers it, and the next ones, as promptly as without them.
      expect((await takeEvents(subscription, 1, 30_000))[0].id).toBe(appended.id);
      const during = await deliveryMs();
      const again = await deliveryMs();
      expect((await store.readAll({ after: position })).map((e) => e.id)).toEqual([
        during.event.id,
        again.event.id,
      ]);
      // Both still hold their xids.
      for (const client of [elsewhere, here])
        expect(
          (await client.query('SELECT pg_current_xact_id_if_assigned() AS x')).rows[0].x,
        ).not.toBeNull();
      console.log(
        `append → delivery: ${without.ms.toFixed(1)} ms without foreign transactions, ` +
          `${during.ms.toFixed(1)} / ${again.ms.toFixed(1)} ms with one open in another database and one in this one; ` +
          `readAll ${readAllMs.toFixed(1)} ms, headPosition ${headMs.toFixed(1)} ms meanwhile`,
      );
    } finally {
      await subscription.close();
      await endForeignTransaction(elsewhere);
      await endForeignTransaction(here);
      await pool.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  });

  it('8 concurrent writers (every append statement) while a subscriber reads: each event once, in table order', async () => {
    const foreign = await holdForeignTransaction(url);
    const subscription = store.subscribeToAll();
    try {
      const writers = 8;
      const perWriter = 25;
      let appended = 0;
      const started = performance.now();
      const write = async (w: number) => {
        for (let i = 0; i < perWriter; i++) {
          if (i % 3 === 0) {
            await store.append(`w${w}-${i}`, [sampleEvent()], { expectedRevision: 'no_stream' });
            appended += 1;
          } else if (i % 3 === 1) {
            await store.append(`w${w}-${i - 1}`, [sampleEvent()]);
            appended += 1;
          } else {
            await store.append(`w${w}-${i - 2}`, [sampleEvent(), sampleEvent()]);
            appended += 2;
          }
        }
      };
      const delivered: RecordedEvent[] = [];
      const reading = (async () => {
        for await (const event of subscription) delivered.push(event);
      })();
      await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
      const total = appended;
      await waitUntil(async () => delivered.length >= total, `${total} events are delivered`);
      const elapsed = performance.now() - started;
      await subscription.close();
      await reading;

      const table = await pool.query<{ event_id: string; position: string }>(
        // `e.position`: the column (a bare `position` would sort by the text alias, 10 before 9).
        `SELECT event_id, e.position::text AS position FROM "${test.schema}".events e ORDER BY e.position`,
      );
      expect(delivered.map((e) => e.id)).toEqual(table.rows.map((row) => row.event_id));
      expect(delivered.map((e) => e.position)).toEqual(
        table.rows.map((row) => BigInt(row.position)),
      );
      expectIncreasing(delivered);
      console.log(
        `${writers} writers, ${total} events with a foreign transaction open: all delivered once, in order, ` +
          `in ${elapsed.toFixed(0)} ms`,
      );
    } finally {
      await subscription.close();
      await endForeignTransaction(foreign);
    }
  });

  it('a filtered read, or one without a limit, behind a fence held back by an open append stops at the fence', async () => {
    const [first] = await store.append('before', [sampleEvent()]).then(() => store.readAll());
    const gate = await installGate();
    // The reader on one connection of its own, so the server's block counts are its reads.
    const readerPool = new Pool({ connectionString: url, max: 1 });
    readerPool.on('error', () => undefined);
    const reader = await createSqlEventStore(
      { kind: 'postgres', pool: readerPool, close: () => readerPool.end() },
      { schema: test.schema, fenceWaitMs: 200 },
    );
    const valueOf = async (sql: string) =>
      Number(
        (await readerPool.query<{ value: string }>(`SELECT (${sql})::text AS value`)).rows[0].value,
      );
    const heapBlocks = async () => {
      await readerPool.query('SELECT pg_stat_force_next_flush()');
      return valueOf(
        `SELECT heap_blks_hit + heap_blks_read FROM pg_statio_user_tables
          WHERE schemaname = '${test.schema}' AND relname = 'events'`,
      );
    };
    let slow: Promise<unknown> = Promise.resolve();
    try {
      slow = store.append('slow', [sampleEvent('Slow')]).catch(() => undefined);
      await waitUntil(gate.blocked, 'the slow append holds its rows');
      // Committed behind the held fence: a walk past it would read them all, on every retry.
      for (let i = 0; i < 8; i++)
        await store.append(
          `fast-${i}`,
          Array.from({ length: 500 }, () => sampleEvent('Fast')),
        );
      const tableBlocks = await valueOf(
        `SELECT pg_relation_size('"${test.schema}".events') / current_setting('block_size')::int`,
      );
      const before = await heapBlocks();
      // Waits for the held append (200 ms here), reading again every few milliseconds.
      expect(
        await reader.readAll({
          after: first.position,
          maxCount: 1,
          filter: { eventTypes: ['Absent'] },
        }),
      ).toEqual([]);
      // And a read without a limit, which nothing but the fence stops.
      expect(await reader.readAll({ after: first.position })).toEqual([]);
      const touched = (await heapBlocks()) - before;
      expect(tableBlocks).toBeGreaterThan(100);
      expect(touched).toBeLessThan(tableBlocks / 2);
    } finally {
      await gate.close();
      await slow;
      await reader.close();
      await readerPool.end().catch(() => undefined);
    }
  });

  it('a caller transaction that wrote before its first append is refused unless it took the lock first', async () => {
    const client = await pool.connect();
    const runner = pgRunner(client);
    try {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE scratch (x int) ON COMMIT DROP');
      await client.query('INSERT INTO scratch VALUES (1)');
      await expect(store.appendVia(runner, 'late', [sampleEvent()])).rejects.toBeInstanceOf(
        AppendLockTooLateError,
      );
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      await store.lockForAppend(runner);
      await client.query('CREATE TEMP TABLE scratch (x int) ON COMMIT DROP');
      await client.query('INSERT INTO scratch VALUES (1)');
      await store.appendVia(runner, 'early', [sampleEvent()]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect((await store.readAll()).map((e) => e.streamId)).toEqual(['early']);
  });
});
