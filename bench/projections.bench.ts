// `npm run bench:projections` (needs DATABASE_URL): on a PostgreSQL database of its own, writes
// ~100,000 dispute events, rebuilds every projection and reports events/s beside a baseline
// measured in the same run — reading the same events through the store, in the same batches and
// with the same filters, without applying them. Then it runs the projections live under a steady
// command load and reports the lag between an append and its visibility in the buyer view.
// The database is dropped at the end. The last line of output is JSON.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type Actor, addDays } from '@arbiter/disputes';
import { createEventStore, type EventStore, type EventToAppend } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
import {
  BUYER_VIEW,
  disputeProjections,
  migrateReadModels,
  ProjectionRegistry,
  ProjectionRunner,
  START_POSITION,
} from '@arbiter/read-models';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { Pool } from 'pg';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH_SIZE = 500;
const LOAD_PER_SECOND = Number(process.env.BENCH_LOAD_PER_S ?? 40);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 15);
const T0 = '2026-03-01T00:00:00.000Z';

const buyerOf = (i: number): Actor => ({ id: `buyer-${i % 997}`, role: 'buyer' });
const sellerOf = (i: number): Actor => ({ id: `seller-${i % 211}`, role: 'seller' });
const mediator: Actor = { id: 'med-1', role: 'mediator' };

interface Template {
  streams: {
    streamId: string;
    events: { type: string; data: unknown; metadata: Record<string, unknown> }[];
  }[];
  eventCount: number;
}

/** One whole mediated dispute (order + dispute streams) written by the real deciders, to clone. */
async function template(): Promise<Template> {
  const memory = await createEventStore({ kind: 'memory' });
  const scenario = new DisputeScenario(memory, undefined, 'template');
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
    {
      buyer: { id: 'TPL-BUYER', role: 'buyer' },
      seller: { id: 'TPL-SELLER', role: 'seller' },
      mediator,
    },
    addDays(T0, 6),
  );
  const all = await memory.readAll({});
  await memory.close();
  const byStream = new Map<string, Template['streams'][number]>();
  for (const event of all) {
    let stream = byStream.get(event.streamId);
    if (!stream) byStream.set(event.streamId, (stream = { streamId: event.streamId, events: [] }));
    stream.events.push({ type: event.type, data: event.data, metadata: event.metadata });
  }
  return { streams: [...byStream.values()], eventCount: all.length };
}

/** Copy number `i` of the template: every id replaced, so each copy is its own order and dispute. */
function clone(t: Template, i: number): { streamId: string; events: EventToAppend[] }[] {
  const replace = (text: string) =>
    text
      .replaceAll('TPL-DISPUTE', `dispute-${i}`)
      .replaceAll('TPL-ORDER', `order-${i}`)
      .replaceAll('TPL-BUYER', buyerOf(i).id)
      .replaceAll('TPL-SELLER', sellerOf(i).id);
  return t.streams.map((stream) => ({
    streamId: replace(stream.streamId),
    events: stream.events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: JSON.parse(replace(JSON.stringify(event.data))),
      metadata: event.metadata,
    })),
  }));
}

