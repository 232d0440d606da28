import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, RecordedEvent } from '@arbiter/event-store';
// The sql module itself, not the barrel: the barrel's Nest module is ESM, which Jest cannot require.
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import type { SqlConnection } from '@arbiter/platform';
import { asc, eq, sql } from 'drizzle-orm';
import { bigint, integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { Pool } from 'pg';
import { ReadDb, readDbFor } from './database';
import { defaultMigrationsFolder, migrateReadModels } from './migrate';
import { SqlPersonKeys } from './person-keys';
import { ExternalProjection, Projection, ProjectionRegistry } from './projection';
import {
  ProjectionBusyError,
  ProjectionRunner,
  ProjectionRunnerOptions,
  RebuildProgress,
} from './runner';
import { projectionCheckpoints, START_POSITION } from './schema';
import { ReadTestDatabase, readTestDatabases } from './testing/read-databases';

// A projection of the spec's own: events per stream type ("order-1" → "order"), replay-guarded by position.
const testSchema = pgSchema('rm_test');
const streamTypeCounts = testSchema.table('stream_type_counts', {
  streamType: text('stream_type').primaryKey(),
  events: integer('events').notNull(),
  lastPosition: bigint('last_position', { mode: 'bigint' }).notNull(),
});

const NAME = 'stream-type-counts';

interface CountingOptions {
  failOn?: (event: RecordedEvent) => boolean;
  onApply?: (event: RecordedEvent) => void | Promise<void>;
}

function countingProjection(options: CountingOptions = {}): Projection {
  return {
    name: NAME,
    eventTypes: ['ItemAdded', 'ItemRemoved', 'Poison'],
    async apply(event, tx) {
      await options.onApply?.(event);
      const streamType = event.streamId.split('-')[0];
      await tx
        .insert(streamTypeCounts)
        .values({ streamType, events: 1, lastPosition: event.position })
        .onConflictDoUpdate({
          target: streamTypeCounts.streamType,
          set: { events: sql`${streamTypeCounts.events} + 1`, lastPosition: event.position },
          setWhere: sql`${streamTypeCounts.lastPosition} < ${event.position}`,
        });
      // Fails after writing, so a surviving row would show a torn transaction.
      if (options.failOn?.(event))
        throw new Error(`cannot project ${event.type} of ${event.streamId}`);
    },
    async reset(tx) {
      await tx.delete(streamTypeCounts);
    },
  };
}

async function createTestTables(db: ReadDb): Promise<void> {
  await db.execute(sql`CREATE SCHEMA IF NOT EXISTS rm_test`);
  await db.execute(sql`CREATE TABLE IF NOT EXISTS rm_test.stream_type_counts (
    stream_type text PRIMARY KEY, events integer NOT NULL, last_position bigint NOT NULL)`);
}

async function append(store: EventStore, streamId: string, ...types: string[]): Promise<bigint> {
  const result = await store.append(
    streamId,
    types.map((type) => ({ id: randomUUID(), type, data: { streamId } })),
  );
  return result.position;
}

/** `target` with `onCall` run before each call of the named methods (a driver client, a store). */
function countingCalls<T extends object>(
  target: T,
  methods: readonly string[],
  onCall: () => void,
): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      if (!methods.includes(String(property))) return bound;
      return (...args: unknown[]) => {
        onCall();
        return bound(...args);
      };
    },
  });
}

async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const fast: ProjectionRunnerOptions = {
  batchSize: 50,
  retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
  lockRetryMs: 50,
  waitPollMs: 10,
  // Failures here are the point of several tests; their warnings would only be noise.
  logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
};

