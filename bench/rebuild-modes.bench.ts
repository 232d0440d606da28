// `npm run bench:rebuild-modes` (needs DATABASE_URL, or BENCH_DB=pglite): on a database of its
// own, writes ~20,000 dispute events (BENCH_EVENTS), runs every projection live, then rebuilds
// all of them twice under a steady command load while a reader lists a buyer's disputes in a
// loop: first in place (the baseline: reset and replay, the live worker paused), then blue/green
// (new tables filled beside the live ones, then switched over). It reports each mode's events/s,
// their ratio, and what the reader saw meanwhile: reads that found fewer disputes than exist
// (the views were wrong), and the slowest read (the switch-over's locks). The database is dropped
// at the end. The last line of output is JSON.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { deadlinesProcessManager } from '@arbiter/deadlines';
import { type Actor, addDays, DEFAULT_POLICY } from '@arbiter/disputes';
import { createEventStore, type EventStore, type EventToAppend } from '@arbiter/event-store';
import { compressWithLz4WhereAvailable, type SqlConnection } from '@arbiter/platform';
import {
  buyerDisputes,
  disputeProjections,
  migrateReadModels,
  ProjectionRegistry,
  ProjectionRunner,
  readDbFor,
  type RebuildMode,
} from '@arbiter/read-models';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { eq } from 'drizzle-orm';
import { Pool } from 'pg';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const LOAD_PER_SECOND = Number(process.env.BENCH_LOAD_PER_S ?? 20);
const ON_PGLITE = process.env.BENCH_DB === 'pglite';
const T0 = '2026-03-01T00:00:00.000Z';
const BUYERS = 97;
const buyerOf = (i: number): Actor => ({ id: `buyer-${i % BUYERS}`, role: 'buyer' });
const mediator: Actor = { id: 'med-1', role: 'mediator' };

type Stream = { streamId: string; events: EventToAppend[] };

/** One whole mediated dispute (order + dispute streams) written by the real deciders. */
async function template(): Promise<{ streams: Stream[]; eventCount: number }> {
  const memory = await createEventStore({ kind: 'memory' });
  const scenario = new DisputeScenario(memory, undefined, 'template');
  const people = { buyer: { id: 'TPL-BUYER', role: 'buyer' as const } };
  await scenario.placeShippedOrder({
    orderId: 'TPL-ORDER',
    buyerId: 'TPL-BUYER',
    sellerId: 'TPL-SELLER',
    total: { amountMinor: 10_000, currency: 'EUR' },
    at: T0,
  });
  await mediatedStory(
    scenario,
    { disputeId: 'TPL-DISPUTE', orderId: 'TPL-ORDER' },
    { ...people, seller: { id: 'TPL-SELLER', role: 'seller' }, mediator },
    addDays(T0, 6),
  );
  const all = await memory.readAll({});
  await memory.close();
  const byStream = new Map<string, Stream>();
  for (const event of all) {
    let stream = byStream.get(event.streamId);
    if (!stream) byStream.set(event.streamId, (stream = { streamId: event.streamId, events: [] }));
    stream.events.push({ id: '', type: event.type, data: event.data, metadata: event.metadata });
  }
  return { streams: [...byStream.values()], eventCount: all.length };
}

/** Copy `i` of the template, every id replaced. */
function clone(streams: Stream[], i: number): Stream[] {
  const replace = (text: string) =>
    text
      .replaceAll('TPL-DISPUTE', `dispute-${i}`)
      .replaceAll('TPL-ORDER', `order-${i}`)
      .replaceAll('TPL-BUYER', buyerOf(i).id)
      .replaceAll('TPL-SELLER', `seller-${i % 31}`);
  return streams.map((stream) => ({
    streamId: replace(stream.streamId),
    events: stream.events.map((event) => ({
      ...event,
      id: randomUUID(),
      data: JSON.parse(replace(JSON.stringify(event.data))),
    })),
  }));
}

