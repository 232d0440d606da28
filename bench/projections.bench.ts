// `npm run bench:projections` (needs DATABASE_URL, or BENCH_DB=pglite): on a database of its own,
// writes ~100,000 dispute events, rebuilds every projection (the dispute views and the deadlines
// process manager) together, as `projections rebuild all` does, and reports the events applied per
// second beside a baseline measured in the same run: a bare SELECT of the same rows (each
// projection's event types, in keyset pages) with the same driver, no store in between. Then it
// runs the projections live under a steady command load and reports the lag between an append and
// its visibility in the buyer view, the longest transaction of each projection meanwhile, and the
// CPU the load cost this process and the PostgreSQL server.
// `BENCH_EACH=1` also rebuilds each projection on its own (its rate and longest transaction). The
// database is dropped at the end. The last line of output is JSON.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { DEADLINES_PROJECTION, deadlinesProcessManager } from '@arbiter/deadlines';
import { type Actor, addDays, DEFAULT_POLICY } from '@arbiter/disputes';
import { createEventStore, type EventStore, type EventToAppend } from '@arbiter/event-store';
import { compressWithLz4WhereAvailable, type SqlConnection } from '@arbiter/platform';
import {
  BUYER_VIEW,
  disputeProjections,
  migrateReadModels,
  type Projection,
  ProjectionRegistry,
  ProjectionRunner,
  START_POSITION,
} from '@arbiter/read-models';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { PgDatabase } from 'drizzle-orm/pg-core';
import { Pool } from 'pg';
import { cpuDuring, type CpuSpent, profiled } from './profile';

const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH_SIZE = 500;
const LOAD_PER_SECOND = Number(process.env.BENCH_LOAD_PER_S ?? 40);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 15);
const T0 = '2026-03-01T00:00:00.000Z';
const ON_PGLITE = process.env.BENCH_DB === 'pglite';
const EACH = process.env.BENCH_EACH === '1';
const BASELINE_PAGE = 2_000;

/**
 * Every read-model transaction's duration (BEGIN to COMMIT, both drivers), per projection: the
 * runner commits each batch with its checkpoint in one `db.transaction`, and `tagged` names the
 * projection whose `apply` ran inside it.
 */
interface TransactionFigures {
  count: number;
  longestMs: number;
  totalMs: number;
}
const transactions = new Map<string, TransactionFigures>();
const inTransaction = new AsyncLocalStorage<{ projection?: string }>();
const originalTransaction = PgDatabase.prototype.transaction;
PgDatabase.prototype.transaction = async function timed(
  this: PgDatabase<never>,
  ...args: Parameters<typeof originalTransaction>
) {
  const context: { projection?: string } = {};
  const started = performance.now();
  try {
    return await inTransaction.run(context, () => originalTransaction.apply(this, args));
  } finally {
    const ms = performance.now() - started;
    const name = context.projection ?? '(other)';
    let figures = transactions.get(name);
    if (!figures) transactions.set(name, (figures = { count: 0, longestMs: 0, totalMs: 0 }));
    figures.count++;
    figures.totalMs += ms;
    if (ms > figures.longestMs) figures.longestMs = ms;
  }
} as typeof originalTransaction;

/** The projection with its `apply`/`applyBatch` marking the transaction they run in. */
function tagged(projection: Projection): Projection {
  const mark = () => {
    const context = inTransaction.getStore();
    if (context) context.projection = projection.name;
  };
  return {
    ...projection,
    apply: (event, tx) => (mark(), projection.apply(event, tx)),
    applyBatch: projection.applyBatch
      ? (events, tx) => (mark(), projection.applyBatch!(events, tx))
      : undefined,
  };
}

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

/**
 * Baseline: the rows every projection applies, read with a bare SELECT per projection (its event
 * types, keyset pages of BASELINE_PAGE, all columns) on the same driver, nothing else: what the
 * database and the driver alone cost, so the ratio shows everything the store and the projections
 * add.
 */
async function bareSelect(
  connection: SqlConnection,
  registry: ProjectionRegistry,
): Promise<{ events: number; ms: number }> {
  // `e.position`: the column, not the text alias of the same name (sorting by that read every row
  // past the page's start and sorted it as text, on disk, for each page).
  const sql = `SELECT e.position::text AS position, stream_id, revision::text AS revision, event_id, type, data, metadata, recorded_at
       FROM arbiter.events e WHERE e.position > $1::bigint AND type = ANY($2::text[])
      ORDER BY e.position LIMIT ${BASELINE_PAGE}`;
  const query = async (after: string, types: string[]): Promise<{ position: string }[]> =>
    connection.kind === 'postgres'
      ? (await connection.pool.query<{ position: string }>(sql, [after, types])).rows
      : (await connection.db.query<{ position: string }>(sql, [after, types])).rows;
  const started = performance.now();
  let events = 0;
  for (const name of registry.readModelNames()) {
    const types = [...registry.get(name).eventTypes];
    let after = START_POSITION.toString();
    for (;;) {
      const rows = await query(after, types);
      events += rows.length;
      if (rows.length < BASELINE_PAGE) break;
      after = rows[rows.length - 1].position;
    }
  }
  return { events, ms: performance.now() - started };
}