describe.each(readTestDatabases())('projection runner on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: EventStore;
  let toStop: { stop(): Promise<void> }[];
  let toClose: SqlConnection[];

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    await createTestTables(db);
    store = await createSqlEventStore(database.connection);
    toStop = [];
    toClose = [];
  });

  afterEach(async () => {
    await Promise.all(toStop.map((runner) => runner.stop()));
    await store.close();
    await Promise.all(toClose.map((connection) => connection.close()));
    await database.dispose();
  });

  function runner(
    projection: Projection | ExternalProjection,
    options: ProjectionRunnerOptions = {},
    connection = database.connection,
  ) {
    const created = new ProjectionRunner(store, connection, new ProjectionRegistry([projection]), {
      ...fast,
      ...options,
    });
    toStop.push(created);
    return created;
  }

  async function counts(): Promise<Record<string, number>> {
    const rows = await db.select().from(streamTypeCounts).orderBy(asc(streamTypeCounts.streamType));
    return Object.fromEntries(rows.map((row) => [row.streamType, row.events]));
  }

  async function checkpointRow() {
    const [row] = await db
      .select()
      .from(projectionCheckpoints)
      .where(eq(projectionCheckpoints.name, NAME));
    return row;
  }

  it('catches up, goes live and keeps writes and checkpoint together', async () => {
    await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
    await append(store, 'cart-1', 'ItemAdded', 'Ignored');
    const r = runner(countingProjection());
    r.start();
    await eventually(() => r.statusOf(NAME).state === 'live');
    expect(await counts()).toEqual({ cart: 1, order: 2 });

    const last = await append(store, 'order-2', 'ItemRemoved');
    expect(await r.waitForPosition(last, 5_000)).toBe(true);
    expect(await counts()).toEqual({ cart: 1, order: 3 });
    expect((await checkpointRow()).position).toBeGreaterThanOrEqual(last);
    expect(r.statusOf(NAME)).toMatchObject({
      state: 'live',
      failedPosition: null,
      lastError: null,
      eventsApplied: 4,
    });
  });

  it('commits a batch without waiting for its WAL flush on PostgreSQL, the log itself durably', async () => {
    const seen: string[] = [];
    const projection: Projection = {
      name: NAME,
      eventTypes: ['ItemAdded'],
      apply: async (_event, tx) => {
        const { rows } = await tx.execute<{ setting: string }>(
          sql`SELECT current_setting('synchronous_commit') AS setting`,
        );
        seen.push(rows[0].setting);
      },
    };
    const last = await append(store, 'order-1', 'ItemAdded');
    const r = runner(projection);
    r.start();
    expect(await r.waitForPosition(last, 10_000)).toBe(true);
    // PGlite has no WAL flush to wait for and keeps its setting.
    expect(seen).toEqual([database.connection.kind === 'postgres' ? 'off' : 'on']);
    // Outside the batch's transaction (appends among them) the setting is untouched.
    const { rows } = await db.execute<{ setting: string }>(
      sql`SELECT current_setting('synchronous_commit') AS setting`,
    );
    expect(rows[0].setting).toBe('on');
  });

  it('commits nothing of a batch whose checkpoint update fails', async () => {
    await append(store, 'order-1', 'ItemAdded', 'ItemAdded', 'ItemAdded');
    // Stands in for a second writer that moved the checkpoint while this batch ran: the batch's
    // compare-and-set must refuse, and the writes already made in it must go too.
    let usurp = true;
    const counting = countingProjection();
    const r = runner({
      ...counting,
      async apply(event, tx) {
        await counting.apply(event, tx);
        if (usurp)
          await tx
            .update(projectionCheckpoints)
            .set({ position: 12345n })
            .where(eq(projectionCheckpoints.name, NAME));
      },
    });
    r.start();
    await eventually(() => r.statusOf(NAME).lastError?.message.includes('no longer at') === true);
    expect(await counts()).toEqual({});
    expect((await checkpointRow()).position).toBe(START_POSITION);

    // Once nobody interferes, the very same events apply exactly once.
    usurp = false;
    await eventually(() => r.statusOf(NAME).state === 'live');
    expect(await counts()).toEqual({ order: 3 });
  });

  it('resumes from its checkpoint after a restart and applies nothing twice', async () => {
    const applied: string[] = [];
    const projection = countingProjection({ onApply: (event) => void applied.push(event.id) });
    await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
    await append(store, 'cart-1', 'ItemAdded');
    const first = runner(projection);
    first.start();
    await eventually(() => first.statusOf(NAME).state === 'live');
    await first.stop();
    expect(first.statusOf(NAME).state).toBe('stopped');

    await append(store, 'order-2', 'ItemAdded', 'Ignored', 'ItemRemoved');
    const second = runner(projection);
    second.start();
    await eventually(() => second.statusOf(NAME).state === 'live');
    expect(applied).toHaveLength(5);
    expect(new Set(applied).size).toBe(5);
    expect(await counts()).toEqual({ cart: 1, order: 4 });
    expect(second.statusOf(NAME).eventsApplied).toBe(2);
  });

  it('commits a slow batch in parts of at most maxTransactionMs, each with its checkpoint, nothing twice', async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const counting = countingProjection();
    // Event by event: each apply takes at least 30 ms, so past 50 ms a transaction holds two at most.
    const perTransaction = new Map<unknown, string[]>();
    const oneByOne: Projection = {
      ...counting,
      async apply(event, tx) {
        await sleep(30);
        perTransaction.set(tx, [...(perTransaction.get(tx) ?? []), event.id]);
        await counting.apply(event, tx);
      },
    };
    for (let i = 0; i < 4; i++)
      await append(store, 'order-1', 'ItemAdded', 'ItemAdded', 'ItemAdded');
    const first = runner(oneByOne, { maxTransactionMs: 50 });
    first.start();
    await eventually(() => first.statusOf(NAME).state === 'live');
    await first.stop();
    const parts = [...perTransaction.values()];
    expect(parts.flat()).toHaveLength(12);
    expect(new Set(parts.flat()).size).toBe(12);
    expect(Math.max(...parts.map((part) => part.length))).toBeLessThanOrEqual(2);
    expect(await counts()).toEqual({ order: 12 });

    // With applyBatch: after a transaction past the budget, the next ones get fewer events.
    await append(store, 'cart-1', ...Array.from({ length: 16 }, () => 'ItemAdded'));
    await append(store, 'cart-2', ...Array.from({ length: 16 }, () => 'ItemAdded'));
    const sizes: number[] = [];
    const batched: Projection = {
      ...counting,
      async apply(event, tx) {
        sizes.push(1);
        await sleep(30);
        await counting.apply(event, tx);
      },
      async applyBatch(events, tx) {
        sizes.push(events.length);
        await sleep(30 * events.length);
        for (const event of events) await counting.apply(event, tx);
      },
    };
    const second = runner(batched, { batchSize: 16, maxTransactionMs: 50 });
    second.start();
    await eventually(() => second.statusOf(NAME).state === 'live');
    expect(sizes[0]).toBe(16);
    expect(sizes.slice(1).reduce((a, b) => a + b, 0)).toBe(16);
    expect(Math.max(...sizes.slice(1))).toBeLessThan(16);
    expect(await counts()).toEqual({ cart: 32, order: 12 });
    expect((await checkpointRow()).position).toBe(await store.headPosition());
  });

  it('retries a failing handler, then stops at that event with the error visible; retry() resumes', async () => {
    let broken = true;
    let poisonCalls = 0;
    const projection = countingProjection({
      failOn: (event) => broken && event.type === 'Poison',
      onApply: (event) => {
        if (event.type === 'Poison') poisonCalls++;
      },
    });
    const before = await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
    const poison = await append(store, 'cart-1', 'Poison');
    await append(store, 'order-2', 'ItemAdded');
    const r = runner(projection);
    r.start();
    await eventually(() => r.statusOf(NAME).state === 'failed');

    const status = r.statusOf(NAME);
    expect(status.failedPosition).toBe(poison);
    expect(status.checkpoint).toBe(before);
    expect(status.lastError).toMatchObject({ position: poison, attempts: 3 });
    expect(status.lastError?.message).toContain('cannot project Poison of cart-1');
    expect(poisonCalls).toBe(3);
    // The events before the poison are in; the poison's own write and everything after are not.
    expect(await counts()).toEqual({ order: 2 });
    const row = await checkpointRow();
    expect(row).toMatchObject({
      status: 'failed',
      position: before,
      failedPosition: poison,
      attempts: 3,
    });
    expect(row.lastError).toContain('cannot project Poison');
    expect(await r.waitForPosition(poison, 50)).toBe(false);

    broken = false;
    r.retry(NAME);
    await eventually(() => r.statusOf(NAME).state === 'live');
    expect(await counts()).toEqual({ cart: 1, order: 3 });
    expect(await checkpointRow()).toMatchObject({
      status: 'active',
      failedPosition: null,
      lastError: null,
    });
    expect(r.statusOf(NAME)).toMatchObject({ failedPosition: null, lastError: null });
  });

  it('stop() that lands between markFailed and the failed-wait still returns', async () => {
    await append(store, 'cart-1', 'Poison');
    // The runner logs the failure after markFailed and before it waits to be resumed: a stop()
    // from inside that log call lands exactly in the gap.
    let stopping: Promise<void> | undefined;
    const r: ProjectionRunner = runner(
      countingProjection({ failOn: (event) => event.type === 'Poison' }),
      {
        logger: {
          log: () => undefined,
          warn: () => undefined,
          error: () => void (stopping ??= r.stop()),
        },
      },
    );
    r.start();
    await eventually(() => stopping !== undefined);
    const outcome = await Promise.race([
      stopping?.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000)),
    ]);
    expect(outcome).toBe('stopped');
    expect(r.statusOf(NAME).state).toBe('failed');
    expect(await checkpointRow()).toMatchObject({ status: 'failed' });
  });

  it('retries transient database errors without end, but still stops on other SQL errors', async () => {
    // A real deadlock cannot be had on demand (and PGlite has one connection): the database itself
    // raises the deadlock's SQLSTATE instead — a real server error through the real driver.
    let deadlocks = 0;
    const counting = countingProjection();
    const r = runner({
      ...counting,
      async apply(event, tx) {
        if (event.type === 'Poison' && deadlocks < 7) {
          deadlocks++;
          await tx.execute(
            sql.raw(
              `DO $$ BEGIN RAISE EXCEPTION 'deadlock detected (stand-in)' USING ERRCODE = '40P01'; END $$`,
            ),
          );
        }
        if (event.streamId.startsWith('broken')) await tx.execute(sql`SELECT 1 / 0`);
        await counting.apply(event, tx);
      },
    });
    await append(store, 'order-1', 'ItemAdded');
    await append(store, 'cart-1', 'Poison');
    const broken = await append(store, 'broken-1', 'ItemAdded');
    r.start();
    await eventually(() => r.statusOf(NAME).state === 'failed');

    // Seven deadlocks with an attempt budget of 3: the event still went in.
    expect(deadlocks).toBe(7);
    expect(await counts()).toEqual({ cart: 1, order: 1 });
    // Division by zero is not transient: the budget applies as before.
    expect(r.statusOf(NAME)).toMatchObject({
      failedPosition: broken,
      lastError: { position: broken, attempts: 3 },
    });
    expect(await checkpointRow()).toMatchObject({
      status: 'failed',
      failedPosition: broken,
      attempts: 3,
    });
  });

  it('runs one instance per projection: a standby takes over when the holder stops', async () => {
    const appliedBy: Record<string, string[]> = { a: [], b: [] };
    const other = await database.connectAgain();
    toClose.push(other);
    const a = runner(countingProjection({ onApply: (event) => void appliedBy.a.push(event.id) }));
    const b = runner(
      countingProjection({ onApply: (event) => void appliedBy.b.push(event.id) }),
      {},
      other,
    );
    a.start();
    await eventually(() => a.statusOf(NAME).state === 'live');
    b.start();
    await eventually(() => b.statusOf(NAME).state === 'standby');

    const first = await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
    expect(await a.waitForPosition(first, 5_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(appliedBy.a).toHaveLength(2);
    expect(appliedBy.b).toHaveLength(0);
    expect(b.statusOf(NAME).state).toBe('standby');

    await a.stop();
    await eventually(() => b.statusOf(NAME).state === 'live');
    const second = await append(store, 'cart-1', 'ItemAdded');
    expect(await b.waitForPosition(second, 5_000)).toBe(true);
    expect(appliedBy.a).toHaveLength(2);
    expect(appliedBy.b).toHaveLength(1);
    expect(await counts()).toEqual({ cart: 1, order: 2 });
  });

  it('rebuilds to exactly the rows incremental processing produced, reporting progress', async () => {
    for (let i = 0; i < 12; i++) {
      await append(
        store,
        `${['order', 'cart', 'refund'][i % 3]}-${i}`,
        'ItemAdded',
        i % 2 ? 'Ignored' : 'ItemRemoved',
      );
    }
    const r = runner(countingProjection(), { batchSize: 5 });
    r.start();
    await eventually(() => r.statusOf(NAME).state === 'live');
    const incremental = await db
      .select()
      .from(streamTypeCounts)
      .orderBy(asc(streamTypeCounts.streamType));
    expect(incremental.map((row) => row.events)).toEqual([6, 6, 6]);

    // Another process cannot rebuild while this one holds the projection.
    const other = await database.connectAgain();
    toClose.push(other);
    const outsider = new ProjectionRunner(
      store,
      other,
      new ProjectionRegistry([countingProjection()]),
      fast,
    );
    await expect(outsider.rebuild('all')).rejects.toBeInstanceOf(ProjectionBusyError);

    const progress: RebuildProgress[] = [];
    const [result] = await r.rebuild('all', { onProgress: (update) => progress.push(update) });
    expect(result).toMatchObject({ projection: NAME, eventsApplied: 18 });
    expect(
      await db.select().from(streamTypeCounts).orderBy(asc(streamTypeCounts.streamType)),
    ).toEqual(incremental);
    const done = progress.at(-1);
    expect(done).toMatchObject({ done: true, eventsApplied: 18, head: await store.headPosition() });
    expect(progress.length).toBeGreaterThan(3);
    expect(done?.eventsPerSecond).toBeGreaterThan(0);
    expect(await checkpointRow()).toMatchObject({
      status: 'active',
      position: await store.headPosition(),
    });

    // The live worker came back after the rebuild.
    await eventually(() => r.statusOf(NAME).state === 'live');
    const later = await append(store, 'order-99', 'ItemAdded');
    expect(await r.waitForPosition(later, 5_000)).toBe(true);
    expect(await counts()).toEqual({ cart: 6, order: 7, refund: 6 });
  });

  describe('rebuilds side by side', () => {
    // How many rebuilds are inside their reset at once. Each waits there until `expected` are in
    // (or 3 s), then a moment more: all that may run together are in together, and one more than
    // expected would be counted too.
    let inside = 0;
    let most = 0;
    let expected = 0;
    const slow = (name: string): Projection => ({
      name,
      eventTypes: ['ItemAdded'],
      apply: async () => undefined,
      async reset() {
        most = Math.max(most, ++inside);
        const deadline = Date.now() + 3_000;
        while (inside < expected && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 100));
        inside--;
      },
    });
    const six = (prefix: string) => [1, 2, 3, 4, 5, 6].map((i) => `${prefix}${i}`);
    const rebuildsAtOnce = async (r: ProjectionRunner, names: string[], count: number) => {
      most = 0;
      expected = count;
      await r.rebuild(names);
      return most;
    };
    const poolOf = (max: number) => {
      const pool = new Pool({
        connectionString: (database.connection as { pool: Pool }).pool.options.connectionString,
        max,
      });
      // Dropping the test database ends the sessions a listener may still hold (57P01).
      pool.on('error', () => undefined);
      const connection: SqlConnection = { kind: 'postgres', pool, close: () => pool.end() };
      toClose.push(connection);
      return { connection, pool };
    };

    it('as many as half the pool leaves beside the live workers and the two listeners', async () => {
      await append(store, 'order-1', 'ItemAdded');
      const alone = new ProjectionRunner(
        store,
        database.connection,
        new ProjectionRegistry(six('a').map(slow)),
        fast,
      );
      toStop.push(alone);
      if (database.connection.kind !== 'postgres') {
        // PGlite: one connection, whose transactions run one after the other.
        expect(await rebuildsAtOnce(alone, six('a'), 1)).toBe(1);
        return;
      }
      // A pool of 10 (the test databases'), no live worker here: two connections for the
      // listeners, and each rebuild may need two at a time.
      expect(await rebuildsAtOnce(alone, six('a'), 4)).toBe(4);
      // Six live workers of this process hold six connections of a pool of 18.
      const both = new ProjectionRunner(
        store,
        poolOf(18).connection,
        new ProjectionRegistry([...six('a'), ...six('z')].map(slow)),
        fast,
      );
      toStop.push(both);
      both.start();
      await eventually(() => both.status().every((status) => status.state === 'live'));
      expect(await rebuildsAtOnce(both, six('a'), 5)).toBe(5);
      // The rebuilt ones went live again beside the others.
      await eventually(() => both.status().every((status) => status.state === 'live'));
    });

    it('never waits forever in a small pool that the store and both listeners share', async () => {
      if (database.connection.kind !== 'postgres') return; // PGlite has no pool
      const { connection: small, pool } = poolOf(4);
      const smallStore = await createSqlEventStore(small);
      toStop.push({ stop: () => smallStore.close() });
      await append(smallStore, 'order-1', 'ItemAdded');
      // The store's listener: a subscription waiting live.
      const subscription = smallStore.subscribeToAll();
      toStop.push({ stop: () => subscription.close() });
      const events = subscription[Symbol.asyncIterator]();
      await events.next();
      void events.next().catch(() => undefined);
      // The personal-data keys' listener.
      const keys = new SqlPersonKeys(small, { masterKey: randomBytes(32) });
      toStop.push({ stop: () => keys.close() });
      await keys.getOrCreate('person-1');
      await eventually(() => pool.totalCount - pool.idleCount >= 2);

      const r = new ProjectionRunner(
        smallStore,
        small,
        new ProjectionRegistry(six('a').map(slow)),
        fast,
      );
      toStop.push(r);
      expected = 1;
      const outcome = await Promise.race([
        r.rebuild('all').then(() => 'rebuilt'),
        new Promise((resolve) => setTimeout(() => resolve('waiting for a connection'), 20_000)),
      ]);
      expect(outcome).toBe('rebuilt');
    });
  });

  it('waitForPosition: passes irrelevant events, sees other processes, answers false at once when nobody runs', async () => {
    const r = runner(countingProjection());
    r.start();
    await eventually(() => r.statusOf(NAME).state === 'live');

    const relevant = await append(store, 'order-1', 'ItemAdded');
    expect(await r.waitForPosition(relevant, 5_000, NAME)).toBe(true);
    expect(await counts()).toEqual({ order: 1 });

    const irrelevant = await append(store, 'order-1', 'Ignored');
    expect(await r.waitForPosition(irrelevant, 5_000)).toBe(true);

    // A gateway without inline workers reads the checkpoint the worker process commits.
    const other = await database.connectAgain();
    toClose.push(other);
    const gateway = new ProjectionRunner(
      store,
      other,
      new ProjectionRegistry([countingProjection()]),
      fast,
    );
    const next = await append(store, 'cart-1', 'ItemAdded');
    expect(await gateway.waitForPosition(next, 5_000)).toBe(true);
    expect(await counts()).toEqual({ cart: 1, order: 1 });

    await r.stop();
    const unseen = await append(store, 'cart-2', 'ItemAdded');
    // Nobody holds the projection's lock: nothing would ever reach the event, so no waiting.
    const started = Date.now();
    expect(await gateway.waitForPosition(unseen, 5_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);

    // Someone runs it but has not got there within the timeout: false after the timeout.
    // (A handler between retries: it holds the lock without holding PGlite's one connection.)
    // The gateway takes its finding that nobody runs as the answer for a second: wait that out.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const stuck = runner(
      { ...countingProjection(), apply: async () => Promise.reject(new Error('not yet')) },
      { retry: { attempts: 100, initialDelayMs: 10_000, maxDelayMs: 10_000 } },
    );
    stuck.start();
    await eventually(() => stuck.statusOf(NAME).lastError !== null);
    const pending = await append(store, 'cart-3', 'ItemAdded');
    const waited = Date.now();
    expect(await gateway.waitForPosition(pending, 200)).toBe(false);
    expect(Date.now() - waited).toBeGreaterThanOrEqual(190);
  });

  it('waitForPosition: once it found that nobody runs the projection, asks nothing more for a second', async () => {
    const applied = await append(store, 'order-1', 'ItemAdded');
    const holder = runner(countingProjection());
    holder.start();
    expect(await holder.waitForPosition(applied, 5_000)).toBe(true);
    await holder.stop();

    let asked = 0;
    const other = await database.connectAgain();
    toClose.push(other);
    const counted = <T extends object>(target: T, methods: readonly string[]): T =>
      countingCalls(target, methods, () => asked++);
    const countedConnection =
      other.kind === 'postgres'
        ? { ...other, pool: counted(other.pool, ['query', 'connect']) }
        : { ...other, db: counted(other.db, ['query', 'exec', 'transaction']) };
    const gateway = new ProjectionRunner(
      counted(store, ['headPosition', 'readAll', 'readStream']),
      countedConnection,
      new ProjectionRegistry([countingProjection()]),
      { ...fast, db: readDbFor(countedConnection) },
    );
    const unseen = await append(store, 'cart-1', 'ItemAdded');
    expect(await gateway.waitForPosition(unseen, 5_000)).toBe(false);
    expect(asked).toBeGreaterThan(0);

    // Within the recheck interval: answered from that finding, the checkpoint it read included.
    asked = 0;
    for (let i = 0; i < 20; i++) expect(await gateway.waitForPosition(unseen, 5_000)).toBe(false);
    expect(await gateway.waitForPosition(applied, 5_000)).toBe(true);
    expect(asked).toBe(0);

    // A runner that starts is seen once the finding is a second old.
    const back = runner(countingProjection());
    back.start();
    await eventually(() => back.statusOf(NAME).state === 'live');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await gateway.waitForPosition(unseen, 5_000)).toBe(true);
    await back.stop();
  });

  it('waitForPosition in a process that does not run the projection: O(1) queries per tick for N waiters', async () => {
    // The holder is stuck between retries on the first event: every wait below runs to its timeout.
    const stuck = runner(
      { ...countingProjection(), apply: async () => Promise.reject(new Error('not yet')) },
      { retry: { attempts: 100, initialDelayMs: 10_000, maxDelayMs: 10_000 } },
    );
    stuck.start();
    const pending = await append(store, 'cart-1', 'ItemAdded');
    await eventually(() => stuck.statusOf(NAME).lastError !== null);

    // Count what the gateway's runner asks of the read DB (a wrapper around its driver client) and of the store.
    let dbQueries = 0;
    let storeCalls = 0;
    const other = await database.connectAgain();
    toClose.push(other);
    const count = countingCalls;
    const countedDb = readDbFor(
      other.kind === 'postgres'
        ? { ...other, pool: count(other.pool, ['query', 'connect'], () => dbQueries++) }
        : { ...other, db: count(other.db, ['query', 'exec', 'transaction'], () => dbQueries++) },
    );
    const countedStore = count(store, ['headPosition', 'readAll'], () => storeCalls++);
    const pollMs = 10;
    const gateway = new ProjectionRunner(
      countedStore,
      other,
      new ProjectionRegistry([countingProjection()]),
      {
        ...fast,
        waitPollMs: pollMs,
        db: countedDb,
      },
    );

    const waiters = 50;
    const timeoutMs = 600;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: waiters }, () => gateway.waitForPosition(pending, timeoutMs)),
    );
    const elapsed = Date.now() - started;
    expect(results).toEqual(Array(waiters).fill(false));
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 10);
    // One checkpoint read per tick for all 50 waiters (per waiter, this would be 50 per tick).
    const ticks = Math.ceil(elapsed / pollMs) + 1;
    expect(dbQueries).toBeGreaterThan(0);
    expect(dbQueries).toBeLessThanOrEqual(ticks);
    // The store: headPosition + readAll at most every 250 ms for the projection, not per waiter.
    expect(storeCalls).toBeLessThanOrEqual(2 * (Math.ceil(elapsed / 250) + 1));
  });

  describe('external projections (effects outside the read DB)', () => {
    const EXTERNAL = 'external-effects';

    /** Records its effects (event ids, in order); `gate` holds a call until the test releases it. */
    function externalProjection(
      options: {
        gate?: () => Promise<void>;
        fail?: (event: RecordedEvent) => Error | undefined;
        isTransient?: (error: unknown) => boolean;
      } = {},
    ) {
      const effects: string[] = [];
      const projection: ExternalProjection = {
        name: EXTERNAL,
        eventTypes: ['ItemAdded', 'ItemRemoved', 'Poison'],
        external: true,
        async apply(event) {
          await options.gate?.();
          const error = options.fail?.(event);
          if (error) throw error;
          effects.push(event.id);
        },
        async applyBatch(events) {
          for (const event of events) await projection.apply(event);
        },
        isTransient: options.isTransient,
      };
      return { projection, effects };
    }

    async function externalCheckpoint() {
      const [row] = await db
        .select()
        .from(projectionCheckpoints)
        .where(eq(projectionCheckpoints.name, EXTERNAL));
      return row;
    }

    it('applies outside any read-DB transaction and commits the checkpoint only after apply returns', async () => {
      await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
      const last = await append(store, 'cart-1', 'ItemRemoved', 'Ignored');
      let release: () => void = () => undefined;
      let entered = false;
      const released = new Promise<void>((resolve) => (release = resolve));
      const { projection, effects } = externalProjection({
        gate: async () => {
          entered = true;
          await released;
        },
      });
      const r = runner(projection);
      r.start();
      await eventually(() => entered);
      // No transaction is open while the effect runs: on PGlite (one connection) this read would
      // otherwise wait for the very call that waits on it. The checkpoint has not moved.
      const during = await externalCheckpoint();
      expect(during.position).toBe(START_POSITION);
      expect(r.statusOf(EXTERNAL).checkpoint).toBe(START_POSITION);

      release();
      expect(await r.waitForPosition(last, 5_000, EXTERNAL)).toBe(true);
      expect(effects).toHaveLength(3);
      expect((await externalCheckpoint()).position).toBeGreaterThanOrEqual(last);
      expect(r.statusOf(EXTERNAL)).toMatchObject({ lastError: null, eventsApplied: 3 });
    });

    it('moves no checkpoint past a failing effect, and stops at that event after the attempts', async () => {
      const before = await append(store, 'order-1', 'ItemAdded', 'ItemAdded');
      const poison = await append(store, 'cart-1', 'Poison');
      await append(store, 'order-2', 'ItemAdded');
      const { projection, effects } = externalProjection({
        fail: (event) => (event.type === 'Poison' ? new Error('cannot publish this') : undefined),
      });
      const r = runner(projection);
      r.start();
      await eventually(() => r.statusOf(EXTERNAL).state === 'failed');

      expect(r.statusOf(EXTERNAL)).toMatchObject({
        checkpoint: before,
        failedPosition: poison,
        lastError: { position: poison, attempts: 3 },
      });
      expect(await externalCheckpoint()).toMatchObject({
        status: 'failed',
        position: before,
        failedPosition: poison,
      });
      // The effects before the poison happened (a repeat is allowed: the contract is idempotence);
      // nothing at or after it did.
      const events = await store.readAll({ maxCount: 100 });
      const ids = (types: (e: RecordedEvent) => boolean) => events.filter(types).map((e) => e.id);
      expect(new Set(effects)).toEqual(new Set(ids((e) => e.position <= before)));
      expect(await r.waitForPosition(poison, 50, EXTERNAL)).toBe(false);
    });

    it('retries transient errors without end and without failing, the error visible meanwhile', async () => {
      class BrokerDown extends Error {}
      let outages = 0;
      const { projection, effects } = externalProjection({
        fail: (event) =>
          event.type === 'Poison' && outages < 7
            ? new BrokerDown(`broker down (${++outages})`)
            : undefined,
        isTransient: (error) => error instanceof BrokerDown,
      });
      await append(store, 'order-1', 'ItemAdded');
      const poison = await append(store, 'cart-1', 'Poison');
      const r = runner(projection);
      r.start();
      await eventually(
        () => r.statusOf(EXTERNAL).lastError?.message.startsWith('broker down') === true,
      );
      const retrying = r.statusOf(EXTERNAL);
      expect(retrying.state).not.toBe('failed');
      expect(retrying.lastError?.position).toBe(poison);

      expect(await r.waitForPosition(poison, 10_000, EXTERNAL)).toBe(true);
      // Seven outages with an attempt budget of 3: never failed, every event went out (the one
      // before the outage twice: the failed batch is retried one by one — hence idempotence).
      expect(outages).toBe(7);
      expect(r.statusOf(EXTERNAL)).toMatchObject({ lastError: null, failedPosition: null });
      expect(new Set(effects).size).toBe(2);
      expect(await externalCheckpoint()).toMatchObject({ status: 'active', failedPosition: null });
    });

    it('is not waited for by default (read-your-writes) nor rebuilt by rebuild all', async () => {
      const stuck = externalProjection({ fail: () => new Error('never') });
      const both = new ProjectionRunner(
        store,
        database.connection,
        new ProjectionRegistry([countingProjection(), stuck.projection]),
        { ...fast, retry: { attempts: 100, initialDelayMs: 10_000, maxDelayMs: 10_000 } },
      );
      toStop.push(both);
      both.start();
      const position = await append(store, 'order-1', 'ItemAdded');
      await eventually(() => both.statusOf(EXTERNAL).lastError !== null);
      expect(await both.waitForPosition(position, 5_000)).toBe(true);
      expect(await both.waitForPosition(position, 100, EXTERNAL)).toBe(false);
      await both.stop();
      const results = await both.rebuild('all');
      expect(results.map((result) => result.projection)).toEqual([NAME]);
      await expect(both.rebuild(EXTERNAL)).rejects.toThrow(/no reset/);
    });
  });

  it('migrates idempotently, also when two processes start at once', async () => {
    const other = await database.connectAgain();
    toClose.push(other);
    await Promise.all([
      migrateReadModels(database.connection),
      migrateReadModels(other),
      migrateReadModels(other),
    ]);
    const applied = await db.execute(
      sql`SELECT count(*)::int AS n FROM drizzle.__read_models_migrations`,
    );
    // Each committed migration once, however many processes ran them.
    const journal = JSON.parse(
      readFileSync(join(defaultMigrationsFolder(), 'meta/_journal.json'), 'utf8'),
    ) as { entries: unknown[] };
    expect(applied.rows[0]).toEqual({ n: journal.entries.length });
  });
});
