import { randomUUID } from 'node:crypto';
import type { EventStore, RecordedEvent } from '@arbiter/event-store';
// The sql module itself, not the barrel: the barrel's Nest module is ESM, which Jest cannot require.
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import { asc, eq, sql } from 'drizzle-orm';
import { bigint, index, integer, pgSchema, pgTable, text } from 'drizzle-orm/pg-core';
import { PassThrough } from 'node:stream';
import { runProjectionsCli } from './cli/projections';
import { ReadDb, readDbFor } from './database';
import { migrateReadModels } from './migrate';
import { Projection, ProjectionRegistry } from './projection';
import { ownedTables, rebuildRenamer } from './rebuild-tables';
import {
  ProjectionFailedError,
  ProjectionRunner,
  ProjectionRunnerOptions,
  RebuildProgress,
  RebuildRunningError,
} from './runner';
import { projectionCheckpoints } from './schema';
import { ReadTestDatabase, readTestDatabases } from './testing/read-databases';

// Two tables of the spec's own. `applied_events` counts how often each event was committed
// (`times`): a skipped event has no row, one applied twice has times = 2. No replay guard on
// purpose, so the test sees the runner's own guarantees, not the projection's.
const testSchema = pgSchema('rm_bg');
const appliedEvents = testSchema.table('applied_events', {
  position: bigint('position', { mode: 'bigint' }).primaryKey(),
  streamId: text('stream_id').notNull(),
  times: integer('times').notNull(),
});
const streamTotals = testSchema.table(
  'stream_totals',
  {
    streamType: text('stream_type').primaryKey(),
    events: integer('events').notNull(),
    lastPosition: bigint('last_position', { mode: 'bigint' }).notNull(),
  },
  (t) => [index('stream_totals_by_events').on(t.events)],
);

const NAME = 'applied-events';

async function createTestTables(db: ReadDb): Promise<void> {
  await db.execute(sql`CREATE SCHEMA IF NOT EXISTS rm_bg`);
  await db.execute(sql`CREATE TABLE rm_bg.applied_events (
    position bigint CONSTRAINT applied_events_key PRIMARY KEY,
    stream_id text NOT NULL,
    times integer NOT NULL CONSTRAINT applied_once CHECK (times > 0))`);
  await db.execute(sql`CREATE INDEX applied_events_by_stream ON rm_bg.applied_events (stream_id)
    WHERE stream_id <> ''`);
  await db.execute(sql`CREATE TABLE rm_bg.stream_totals (
    stream_type text PRIMARY KEY, events integer NOT NULL, last_position bigint NOT NULL,
    CONSTRAINT stream_totals_unique_last UNIQUE (last_position))`);
  await db.execute(sql`CREATE INDEX stream_totals_by_events ON rm_bg.stream_totals (events)`);
}

interface Options {
  failOn?: (event: RecordedEvent) => boolean;
}

function appliedEventsProjection(options: Options = {}): Projection {
  return {
    name: NAME,
    eventTypes: ['ItemAdded', 'ItemRemoved'],
    tables: [appliedEvents, streamTotals],
    async apply(event, tx) {
      if (options.failOn?.(event)) throw new Error(`cannot project ${event.streamId}`);
      // Raw SQL naming the table unquoted, as some projections do: renamed all the same.
      await tx.execute(
        sql`INSERT INTO rm_bg.applied_events AS a (position, stream_id, times)
            VALUES (${event.position}, ${event.streamId}, 1)
            ON CONFLICT (position) DO UPDATE SET times = a.times + 1`,
      );
      const streamType = event.streamId.split('-')[0];
      await tx
        .insert(streamTotals)
        .values({ streamType, events: 1, lastPosition: event.position })
        .onConflictDoUpdate({
          target: streamTotals.streamType,
          set: { events: sql`${streamTotals.events} + 1`, lastPosition: event.position },
          setWhere: sql`${streamTotals.lastPosition} < ${event.position}`,
        });
    },
    async reset(tx) {
      await tx.delete(appliedEvents);
      await tx.delete(streamTotals);
    },
  };
}