async function generate(store: EventStore, t: Template): Promise<number> {
  const copies = Math.ceil(TARGET_EVENTS / t.eventCount);
  let next = 0;
  let written = 0;
  const worker = async () => {
    for (let i = next++; i < copies; i = next++) {
      for (const stream of clone(t, i)) {
        await store.append(stream.streamId, stream.events, { expectedRevision: 'no_stream' });
        written += stream.events.length;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return written;
}

/** Baseline: every projection's events read through the store as its runner reads them, nothing applied. */
async function readOnly(
  store: EventStore,
  registry: ProjectionRegistry,
): Promise<{ events: number; ms: number }> {
  const started = performance.now();
  let events = 0;
  for (const projection of registry.all()) {
    const filter = { eventTypes: [...projection.eventTypes] };
    let after = START_POSITION;
    for (;;) {
      await store.headPosition(); // the runner reads the head before each batch too
      const batch = await store.readAll({ after, maxCount: BATCH_SIZE, filter });
      events += batch.length;
      if (batch.length < BATCH_SIZE) break;
      after = batch[batch.length - 1].position;
    }
  }
  return { events, ms: performance.now() - started };
}

async function rebuild(
  runner: ProjectionRunner,
): Promise<{ events: number; ms: number; perProjection: string[] }> {
  const started = performance.now();
  const results = await runner.rebuild('all');
  const ms = performance.now() - started;
  return {
    events: results.reduce((sum, r) => sum + r.eventsApplied, 0),
    ms,
    perProjection: results.map(
      (r) =>
        `${r.projection} ${r.eventsApplied} ev in ${(r.elapsedMs / 1000).toFixed(1)} s (${Math.round((r.eventsApplied * 1000) / r.elapsedMs)} ev/s)`,
    ),
  };
}

/** Steady command load (PostMessage through the real command path) with the runner live; lag per command. */
async function lagUnderLoad(store: EventStore, runner: ProjectionRunner): Promise<number[]> {
  const scenario = new DisputeScenario(store, undefined, `load-${randomUUID()}`);
  const disputes: { id: string; buyer: Actor }[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < 20; i++) {
    const orderId = `load-order-${i}`;
    const buyer = buyerOf(i);
    await scenario.placeShippedOrder({
      orderId,
      buyerId: buyer.id,
      sellerId: sellerOf(i).id,
      total: { amountMinor: 5_000, currency: 'EUR' },
      at: now,
    });
    await scenario.open(`load-${i}`, orderId, buyer, now);
    disputes.push({ id: `load-${i}`, buyer });
  }
  if (!(await runner.waitForPosition(scenario.lastPosition, 60_000)))
    throw new Error('projections did not catch up before the load');

  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / LOAD_PER_SECOND;
  const total = LOAD_PER_SECOND * LOAD_SECONDS;
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const dispute = disputes[n % disputes.length];
    pending.push(
      (async () => {
        const handled = await scenario.run(
          dispute.id,
          dispute.buyer,
          new Date().toISOString(),
          'PostMessage',
          { messageId: `m-${n}`, body: `message ${n}` },
        );
        const appended = performance.now();
        if (!(await runner.waitForPosition(handled.position as bigint, 30_000, BUYER_VIEW)))
          throw new Error('the buyer view did not get there');
        lags.push(performance.now() - appended);
      })(),
    );
  }
  await Promise.all(pending);
  return lags.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('bench:projections needs DATABASE_URL (PostgreSQL)');
  const database = await createPostgresTestDatabase(url, 'bench_projections');
  const pool = new Pool({ connectionString: database.url, max: 12 });
  const connection: SqlConnection = { kind: 'postgres', pool, close: () => pool.end() };
  let store: EventStore | undefined;
  try {
    store = await createEventStore({ kind: 'sql', connection });
    await migrateReadModels(connection);
    const registry = new ProjectionRegistry(disputeProjections());
    const runner = new ProjectionRunner(store, connection, registry, { batchSize: BATCH_SIZE });

    const t = await template();
    let started = performance.now();
    const written = await generate(store, t);
    console.log(
      `generated ${written} events (${t.eventCount} per dispute) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // Warm both paths once (plans, caches), then baseline, rebuild, baseline: the baseline is their mean.
    await readOnly(store, registry);
    const before = await readOnly(store, registry);
    const rebuilt = await rebuild(runner);
    const after = await readOnly(store, registry);
    const baselineRate = ((before.events + after.events) * 1000) / (before.ms + after.ms);
    const rebuildRate = (rebuilt.events * 1000) / rebuilt.ms;
    const ratio = rebuildRate / baselineRate;
    console.log(
      `rebuild all: ${rebuilt.events} events applied in ${(rebuilt.ms / 1000).toFixed(1)} s = ${Math.round(rebuildRate)} events/s`,
    );
    for (const line of rebuilt.perProjection) console.log(`  ${line}`);
    console.log(
      `baseline (read the same events through the store, nothing applied): ${Math.round(baselineRate)} events/s (runs: ${Math.round((before.events * 1000) / before.ms)}, ${Math.round((after.events * 1000) / after.ms)})`,
    );
    console.log(`ratio: ${ratio.toFixed(3)}`);

    runner.start();
    started = performance.now();
    const lags = await lagUnderLoad(store, runner);
    await runner.stop();
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    console.log(
      `lag append → buyer view under ${LOAD_PER_SECOND} commands/s for ${LOAD_SECONDS} s (${lags.length} commands): ` +
        `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lags[lags.length - 1].toFixed(1)} ms`,
    );
    console.log(
      JSON.stringify({
        bench: 'projections',
        rebuild_events_per_s: Math.round(rebuildRate),
        rebuild_ratio: Math.round(ratio * 1000) / 1000,
        lag_p99_ms: Math.round(p99 * 10) / 10,
      }),
    );
  } finally {
    await store?.close().catch(() => undefined);
    if (!pool.ended) await pool.end();
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
