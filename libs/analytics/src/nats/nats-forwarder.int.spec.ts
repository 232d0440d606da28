import { randomUUID } from 'node:crypto';
import type { EventStore } from '@arbiter/event-store';
// The sql module itself, not the barrel: the barrel's Nest module is ESM, which Jest cannot require.
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import type { SqlConnection } from '@arbiter/platform';
import { readDbFor } from '@arbiter/read-models/database';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { ProjectionMonitor } from '@arbiter/read-models/monitor';
import { ProjectionRegistry } from '@arbiter/read-models/projection';
import { ProjectionRunner, type ProjectionRunnerOptions } from '@arbiter/read-models/runner';
import { projectionCheckpoints } from '@arbiter/read-models/schema';
import {
  type ReadTestDatabase,
  readTestDatabases,
} from '@arbiter/read-models/testing/read-databases';
import type { StoredMsg } from '@nats-io/jetstream';
import { eq } from 'drizzle-orm';
import { decodeEventCursor } from '../feed-event';
import { Pseudonyms } from '../pseudonyms';
import { natsForwarderHealth } from './nats-health';
import {
  NATS_FORWARDER,
  NatsForwarder,
  type NatsForwarderOptions,
  POSITION_HEADER,
} from './nats-forwarder';
import { NatsLink } from './nats-link';
import type { NatsForwarderSettings } from './nats-settings';
import {
  describeWithNats,
  NatsAdmin,
  TcpProxy,
  testForwarderSettings,
  uniqueNatsNames,
} from './testing/nats';
import { PERSONAL_TEXTS, Stories, TEST_PSEUDONYM_KEY } from './testing/stories';

jest.setTimeout(120_000);

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const fast: ProjectionRunnerOptions = {
  batchSize: 5,
  retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 200 },
  lockRetryMs: 50,
  waitPollMs: 10,
  logger: quiet,
};

async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const text = (message: StoredMsg) => Buffer.from(message.data).toString('utf8');