async function openDatabase(): Promise<{ connection: SqlConnection; drop(): Promise<void> }> {
  if (ON_PGLITE) {
    const db = await PGlite.create('memory://');
    return {
      connection: { kind: 'pglite', db, close: () => db.close() },
      drop: async () => {
        if (!db.closed) await db.close();
      },
    };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('bench:rebuild-modes needs DATABASE_URL or BENCH_DB=pglite');
  const database = await createPostgresTestDatabase(url, 'bench_rebuild_modes');
  const pool = new Pool({
    connectionString: database.url,
    max: 12,
    // Compressed as the product's sessions compress (lz4 where the server has it).
    onConnect: compressWithLz4WhereAvailable,
  });
  return {
    connection: { kind: 'postgres', pool, close: () => pool.end() },
    drop: async () => {
      if (!pool.ended) await pool.end();
      await database.drop();
    },
  };
}

interface Measured {
  mode: RebuildMode;
  events: number;
  ms: number;
  reads: number;
  shortReads: number;
  slowestReadMs: number;
  commands: number;
}

/**
 * Rebuilds every read model in `mode` while commands arrive (PostMessage on open disputes) and a
 * reader counts buyer 0's disputes, which no command changes: fewer is a wrong view.
 */
async function rebuildUnderLoad(
  mode: RebuildMode,
  runner: ProjectionRunner,
  scenario: DisputeScenario,
  connection: SqlConnection,
  expected: number,
): Promise<Measured> {
  const db = readDbFor(connection);
  let running = true;
  const measured: Measured = {
    mode,
    events: 0,
    ms: 0,
    reads: 0,
    shortReads: 0,
    slowestReadMs: 0,
    commands: 0,
  };
  const reader = (async () => {
    while (running) {
      const started = performance.now();
      const count = await db.$count(buyerDisputes, eq(buyerDisputes.buyerId, buyerOf(0).id));
      const ms = performance.now() - started;
      measured.reads++;
      if (count < expected) measured.shortReads++;
      if (ms > measured.slowestReadMs) measured.slowestReadMs = ms;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const load = (async () => {
    while (running) {
      const i = measured.commands++;
      await scenario.run(`load-${i % 10}`, buyerOf(0), new Date().toISOString(), 'PostMessage', {
        messageId: `${mode}-${i}`,
        body: `message ${i}`,
      });
      await new Promise((resolve) => setTimeout(resolve, 1000 / LOAD_PER_SECOND));
    }
  })();
  try {
    const results = await runner.rebuild('all', { mode });
    measured.events = results.reduce((sum, result) => sum + result.eventsApplied, 0);
    measured.ms = results.reduce((sum, result) => sum + result.elapsedMs, 0);
  } finally {
    running = false;
    await Promise.all([reader, load]);
  }
  return measured;
}

async function main(): Promise<void> {
  const database = await openDatabase();
  const { connection } = database;
  let store: EventStore | undefined;
  let runner: ProjectionRunner | undefined;
  try {
    store = await createEventStore({ kind: 'sql', connection });
    await migrateReadModels(connection);
    const registry = new ProjectionRegistry([
      ...disputeProjections(),
      deadlinesProcessManager(DEFAULT_POLICY),
    ]);
    runner = new ProjectionRunner(store, connection, registry, { batchSize: 500 });
    console.log(
      `${ON_PGLITE ? 'PGlite (in process)' : 'PostgreSQL'}; load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
    const t = await template();
    const copies = Math.ceil(TARGET_EVENTS / t.eventCount);
    for (let i = 0; i < copies; i++)
      for (const stream of clone(t.streams, i))
        await store.append(stream.streamId, stream.events, { expectedRevision: 'no_stream' });
    // Ten open disputes of buyer 0 take the commands meanwhile.
    const scenario = new DisputeScenario(store, undefined, `load-${randomUUID()}`);
    for (let i = 0; i < 10; i++) {
      await scenario.placeShippedOrder({
        orderId: `load-order-${i}`,
        buyerId: buyerOf(0).id,
        sellerId: 'seller-load',
        total: { amountMinor: 5_000, currency: 'EUR' },
        at: T0,
      });
      await scenario.open(`load-${i}`, `load-order-${i}`, buyerOf(0), addDays(T0, 6));
    }
    runner.start();
    if (!(await runner.waitForPosition(scenario.lastPosition, 600_000)))
      throw new Error('the projections did not catch up');
    const expected = Math.ceil(copies / BUYERS) + 10;
    console.log(`${copies * t.eventCount + 40} events, buyer 0 has ${expected} disputes`);

    const inPlace = await rebuildUnderLoad('in-place', runner, scenario, connection, expected);
    const blueGreen = await rebuildUnderLoad('blue-green', runner, scenario, connection, expected);
    const rate = (m: Measured) => (m.events * 1000) / m.ms;
    for (const m of [inPlace, blueGreen]) {
      console.log(
        `${m.mode.padEnd(10)} ${m.events} events in ${(m.ms / 1000).toFixed(1)} s = ${rate(m).toFixed(0)} events/s;` +
          ` ${m.commands} commands meanwhile; ${m.reads} reads, ${m.shortReads} missing disputes,` +
          ` slowest ${m.slowestReadMs.toFixed(0)} ms`,
      );
    }
    const ratio = rate(blueGreen) / rate(inPlace);
    console.log(`blue/green ÷ in place: ${ratio.toFixed(2)}×`);
    console.log(`load average after: ${loadavg()[0].toFixed(2)}`);
    console.log(
      JSON.stringify({
        bench: 'rebuild-modes',
        db: ON_PGLITE ? 'pglite' : 'postgres',
        in_place_events_per_s: Math.round(rate(inPlace)),
        blue_green_events_per_s: Math.round(rate(blueGreen)),
        blue_green_ratio: Number(ratio.toFixed(3)),
        in_place_short_reads: inPlace.shortReads,
        blue_green_short_reads: blueGreen.shortReads,
        blue_green_slowest_read_ms: Math.round(blueGreen.slowestReadMs),
      }),
    );
  } finally {
    await runner?.stop();
    await store?.close();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