/** The whole log read as a rebuild reads it (the store's `readAll`, pages of a batch), nothing applied. */
async function readLog(store: EventStore): Promise<{ events: number; ms: number }> {
  const started = performance.now();
  let events = 0;
  let after = START_POSITION;
  for (;;) {
    const page = await store.readAll({ after, maxCount: BATCH_SIZE });
    events += page.length;
    if (page.length < BATCH_SIZE) break;
    after = page[page.length - 1].position;
  }
  return { events, ms: performance.now() - started };
}

interface Rebuilt {
  projection: string;
  events: number;
  ms: number;
  longestTransactionMs: number;
  transactions: number;
  cpu: CpuSpent;
}

/** CPU seconds of this process and of PostgreSQL, and per applied event (or per `unit`). */
const cpuLine = ({ processS, postgresS }: CpuSpent, events: number, unit = 'event') => {
  const perEvent = (seconds: number) => `${((seconds * 1e6) / events).toFixed(1)} µs/${unit}`;
  return (
    `this process ${processS.toFixed(1)} s (${perEvent(processS)})` +
    (postgresS === null ? '' : `, PostgreSQL ${postgresS.toFixed(1)} s (${perEvent(postgresS)})`)
  );
};

/** Each projection rebuilt on its own, so its transactions are its alone. */
async function rebuild(runner: ProjectionRunner, names: readonly string[]): Promise<Rebuilt[]> {
  const results: Rebuilt[] = [];
  for (const name of names) {
    transactions.clear();
    const {
      result: [result],
      cpu,
    } = await cpuDuring(() => runner.rebuild(name), { postgres: !ON_PGLITE });
    const figures = transactions.get(name);
    results.push({
      projection: name,
      events: result.eventsApplied,
      ms: result.elapsedMs,
      longestTransactionMs: figures?.longestMs ?? 0,
      transactions: figures?.count ?? 0,
      cpu,
    });
  }
  return results;
}

const rateOf = (r: { events: number; ms: number }) => (r.events * 1000) / r.ms;
const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * The runner's warnings and errors (a lost lock, a transient error, a projection stopping) on
 * stderr, as its default logger prints them, each marked as the runner's; `BENCH_VERBOSE=1` adds
 * its progress lines (a projection live, a rebuild switched over).
 */
const benchLogger = {
  log: (message: string) => {
    if (process.env.BENCH_VERBOSE === '1') console.error(`[runner] ${message}`);
  },
  warn: (message: string) => console.error(`[runner] warn: ${message}`),
  error: (message: string) => console.error(`[runner] error: ${message}`),
};

/** The views of one row per dispute: each must hold every dispute at its stream's last revision. */
const DISPUTE_VIEW_TABLES = [
  'buyer_disputes',
  'seller_disputes',
  'mediator_cases',
  'dispute_stats',
] as const;

/**
 * In each dispute view, the disputes (streams `dispute-<id>` starting with `prefix`) whose row is
 * missing or behind its stream's last revision: none, once the projections have caught up. A
 * rebuild or a live projection that skipped an event shows here. Views and log share the bench's
 * database.
 */
async function disputesMissing(
  connection: SqlConnection,
  when: string,
  prefix = '',
): Promise<Record<string, number>> {
  const missing: Record<string, number> = {};
  for (const table of DISPUTE_VIEW_TABLES) {
    const sql = `SELECT count(*)::int AS n FROM
        (SELECT stream_id, max(revision) AS r FROM arbiter.events
          WHERE stream_id LIKE $1 GROUP BY stream_id) e
        LEFT JOIN read_models.${table} v ON 'dispute-' || v.dispute_id = e.stream_id
      WHERE v.last_revision IS DISTINCT FROM e.r`;
    const params = [`dispute-${prefix}%`];
    const rows =
      connection.kind === 'postgres'
        ? (await connection.pool.query<{ n: number }>(sql, params)).rows
        : (await connection.db.query<{ n: number }>(sql, params)).rows;
    missing[table] = rows[0].n;
  }
  const short = Object.entries(missing).filter(([, n]) => n > 0);
  console.log(
    short.length === 0
      ? `${when}: every dispute view holds every dispute at its last revision`
      : `${when}: disputes missing or behind in ${short.map(([table, n]) => `${table} ${n}`).join(', ')}`,
  );
  return missing;
}