describeWithNats('NATS JetStream forwarder', (natsUrl) => {
  let admin: NatsAdmin;
  beforeAll(async () => {
    admin = await NatsAdmin.open(natsUrl);
  });
  afterAll(async () => {
    await admin?.close();
  });

  describe.each(readTestDatabases())('on %s', (_kind, openDatabase) => {
    let database: ReadTestDatabase;
    let store: EventStore;
    let stories: Stories;
    let names: { stream: string; subjectPrefix: string };
    let toStop: { stop(): Promise<void> }[];
    let links: NatsLink[];
    let toClose: SqlConnection[];
    const pseudonyms = new Pseudonyms(TEST_PSEUDONYM_KEY);

    beforeEach(async () => {
      database = await openDatabase();
      await migrateReadModels(database.connection);
      store = await createSqlEventStore(database.connection);
      stories = new Stories(store);
      names = uniqueNatsNames();
      toStop = [];
      links = [];
      toClose = [];
    });

    afterEach(async () => {
      await Promise.all(toStop.map((runner) => runner.stop()));
      await Promise.all(links.map((link) => link.close()));
      await store.close();
      await Promise.all(toClose.map((connection) => connection.close()));
      await database.dispose();
      await admin.deleteStream(names.stream);
    });

    function forwarder(
      settings: Partial<NatsForwarderSettings> = {},
      options: Partial<NatsForwarderOptions> = {},
    ): NatsForwarder {
      const link = new NatsLink(testForwarderSettings(natsUrl, names, settings));
      links.push(link);
      return new NatsForwarder({ link, pseudonym: pseudonyms.of, ...options });
    }

    function runner(
      projection: NatsForwarder,
      options: ProjectionRunnerOptions = {},
      connection = database.connection,
    ): ProjectionRunner {
      const created = new ProjectionRunner(
        store,
        connection,
        new ProjectionRegistry([projection]),
        {
          ...fast,
          ...options,
        },
      );
      toStop.push(created);
      return created;
    }

    async function checkpoint(): Promise<bigint | undefined> {
      const [row] = await readDbFor(database.connection)
        .select()
        .from(projectionCheckpoints)
        .where(eq(projectionCheckpoints.name, NATS_FORWARDER));
      return row?.position;
    }

    /** The stream holds every dispute event of the store exactly once, in log order. */
    async function expectEveryEventOnceInOrder(): Promise<StoredMsg[]> {
      const expected = await stories.expectedFeed();
      const messages = await admin.messages(names.stream);
      expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(expected.map((e) => e.id));
      expect(messages.map((m) => m.header.get(POSITION_HEADER))).toEqual(
        expected.map((e) => String(decodeEventCursor(e.cursor))),
      );
      return messages;
    }

    it('publishes every dispute event once, in log order, in the analyst form, with Nats-Msg-Id = event id', async () => {
      await stories.add(2);
      const f = forwarder();
      const r = runner(f);
      r.start();
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );
      // Live, after the catch-up: one more dispute.
      await stories.add(1);
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );

      const messages = await expectEveryEventOnceInOrder();
      const expected = await stories.expectedFeed();
      expect(messages.length).toBeGreaterThan(30);
      expect(f.stats()).toMatchObject({ published: messages.length, duplicates: 0, failures: 0 });
      for (const [index, message] of messages.entries()) {
        const event = expected[index];
        expect(message.subject).toBe(`${names.subjectPrefix}.${event.type}`);
        expect(message.header.get('Arbiter-Cursor')).toBe(event.cursor);
        expect(message.header.get('Arbiter-Event-Type')).toBe(event.type);
        expect(message.header.get('Content-Type')).toBe('application/json');
        expect(JSON.parse(text(message))).toEqual(event);
      }
      // The raw bytes: no personal text, no raw id of a person or an order, no mediator-only event.
      const raw = messages.map(text).join('\n');
      for (const personal of [...PERSONAL_TEXTS, ...stories.rawIds])
        expect(raw).not.toContain(personal);
      expect(raw).toContain('[redacted]');
      expect(raw).toContain('anon_');
      expect(messages.map((m) => m.subject)).not.toContain(
        `${names.subjectPrefix}.InternalNoteAdded`,
      );
      const opened = JSON.parse(text(messages[0])) as { data: { buyerId: string } };
      expect(opened.data.buyerId).toBe(pseudonyms.of(stories.rawIds[0]));

      // The stream as configured.
      const { config } = await admin.jsm.streams.info(names.stream);
      expect(config).toMatchObject({
        subjects: [`${names.subjectPrefix}.>`],
        retention: 'limits',
        max_age: 3_600 * 1e9,
        max_bytes: -1,
        num_replicas: 1,
        duplicate_window: 120 * 1e9,
      });
    });

    it('creates the stream, or updates an existing one without losing its messages', async () => {
      await admin.jsm.streams.add({
        name: names.stream,
        subjects: [`${names.subjectPrefix}.>`],
        max_age: 0,
        duplicate_window: 60 * 1e9,
      });
      // Someone else's message in it, after which the forwarder's tail check must still work.
      await admin.connection.request(`${names.subjectPrefix}.Other`, 'not ours');
      await stories.add(1);
      const r = runner(forwarder({ maxAgeHours: 2, duplicateWindowSeconds: 30, maxBytes: 10e6 }));
      r.start();
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );
      const { config, state } = await admin.jsm.streams.info(names.stream);
      expect(config).toMatchObject({
        max_age: 2 * 3_600 * 1e9,
        duplicate_window: 30 * 1e9,
        max_bytes: 10e6,
      });
      const messages = await admin.messages(names.stream);
      expect(text(messages[0])).toBe('not ours');
      expect(state.messages).toBe(1 + (await stories.expectedFeed()).length);
    });

    it('a crash after the acks and before the checkpoint repeats nothing on restart', async () => {
      await stories.add(2);
      // Stands in for a process dying there: from its second batch on, this forwarder only fails.
      let batches = 0;
      let crashed = false;
      const doomed = runner(
        forwarder(
          {},
          {
            afterAcksForTests: () => {
              if (crashed || ++batches === 2) {
                crashed = true;
                throw new Error('simulated crash after the acks, before the checkpoint');
              }
            },
          },
        ),
        // No retry before the test stops it, as after a real crash.
        { retry: { attempts: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 } },
      );
      doomed.start();
      await eventually(() => crashed && doomed.statusOf(NATS_FORWARDER).lastError !== null);
      await doomed.stop();

      const before = await admin.messages(names.stream);
      const committed = (await checkpoint()) ?? -1n;
      const published = before.map((m) => BigInt(m.header.get(POSITION_HEADER)));
      // The second batch is in the stream, but the checkpoint is still before it.
      expect(published.filter((position) => position > committed).length).toBeGreaterThan(0);

      const again = forwarder();
      const r = runner(again);
      r.start();
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );
      const after = await expectEveryEventOnceInOrder();
      expect(again.stats()).toMatchObject({
        published: after.length - before.length,
        duplicates: 0,
      });
      expect(again.stats().alreadyInStream).toBeGreaterThan(0);
    });

    it('beyond the duplicate window too: the stream tail, not the server, keeps it exactly once', async () => {
      await stories.add(2);
      let batches = 0;
      let crashed = false;
      const doomed = runner(
        forwarder(
          { duplicateWindowSeconds: 1 },
          {
            afterAcksForTests: () => {
              if (crashed || ++batches === 2) {
                crashed = true;
                throw new Error('simulated crash after the acks, before the checkpoint');
              }
            },
          },
        ),
        { retry: { attempts: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 } },
      );
      doomed.start();
      await eventually(() => crashed && doomed.statusOf(NATS_FORWARDER).lastError !== null);
      await doomed.stop();
      const before = await admin.messages(names.stream);
      expect((await admin.jsm.streams.info(names.stream)).config.duplicate_window).toBe(1e9);

      // Past the window the server would store a repeated Nats-Msg-Id again.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const again = forwarder({ duplicateWindowSeconds: 1 });
      const r = runner(again);
      r.start();
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );
      const after = await expectEveryEventOnceInOrder();
      expect(again.stats()).toMatchObject({
        published: after.length - before.length,
        duplicates: 0,
      });
    });

    it('stops at an event the stream refuses, with nothing after it in the stream (no gap), and goes on once fixed', async () => {
      await admin.jsm.streams.add({
        name: names.stream,
        subjects: [`${names.subjectPrefix}.>`],
        max_msg_size: 4_096,
      });
      await stories.add(1);
      // A message with a field the analyst form keeps and the stream's size limit does not.
      const disputeId = `big-${stories.run}`;
      const posted = (padding = '') => ({
        id: randomUUID(),
        type: 'MessagePosted',
        data: {
          disputeId,
          at: '2026-03-01T00:00:00.000Z',
          by: { id: 'someone', role: 'buyer' },
          messageId: randomUUID(),
          body: 'hello',
          ...(padding ? { padding } : {}),
        },
      });
      await store.append(`dispute-${disputeId}`, [posted(), posted('x'.repeat(8_000)), posted()]);
      const [big] = (await store.readStream(`dispute-${disputeId}`)).slice(1, 2);
      await stories.add(1);
      const f = forwarder();
      const r = runner(f, { batchSize: 50 });
      r.start();
      await eventually(() => r.statusOf(NATS_FORWARDER).state === 'failed');
      expect(r.statusOf(NATS_FORWARDER)).toMatchObject({ failedPosition: big.position });
      expect(r.statusOf(NATS_FORWARDER).lastError?.message).toContain('is larger than stream');
      // Everything before it, nothing from it on: the batch it was in published at once, yet
      // the messages after it were refused (each expects its predecessor's sequence).
      const expected = await stories.expectedFeed();
      const before = expected.filter((e) => decodeEventCursor(e.cursor) < big.position);
      expect((await admin.messages(names.stream)).map((m) => m.header.get('Nats-Msg-Id'))).toEqual(
        before.map((e) => e.id),
      );

      // The operator raises the limit and retries: on from that very event, exactly once.
      const { config } = await admin.jsm.streams.info(names.stream);
      await admin.jsm.streams.update(names.stream, { ...config, max_msg_size: -1 });
      r.retry(NATS_FORWARDER);
      await eventually(() => r.statusOf(NATS_FORWARDER).state === 'live');
      expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
        true,
      );
      await expectEveryEventOnceInOrder();
    });

    it('keeps retrying while the broker is down (at start, then mid-way), shows why, and skips nothing', async () => {
      const proxy = TcpProxy.toNats(natsUrl);
      await proxy.start(); // only to learn a port; down from the start
      await proxy.stop();
      try {
        await stories.add(1);
        const f = forwarder({ servers: [proxy.url], publishTimeoutMs: 500 });
        const registry = new ProjectionRegistry([f]);
        const r = new ProjectionRunner(store, database.connection, registry, {
          ...fast,
          retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 100 },
        });
        toStop.push(r);
        const monitor = new ProjectionMonitor(store, readDbFor(database.connection), registry, r, {
          cacheMs: 0,
        });
        r.start();

        // Down at start: more failed attempts than the attempt budget, and never `failed`.
        await eventually(() => (r.statusOf(NATS_FORWARDER).lastError?.attempts ?? 0) > 5);
        expect(r.statusOf(NATS_FORWARDER).state).not.toBe('failed');
        expect(r.statusOf(NATS_FORWARDER).lastError?.message).toContain('cannot connect to NATS');
        const health = await monitor.health();
        expect(health.projections).toMatchObject({
          status: 'up',
          projections: {
            [NATS_FORWARDER]: {
              lagEvents: expect.any(Number),
              error: expect.stringContaining('cannot connect to NATS'),
            },
          },
        });
        // While it retries, the connection reads `connecting` during an attempt and
        // `unreachable` between attempts: wait for one between.
        let between: ReturnType<typeof natsForwarderHealth>['natsForwarder'] | undefined;
        await eventually(() => {
          between = natsForwarderHealth(f).natsForwarder;
          return between.connection === 'unreachable';
        });
        expect(between).toMatchObject({
          status: 'up',
          connection: 'unreachable',
          lastError: expect.any(String),
        });
        expect(await checkpoint()).toBe(-1n);

        await proxy.start();
        expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
          true,
        );
        await expectEveryEventOnceInOrder();
        expect(natsForwarderHealth(f).natsForwarder).toMatchObject({ connection: 'connected' });

        // Down mid-way: the connection is cut while events keep coming.
        await proxy.stop();
        await stories.add(1);
        await eventually(() => {
          const error = r.statusOf(NATS_FORWARDER).lastError;
          return error !== null && r.statusOf(NATS_FORWARDER).state !== 'failed';
        });
        await eventually(() => f.link.status().state === 'reconnecting');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(r.statusOf(NATS_FORWARDER).state).not.toBe('failed');
        await stories.add(1);
        await proxy.start();
        expect(await r.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER)).toBe(
          true,
        );
        await expectEveryEventOnceInOrder();
        expect(r.statusOf(NATS_FORWARDER)).toMatchObject({ lastError: null });
        expect(f.stats().failures).toBeGreaterThan(0);
      } finally {
        await proxy.stop();
      }
    });

    it('two forwarders on one database: only the lease holder publishes, the other takes over', async () => {
      const other = await database.connectAgain();
      toClose.push(other);
      await stories.add(1);
      const a = forwarder();
      const b = forwarder();
      const ra = runner(a);
      const rb = runner(b, {}, other);
      ra.start();
      rb.start();
      await eventually(
        () =>
          (ra.statusOf(NATS_FORWARDER).state === 'live' &&
            rb.statusOf(NATS_FORWARDER).state === 'standby') ||
          (rb.statusOf(NATS_FORWARDER).state === 'live' &&
            ra.statusOf(NATS_FORWARDER).state === 'standby'),
      );
      const [holder, holderRunner, standby, standbyRunner] =
        ra.statusOf(NATS_FORWARDER).state === 'live' ? [a, ra, b, rb] : [b, rb, a, ra];
      await stories.add(1);
      expect(
        await holderRunner.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER),
      ).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const first = await expectEveryEventOnceInOrder();
      expect(holder.stats().published).toBe(first.length);
      expect(standby.stats().published).toBe(0);

      await holderRunner.stop();
      await stories.add(1);
      expect(
        await standbyRunner.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER),
      ).toBe(true);
      const all = await expectEveryEventOnceInOrder();
      expect(standby.stats().published).toBe(all.length - first.length);
    });
  });
});