async function append(store: EventStore, streamId: string, ...types: string[]): Promise<bigint> {
  const result = await store.append(
    streamId,
    types.map((type) => ({ id: randomUUID(), type, data: { streamId } })),
  );
  return result.position;
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const options: ProjectionRunnerOptions = {
  batchSize: 5,
  retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
  lockRetryMs: 50,
  waitPollMs: 10,
  logger: quiet,
};
jest.setTimeout(120_000);

describe('rebuildRenamer', () => {
  const rename = rebuildRenamer([{ schema: 'read_models', name: 'deadlines' }]);
  it('points quoted and unquoted mentions of exactly the listed tables at their copies', () => {
    expect(rename('select "read_models"."deadlines"."id" from "read_models"."deadlines"')).toBe(
      'select "read_models_rebuild"."deadlines"."id" from "read_models_rebuild"."deadlines"',
    );
    expect(rename('UPDATE read_models.deadlines AS d SET x = 1')).toBe(
      'UPDATE "read_models_rebuild"."deadlines" AS d SET x = 1',
    );
    for (const untouched of [
      'SELECT * FROM read_models.deadlines_x',
      'SELECT * FROM "read_models"."deadline_dispute_states"',
      'SELECT * FROM other.deadlines',
      'SELECT * FROM xread_models.deadlines',
      'SELECT * FROM "read_models"."deadlinesx"',
    ])
      expect(rename(untouched)).toBe(untouched);
  });
});

describe('ownedTables', () => {
  it('refuses a table without a schema (its statements could not be pointed at a copy)', () => {
    expect(() => ownedTables([pgTable('loose', { id: text('id') })])).toThrow(/no schema/);
    expect(ownedTables([appliedEvents])).toEqual([{ schema: 'rm_bg', name: 'applied_events' }]);
  });
});

describe.each(readTestDatabases())('blue/green rebuild on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: EventStore;
  let toStop: ProjectionRunner[];

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    await createTestTables(db);
    store = await createSqlEventStore(database.connection);
    toStop = [];
  });

  afterEach(async () => {
    await Promise.all(toStop.map((runner) => runner.stop()));
    await store.close();
    await database.dispose();
  });

  function runner(projection: Projection, connection = database.connection, warnings?: string[]) {
    const created = new ProjectionRunner(store, connection, new ProjectionRegistry([projection]), {
      ...options,
      ...(warnings ? { logger: { ...quiet, warn: (message) => warnings.push(message) } } : {}),
    });
    toStop.push(created);
    return created;
  }

  async function appendMany(count: number, prefix = 'order'): Promise<bigint> {
    let last = 0n;
    for (let i = 0; i < count; i++) {
      last = await append(
        store,
        `${['order', 'cart', 'refund'][i % 3]}-${prefix}-${i}`,
        'ItemAdded',
        i % 2 ? 'Ignored' : 'ItemRemoved',
      );
    }
    return last;
  }

  /** Every matching event in the log, with how often the live table holds it. */
  async function applied(): Promise<{ positions: bigint[]; times: number[] }> {
    const rows = await db.select().from(appliedEvents).orderBy(asc(appliedEvents.position));
    return { positions: rows.map((row) => row.position), times: rows.map((row) => row.times) };
  }

  async function matchingPositions(): Promise<bigint[]> {
    const events = await store.readAll({ filter: { eventTypes: ['ItemAdded', 'ItemRemoved'] } });
    return events.map((event) => event.position);
  }

  async function expectExactlyOnce(): Promise<void> {
    const { positions, times } = await applied();
    expect(positions).toEqual(await matchingPositions());
    expect(new Set(times)).toEqual(new Set([1]));
  }

  async function checkpoints(): Promise<Record<string, bigint>> {
    const rows = await db.select().from(projectionCheckpoints);
    return Object.fromEntries(rows.map((row) => [row.name, row.position]));
  }

  async function rebuildTablesLeft(): Promise<string[]> {
    const { rows } = await db.execute<{ name: string }>(
      sql`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'rm_bg_rebuild' ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  async function namesOf(schema: string): Promise<{ indexes: string[]; constraints: string[] }> {
    const indexes = await db.execute<{ name: string }>(
      sql`SELECT indexname || ' ' || regexp_replace(indexdef, ' ON \S+', '') AS name
            FROM pg_indexes WHERE schemaname = ${schema} ORDER BY 1`,
    );
    const constraints = await db.execute<{ name: string }>(
      sql`SELECT c.conname || ' ' || pg_get_constraintdef(c.oid) AS name
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
           WHERE n.nspname = ${schema} ORDER BY 1`,
    );
    return {
      indexes: indexes.rows.map((row) => row.name),
      constraints: constraints.rows.map((row) => row.name),
    };
  }

  it('fills new tables while the live ones serve and follow the log, then switches over: every event once', async () => {
    await appendMany(40);
    const projection = appliedEventsProjection();
    const warnings: string[] = [];
    const live = runner(projection, database.connection, warnings);
    live.start();
    await eventually(() => live.statusOf(NAME).state === 'live');
    const migratedNames = await namesOf('rm_bg');
    const full = (await applied()).positions.length;
    expect(full).toBe(60);

    // Reads while the copies fill: the live table answers, whole.
    const during: Promise<number>[] = [];
    const progress: RebuildProgress[] = [];
    let appendedMeanwhile = 0n;
    const [result] = await live.rebuild(NAME, {
      onProgress: (update) => {
        progress.push(update);
        if (!update.done) during.push(db.$count(appliedEvents).then((count) => count));
      },
      beforeSwitch: async () => {
        // The copies exist beside the live tables, which still take new events.
        expect(await rebuildTablesLeft()).toEqual(['applied_events', 'stream_totals']);
        appendedMeanwhile = await appendMany(6, 'meanwhile');
        expect(await live.waitForPosition(appendedMeanwhile, 10_000)).toBe(true);
        expect((await applied()).positions.length).toBe(full + 9);
        expect(live.statusOf(NAME).state).toBe('live');
        // Another rebuild of the same projection waits for this one (here: refused at once).
        const other = runner(projection);
        await expect(other.rebuild(NAME)).rejects.toBeInstanceOf(RebuildRunningError);
      },
    });

    expect(result).toMatchObject({ projection: NAME, mode: 'blue-green' });
    expect(result.eventsApplied).toBeGreaterThanOrEqual(43);
    expect(progress.length).toBeGreaterThan(5);
    expect(progress.at(-1)).toMatchObject({ done: true });
    for (const count of await Promise.all(during)) expect(count).toBeGreaterThanOrEqual(full);
    await expectExactlyOnce();
    expect(await rebuildTablesLeft()).toEqual([]);
    // Indistinguishable from migrated tables: same index and constraint names and definitions.
    expect(await namesOf('rm_bg')).toEqual(migratedNames);
    const stored = await checkpoints();
    expect(stored).toEqual({ [NAME]: result.position });
    expect(result.position).toBeGreaterThanOrEqual(appendedMeanwhile);

    // The live worker goes on from the switched checkpoint, on the new tables, with no error.
    const later = await appendMany(5, 'after');
    expect(await live.waitForPosition(later, 10_000)).toBe(true);
    await expectExactlyOnce();
    // It reloaded the moved checkpoint and caught up: the wait can be answered by a catch-up batch
    // before the catch-up's last read, so 'live' may come a moment after.
    await eventually(() => live.statusOf(NAME).state === 'live');
    expect(live.statusOf(NAME)).toMatchObject({ state: 'live', lastError: null });
    // Its commit on top of the moved checkpoint was refused and reloaded, not counted as a failure.
    expect(warnings.filter((warning) => /retrying/.test(warning))).toEqual([]);

    // What a from-scratch (in-place) rebuild leaves is the same.
    const before = await db.select().from(streamTotals).orderBy(asc(streamTotals.streamType));
    const [inPlace] = await live.rebuild(NAME, { mode: 'in-place' });
    expect(inPlace.mode).toBe('in-place');
    expect(await db.select().from(streamTotals).orderBy(asc(streamTotals.streamType))).toEqual(
      before,
    );
    await expectExactlyOnce();
  });

  it('rebuilds from another process while the first one runs the projection live', async () => {
    await appendMany(30);
    const live = runner(appliedEventsProjection());
    live.start();
    await eventually(() => live.statusOf(NAME).state === 'live');

    const other = await database.connectAgain();
    const rebuilder = runner(appliedEventsProjection(), other);
    // Events keep arriving during the whole rebuild, and during the switch.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await append(store, `cart-live-${i}`, 'ItemAdded');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const [result] = await rebuilder.rebuild('all');
      expect(result.mode).toBe('blue-green');
    } finally {
      writing = false;
      await writer;
      await rebuilder.stop();
      await other.close();
    }
    expect(await live.waitForPosition(await store.headPosition(), 10_000)).toBe(true);
    await expectExactlyOnce();
    // It may be reloading its moved checkpoint right now; it gets back to live without an error.
    await eventually(() => live.statusOf(NAME).state === 'live');
    expect(live.statusOf(NAME).lastError).toBeNull();
    expect(Object.keys(await checkpoints())).toEqual([NAME]);
  });

  it('a failing rebuild leaves the live tables and checkpoint as they were, and drops its copies', async () => {
    await appendMany(20);
    let poisoned = false;
    const live = runner(
      appliedEventsProjection({ failOn: (event) => poisoned && event.streamId === 'cart-order-7' }),
    );
    live.start();
    await eventually(() => live.statusOf(NAME).state === 'live');
    const before = { rows: await applied(), checkpoints: await checkpoints() };

    // The code now fails on an event the live tables hold already: the replay stops there.
    poisoned = true;
    await expect(live.rebuild(NAME)).rejects.toBeInstanceOf(ProjectionFailedError);
    expect({ rows: await applied(), checkpoints: await checkpoints() }).toEqual(before);
    expect(await rebuildTablesLeft()).toEqual([]);

    // The live worker never noticed.
    const later = await appendMany(3, 'after');
    expect(await live.waitForPosition(later, 10_000)).toBe(true);
    await expectExactlyOnce();
  });

  it('a stopped rebuild drops its copies; the next one cleans up what a crashed one left', async () => {
    await appendMany(20);
    const projection = appliedEventsProjection();
    const live = runner(projection);
    live.start();
    await eventually(() => live.statusOf(NAME).state === 'live');
    const before = await applied();

    let stopped: Promise<void> | undefined;
    const stopping = live.rebuild(NAME, {
      onProgress: (update) => {
        if (update.eventsApplied > 0 && !update.done) stopped ??= live.stop();
      },
    });
    await expect(stopping).rejects.toThrow(/interrupted/);
    await stopped;
    expect(await applied()).toEqual(before);
    expect(await rebuildTablesLeft()).toEqual([]);

    // A crash leaves copies (with rows) and the rebuild's checkpoint: the next rebuild starts afresh.
    await db.execute(sql`CREATE SCHEMA IF NOT EXISTS rm_bg_rebuild`);
    await db.execute(sql`CREATE TABLE rm_bg_rebuild.applied_events (LIKE rm_bg.applied_events)`);
    await db.execute(sql`INSERT INTO rm_bg_rebuild.applied_events VALUES (999999, 'ghost', 7)`);
    await db
      .insert(projectionCheckpoints)
      .values({ name: `${NAME}@rebuild`, position: 999_999n, status: 'rebuilding' });
    live.start();
    const [result] = await live.rebuild(NAME);
    expect(result.mode).toBe('blue-green');
    await expectExactlyOnce();
    expect(await rebuildTablesLeft()).toEqual([]);
    expect(
      await db
        .select()
        .from(projectionCheckpoints)
        .where(eq(projectionCheckpoints.name, `${NAME}@rebuild`)),
    ).toEqual([]);
  });

  it('projections rebuild says which mode it used, and rebuilds blue/green while the worker runs', async () => {
    await appendMany(10);
    const live = runner(appliedEventsProjection());
    live.start();
    await eventually(() => live.statusOf(NAME).state === 'live');
    const withoutTables: Projection = { ...appliedEventsProjection(), name: 'no-tables' };
    delete (withoutTables as { tables?: unknown }).tables;
    const cli = async (...argv: string[]) => {
      const out = new PassThrough();
      let output = '';
      out.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await runProjectionsCli(argv, {
        registry: new ProjectionRegistry([appliedEventsProjection(), withoutTables]),
        connection: database.connection,
        eventStore: store,
        out,
        progressBars: false,
      });
      return { code, output };
    };

    const blueGreen = await cli('rebuild', NAME);
    expect(blueGreen).toMatchObject({ code: 0 });
    expect(blueGreen.output).toContain(`${NAME}: rebuilding blue/green`);
    expect(blueGreen.output).toMatch(
      new RegExp(`${NAME}: rebuilt blue/green \\(switched over\\), 15 events`),
    );
    await expectExactlyOnce();

    // In place needs the worker out of the way: refused while it runs, as before.
    const refused = await cli('rebuild', NAME, '--in-place');
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('rebuilding in place');
    expect(refused.output).toMatch(/running in another process.*--wait/);
    await live.stop();
    const inPlace = await cli('rebuild', 'no-tables');
    expect(inPlace.code).toBe(0);
    expect(inPlace.output).toContain(
      'no-tables: rebuilding in place, its views empty or partial until it is done (the projection declares no tables of its own)',
    );
    expect(inPlace.output).toContain('no-tables: rebuilt in place, 15 events');
  });
});