/** Steady command load (PostMessage through the real command path) with the runner live; lag per command. */
async function lagUnderLoad(
  store: EventStore,
  runner: ProjectionRunner,
  connection: SqlConnection,
): Promise<{ lags: number[]; complete: boolean; cpu: CpuSpent; wallS: number }> {
  const scenario = new DisputeScenario(store, undefined, `load-${randomUUID()}`);
  const disputes: { id: string; buyer: Actor }[] = [];
  const now = new Date().toISOString();
  // At least as many disputes as commands per second: each gets about one a second, so a command
  // never races the one before it on the same stream (the scenario decides from its own state).
  const run = randomUUID().slice(0, 8);
  for (let i = 0; i < Math.max(20, LOAD_PER_SECOND); i++) {
    const orderId = `load-${run}-order-${i}`;
    const buyer = buyerOf(i);
    await scenario.placeShippedOrder({
      orderId,
      buyerId: buyer.id,
      sellerId: sellerOf(i).id,
      total: { amountMinor: 5_000, currency: 'EUR' },
      at: now,
    });
    await scenario.open(`load-${run}-${i}`, orderId, buyer, now);
    disputes.push({ id: `load-${run}-${i}`, buyer });
  }
  if (!(await runner.waitForPosition(scenario.lastPosition, 60_000)))
    throw new Error('projections did not catch up before the load');

  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / LOAD_PER_SECOND;
  const total = LOAD_PER_SECOND * LOAD_SECONDS;
  const started = performance.now();
  // The CPU both sides spend on the load and its lags alone (not the set-up above or the checks
  // below): near the machine's cores the lag is time waiting for a CPU.
  const { cpu } = await cpuDuring(
    async () => {
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
    },
    { postgres: !ON_PGLITE },
  );
  const wallS = (performance.now() - started) / 1000;
  if (!(await runner.waitForPosition(scenario.lastPosition, 60_000)))
    console.error('the projections did not all reach the end of the load');
  const missing = await disputesMissing(connection, 'after the load', `load-${run}-`);
  const complete = Object.values(missing).every((n) => n === 0);
  return { lags: lags.sort((a, b) => a - b), complete, cpu, wallS };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

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
  if (!url) throw new Error('bench:projections needs DATABASE_URL (PostgreSQL) or BENCH_DB=pglite');
  const database = await createPostgresTestDatabase(url, 'bench_projections');
  // The product's default pool (DATABASE_POOL_SIZE): how many rebuilds run at once depends on it.
  const pool = new Pool({
    connectionString: database.url,
    max: 20,
    // Compressed as the product's sessions compress (lz4 where the server has it).
    onConnect: compressWithLz4WhereAvailable,
  });
  // Dropping the database ends its sessions; an idle client still closing when it does reports
  // that as an error (57P01), which without a listener would end the bench after its figures.
  let dropping = false;
  pool.on('error', (error) => {
    if (!dropping) console.error(`[pool] ${error.message}`);
  });
  return {
    connection: { kind: 'postgres', pool, close: () => pool.end() },
    drop: async () => {
      dropping = true;
      if (!pool.ended) await pool.end();
      await database.drop();
    },
  };
}

async function main(): Promise<void> {
  const database = await openDatabase();
  const { connection } = database;
  let store: EventStore | undefined;
  let runner: ProjectionRunner | undefined;
  try {
    store = await createEventStore({ kind: 'sql', connection });
    await migrateReadModels(connection);
    const registry = new ProjectionRegistry(
      [...disputeProjections(), deadlinesProcessManager(DEFAULT_POLICY)].map(tagged),
    );
    runner = new ProjectionRunner(store, connection, registry, {
      batchSize: BATCH_SIZE,
      logger: benchLogger,
    });
    console.log(
      `${ON_PGLITE ? 'PGlite (in process)' : 'PostgreSQL'}; load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );

    const t = await template();
    let started = performance.now();
    const written = await generate(store, t);
    console.log(
      `generated ${written} events (${t.eventCount} per dispute) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // Warm both paths once (plans, caches), then baseline, rebuild, baseline: the baseline is their mean.
    await bareSelect(connection, registry);
    const before = await bareSelect(connection, registry);
    const read = await readLog(store);
    console.log(
      `the log read through the store alone (pages of ${BATCH_SIZE}, every type): ${Math.round(rateOf(read))} events/s`,
    );
    transactions.clear();
    started = performance.now();
    const { result: together, cpu } = await cpuDuring(
      () => profiled('rebuild', () => runner!.rebuild('all')),
      { postgres: !ON_PGLITE },
    );
    const together_ms = performance.now() - started;
    const after = await bareSelect(connection, registry);
    const baselineRate = ((before.events + after.events) * 1000) / (before.ms + after.ms);
    const total = {
      events: together.reduce((sum, r) => sum + r.eventsApplied, 0),
      ms: together_ms,
    };
    const rebuildRate = rateOf(total);
    const ratio = rebuildRate / baselineRate;
    console.log(
      `rebuild all (side by side): ${total.events} events applied in ${(total.ms / 1000).toFixed(1)} s = ${Math.round(rebuildRate)} events/s ` +
        `(the log's ${written} events at ${Math.round((written * 1000) / total.ms)} events/s)`,
    );
    console.log(`  CPU: ${cpuLine(cpu, total.events)}`);
    for (const r of together) {
      const figures = transactions.get(r.projection);
      console.log(
        `  ${r.projection.padEnd(14)} ${r.eventsApplied} ev, done after ${(r.elapsedMs / 1000).toFixed(1)} s, ` +
          `${figures?.count ?? 0} transactions, longest ${(figures?.longestMs ?? 0).toFixed(0)} ms`,
      );
    }
    console.log(
      `baseline (bare SELECT of the same rows, pages of ${BASELINE_PAGE}): ${Math.round(baselineRate)} events/s (runs: ${Math.round(rateOf(before))}, ${Math.round(rateOf(after))})`,
    );
    console.log(`ratio: ${ratio.toFixed(3)}`);
    const rebuildComplete = Object.values(
      await disputesMissing(connection, 'after the rebuild'),
    ).every((n) => n === 0);

    if (EACH) {
      const rebuilt = await rebuild(runner, registry.readModelNames());
      const viewsMedian = median(
        rebuilt.filter((r) => r.projection !== DEADLINES_PROJECTION).map(rateOf),
      );
      console.log('each projection rebuilt on its own:');
      for (const r of rebuilt)
        console.log(
          `  ${r.projection.padEnd(14)} ${r.events} ev in ${(r.ms / 1000).toFixed(1)} s = ${Math.round(rateOf(r))} ev/s ` +
            `(${(rateOf(r) / viewsMedian).toFixed(2)} of the views' median), ` +
            `${r.transactions} transactions, longest ${r.longestTransactionMs.toFixed(0)} ms; ` +
            `CPU ${cpuLine(r.cpu, r.events)}`,
        );
    }

    let lags: number[] = [];
    let viewsComplete: boolean | null = null;
    let loadCpu: CpuSpent | null = null;
    if (LOAD_SECONDS > 0) {
      runner.start();
      transactions.clear();
      started = performance.now();
      const load = await lagUnderLoad(store, runner, connection);
      loadCpu = load.cpu;
      lags = load.lags;
      viewsComplete = load.complete;
      await runner.stop();
      const p50 = percentile(lags, 50);
      const p99 = percentile(lags, 99);
      console.log(
        `lag append → buyer view under ${LOAD_PER_SECOND} commands/s for ${LOAD_SECONDS} s (${lags.length} commands): ` +
          `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lags[lags.length - 1].toFixed(1)} ms`,
      );
      const busy = (loadCpu.processS + (loadCpu.postgresS ?? 0)) / load.wallS;
      console.log(
        `  CPU under that load: ${cpuLine(loadCpu, lags.length, 'command')}; ` +
          `${busy.toFixed(2)} of ${availableParallelism()} cores busy over its ${load.wallS.toFixed(1)} s`,
      );
      console.log('longest batch transaction under that load:');
      for (const name of registry.readModelNames()) {
        const figures = transactions.get(name);
        if (figures)
          console.log(
            `  ${name.padEnd(14)} ${figures.count} transactions, longest ${figures.longestMs.toFixed(0)} ms, mean ${(figures.totalMs / figures.count).toFixed(1)} ms`,
          );
      }
    }
    const round1 = (value: number) => Math.round(value * 10) / 10;
    console.log(
      JSON.stringify({
        bench: 'projections',
        rebuild_events_per_s: Math.round(rebuildRate),
        rebuild_ratio: Math.round(ratio * 1000) / 1000,
        lag_p50_ms: lags.length ? round1(percentile(lags, 50)) : null,
        lag_p99_ms: lags.length ? round1(percentile(lags, 99)) : null,
        rebuild_complete: rebuildComplete,
        views_complete: viewsComplete,
        db: ON_PGLITE ? 'pglite' : 'postgres',
        events: written,
        baseline_events_per_s: Math.round(baselineRate),
        log_read_events_per_s: Math.round(rateOf(read)),
        rebuild_cpu_s: {
          process: Math.round(cpu.processS * 10) / 10,
          postgres: cpu.postgresS === null ? null : Math.round(cpu.postgresS * 10) / 10,
        },
        load_cpu_s: loadCpu && {
          process: round1(loadCpu.processS),
          postgres: loadCpu.postgresS === null ? null : round1(loadCpu.postgresS),
        },
        load: loadavg().map((load) => Math.round(load * 100) / 100),
      }),
    );
  } finally {
    await runner?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
