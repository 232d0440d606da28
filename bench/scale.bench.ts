// `npm run bench:scale` (needs DATABASE_URL, or BENCH_DB=pglite): loads 10^5 events of realistic
// disputes into one database and EVENTS (default 10^6) into another, lets each one's projections
// catch up through the real runner, then measures four figures on both — single-event append
// latency, command latency, a buyer's dispute list and the append → buyer view lag under a steady
// command load — in ROUNDS rounds (default 3) that alternate between the two sizes, so that what
// the machine does meanwhile falls on both alike. It prints both sizes side by side with the ratio
// big ÷ small of each latency (the rounds' samples pooled); the databases are dropped at the end.
// The last line of output is JSON.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { deadlinesProcessManager } from '@arbiter/deadlines';
import {
  type Actor,
  addDays,
  DEFAULT_POLICY,
  disputeStreamId,
  orderStreamId,
} from '@arbiter/disputes';
import { chainHash, GENESIS_HASH, verifyChain } from '@arbiter/disputes/application/audit-chain';
import {
  createSqlEventStore,
  DEFAULT_EVENT_STORE_SCHEMA,
  type EventToAppend,
  MemoryEventStore,
  type SqlEventStore,
} from '@arbiter/event-store';
import { compressWithLz4WhereAvailable, type SqlConnection } from '@arbiter/platform';
import {
  BUYER_VIEW,
  disputeProjections,
  DisputeQueries,
  migrateReadModels,
  ProjectionRegistry,
  ProjectionRunner,
  readDbFor,
} from '@arbiter/read-models';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { Pool } from 'pg';

const SMALL_EVENTS = Number(process.env.EVENTS_SMALL ?? 100_000);
const BIG_EVENTS = Number(process.env.EVENTS ?? 1_000_000);
/** Timed samples per latency figure (append, command); the buyer-list query takes twice as many. */
const SAMPLES = Number(process.env.SAMPLES ?? 300);
const WARM_UP = 20;
/** Rounds per size, taken in turns (small, big, small, …); SAMPLES and the lag's seconds are split over them. */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Seconds of the lag load run first and not recorded, at both sizes (the live path warms up). */
const LAG_WARM_UP_SECONDS = 3;
const LOAD_PER_SECOND = Number(process.env.BENCH_LOAD_PER_S ?? 40);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 15);
/** Disputes the lag load cycles over; each gets LOAD_PER_SECOND × LOAD_SECONDS / LAG_DISPUTES messages. */
const LAG_DISPUTES = 40;
const BATCH_SIZE = 500;
/** How long the projections may take to catch up with a bulk load before the run gives up. */
const CATCH_UP_LIMIT_S = Number(process.env.CATCH_UP_LIMIT_S ?? 1800);
const ON_PGLITE = process.env.BENCH_DB === 'pglite';
/** Copies per bulk-load transaction, and transactions in flight (PGlite has one connection). */
const COPIES_PER_TRANSACTION = 200;
const LOADERS = ON_PGLITE ? 1 : 3;
/** One copy in OPEN_EVERY is a dispute still in mediation, which commands can still change. */
const OPEN_EVERY = 4;

const mediator: Actor = { id: 'med-1', role: 'mediator' };
/** Five disputes per buyer whatever the size (buyers grow with the log); sellers accumulate. */
const buyerOf = (copy: number): Actor => ({ id: `buyer-${Math.floor(copy / 5)}`, role: 'buyer' });
const sellerOf = (copy: number): Actor => ({ id: `seller-${copy % 997}`, role: 'seller' });
const isOpen = (copy: number) => copy % OPEN_EVERY === 1;

// --- The data: copies of two real disputes ----------------------------------------------------

interface TemplateEvent {
  type: string;
  /** The template's data and metadata (without its hash) as JSON, ids and times to replace. */
  data: string;
  metadata: string;
}
interface Template {
  streams: { streamId: string; events: TemplateEvent[] }[];
  eventCount: number;
  /** The command ids the template's events carry (metadata commandId, correlation, causation). */
  commandIds: string[];
}

/**
 * One dispute (order + dispute streams) written by the real deciders through `handleCommand`:
 * closed after mediation (16 dispute events), or escalated and waiting for a mediator (5).
 */
async function template(story: 'closed' | 'escalated', start: string): Promise<Template> {
  const memory = new MemoryEventStore();
  const scenario = new DisputeScenario(memory, undefined, `template-${story}`);
  await scenario.placeShippedOrder({
    orderId: 'TPL-ORDER',
    buyerId: 'TPL-BUYER',
    sellerId: 'TPL-SELLER',
    total: { amountMinor: 10_000, currency: 'EUR' },
    at: start,
  });
  await mediatedStory(
    scenario,
    { disputeId: 'TPL-DISPUTE', orderId: 'TPL-ORDER' },
    {
      buyer: { id: 'TPL-BUYER', role: 'buyer' },
      seller: { id: 'TPL-SELLER', role: 'seller' },
      mediator,
    },
    addDays(start, 6),
    story,
  );
  const all = await memory.readAll({});
  await memory.close();
  const byStream = new Map<string, Template['streams'][number]>();
  const commandIds = new Set<string>();
  for (const event of all) {
    let stream = byStream.get(event.streamId);
    if (!stream) byStream.set(event.streamId, (stream = { streamId: event.streamId, events: [] }));
    const { hash: _hash, ...metadata } = event.metadata;
    commandIds.add(String(metadata.commandId));
    stream.events.push({
      type: event.type,
      data: JSON.stringify(event.data),
      metadata: JSON.stringify(metadata),
    });
  }
  return { streams: [...byStream.values()], eventCount: all.length, commandIds: [...commandIds] };
}

const ISO_INSTANT = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';

interface ClonedStream {
  streamId: string;
  events: EventToAppend[];
  /** The chain's last hash: what the next event appended to this stream must chain from. */
  lastHash: string;
}

/**
 * Copy number `copy` of a template: its own ids (dispute, order, buyer, seller, command ids, event
 * ids), its times moved `copy` seconds later, and the audit hash chain computed again over what it
 * stores, exactly as `handleCommand` does — a copy is indistinguishable from a dispute the
 * application wrote, except that it was not decided again.
 */
function cloner(t: Template) {
  const tokens = ['TPL-DISPUTE', 'TPL-ORDER', 'TPL-BUYER', 'TPL-SELLER', ...t.commandIds];
  const pattern = new RegExp(`${tokens.join('|')}|${ISO_INSTANT}`, 'g');
  return (copy: number): ClonedStream[] => {
    const suffix = copy.toString(16).padStart(12, '0');
    const replacements = new Map<string, string>([
      ['TPL-DISPUTE', `dispute-${copy}`],
      ['TPL-ORDER', `order-${copy}`],
      ['TPL-BUYER', buyerOf(copy).id],
      ['TPL-SELLER', sellerOf(copy).id],
      // uuid-shaped: the template's own first 24 characters and the copy's number.
      ...t.commandIds.map((id) => [id, `${id.slice(0, 24)}${suffix}`] as [string, string]),
    ]);
    const replace = (text: string) =>
      text.replace(
        pattern,
        (token) =>
          replacements.get(token) ?? new Date(Date.parse(token) + copy * 1000).toISOString(),
      );
    return t.streams.map((stream) => {
      const streamId = replace(stream.streamId);
      let previous = GENESIS_HASH;
      const events = stream.events.map((event, revision) => {
        const data = JSON.parse(replace(event.data)) as unknown;
        const metadata = JSON.parse(replace(event.metadata)) as Record<string, unknown>;
        previous = chainHash(previous, {
          streamId,
          revision: BigInt(revision),
          type: event.type,
          data,
          metadata,
        });
        return {
          id: randomUUID(),
          type: event.type,
          data,
          metadata: { ...metadata, hash: previous },
        };
      });
      return { streamId, events, lastHash: previous };
    });
  };
}

/** An escalated copy the measurements may append to, each at most once (same stream length everywhere). */
interface OpenDispute {
  copy: number;
  disputeId: string;
  buyer: Actor;
  /** The dispute stream's last revision and hash, as loaded. */
  revision: bigint;
  lastHash: string;
}

// --- The database and the bulk load ---------------------------------------------------------

interface Database {
  connection: SqlConnection;
  /** Runs `work` in one transaction, with a runner the store's `appendVia` can use. */
  transaction(work: (runner: Runner) => Promise<void>): Promise<void>;
  countEvents(): Promise<number>;
  /** Refreshes the planner's statistics of every table (the store's and the read models'). */
  analyze(): Promise<void>;
  /** What autovacuum is doing on this database right now (it competes with the measurements). */
  background(): Promise<string>;
  /**
   * Blocks this database's sessions have read from outside PostgreSQL's shared buffers so far
   * (`pg_stat_database.blks_read`); null on PGlite.
   */
  blocksRead(): Promise<number | null>;
  /** EXPLAIN ANALYZE of every statement `work` sends to the read DB (PostgreSQL only). */
  explain(work: (queries: DisputeQueries) => Promise<unknown>): Promise<string[]>;
  drop(): Promise<void>;
}
const COUNT_EVENTS = `SELECT count(*)::int AS n FROM ${DEFAULT_EVENT_STORE_SCHEMA}.events`;
type Runner = Parameters<SqlEventStore['appendVia']>[0];

async function openDatabase(): Promise<Database> {
  if (ON_PGLITE) {
    const db = await PGlite.create('memory://');
    return {
      connection: { kind: 'pglite', db, close: () => db.close() },
      transaction: (work) =>
        db.transaction((tx) =>
          work({
            query: async (text, params) => (await tx.query(text, [...params])).rows as never,
          }),
        ),
      countEvents: async () => (await db.query<{ n: number }>(COUNT_EVENTS)).rows[0].n,
      analyze: async () => void (await db.exec('ANALYZE')),
      background: async () => '',
      blocksRead: async () => null,
      explain: async () => [],
      drop: async () => {
        if (!db.closed) await db.close();
      },
    };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('bench:scale needs DATABASE_URL (PostgreSQL) or BENCH_DB=pglite');
  const database = await createPostgresTestDatabase(url, 'bench_scale');
  // Diagnosis only, never in a reported run: settings every new session of this database takes.
  // BENCH_AUTO_EXPLAIN_MS logs each statement slower than that, with its plan, to the server's log
  // (auto_explain); BENCH_PLAN_CACHE_MODE (e.g. force_custom_plan) shows what prepared statements
  // planned for their actual parameters would change.
  const settings: [string, string][] = [];
  if (process.env.BENCH_AUTO_EXPLAIN_MS)
    settings.push(
      ['session_preload_libraries', 'auto_explain'],
      ['auto_explain.log_min_duration', String(Number(process.env.BENCH_AUTO_EXPLAIN_MS))],
      ['auto_explain.log_analyze', 'on'],
    );
  if (process.env.BENCH_PLAN_CACHE_MODE)
    settings.push(['plan_cache_mode', process.env.BENCH_PLAN_CACHE_MODE]);
  if (settings.length) {
    const name = new URL(database.url).pathname.slice(1);
    const admin = new Pool({ connectionString: database.url, max: 1 });
    for (const [setting, value] of settings)
      await admin.query(`ALTER DATABASE "${name}" SET ${setting} = '${value.replace(/'/g, '')}'`);
    await admin.end();
    console.log(`diagnosis settings: ${settings.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
  const pool = new Pool({
    connectionString: database.url,
    max: 12,
    // Compressed as the product's sessions compress (lz4 where the server has it).
    onConnect: compressWithLz4WhereAvailable,
  });
  // Dropping the database ends connections a stopped runner or listener may still hold.
  pool.on('error', () => undefined);
  return {
    connection: { kind: 'postgres', pool, close: () => pool.end() },
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await work({
          query: async (text, params, name) =>
            (await client.query({ text, values: params as unknown[], name })).rows as never,
        });
        await client.query('COMMIT');
        client.release();
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(error as Error);
        throw error;
      }
    },
    countEvents: async () => (await pool.query<{ n: number }>(COUNT_EVENTS)).rows[0].n,
    blocksRead: async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            'SELECT blks_read AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0].n,
      ),
    analyze: async () => void (await pool.query('ANALYZE')),
    background: async () =>
      (
        await pool.query<{ query: string }>(
          `SELECT query FROM pg_stat_activity
           WHERE backend_type = 'autovacuum worker' AND datname = current_database()`,
        )
      ).rows
        .map((row) => row.query)
        .join('; '),
    explain: async (work) => {
      // A pool of its own: the runner's and the store's statements on the shared pool stay out.
      const own = new Pool({ connectionString: database.url, max: 1 });
      const sent: { text: string; values: unknown[] }[] = [];
      const original = own.query;
      own.query = function capture(this: Pool, ...args: unknown[]) {
        const config = args[0] as string | { text: string; values?: unknown[] };
        const text = typeof config === 'string' ? config : config.text;
        const values =
          (Array.isArray(args[1]) ? args[1] : (config as { values?: unknown[] }).values) ?? [];
        sent.push({ text, values });
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof own.query;
      try {
        await work(
          new DisputeQueries(
            readDbFor({ kind: 'postgres', pool: own, close: () => own.end() }),
            DEFAULT_POLICY,
          ),
        );
      } finally {
        own.query = original;
      }
      const plans: string[] = [];
      for (const { text, values } of sent) {
        const result = await own.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${text}`,
          values,
        );
        plans.push([text, ...result.rows.map((row) => `  ${row['QUERY PLAN']}`)].join('\n'));
      }
      await own.end();
      return plans;
    },
    drop: async () => {
      if (!pool.ended) await pool.end();
      await database.drop();
    },
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const loadNow = () =>
  loadavg()
    .map((load) => load.toFixed(2))
    .join(' ');

/**
 * Copies [from, to) of the templates appended through the store: each stream with `no_stream` by
 * `appendVia` (the store's own statements, append lock and position scheme), COPIES_PER_TRANSACTION
 * copies per transaction and LOADERS transactions in flight, so the log costs one commit per ~3,000
 * events instead of one per stream. Bypassed: the deciders (the events are copies, their hash
 * chains computed again over the copied content).
 */
async function bulkLoad(
  db: Database,
  store: SqlEventStore,
  templates: { closed: ReturnType<typeof cloner>; open: ReturnType<typeof cloner> },
  from: number,
  to: number,
  open: OpenDispute[],
): Promise<number> {
  let next = from;
  let written = 0;
  const started = performance.now();
  let reported = started;
  const loader = async () => {
    while (next < to) {
      const first = next;
      const last = Math.min(to, first + COPIES_PER_TRANSACTION);
      next = last;
      const streams: ClonedStream[] = [];
      const opened: OpenDispute[] = [];
      for (let copy = first; copy < last; copy++) {
        const cloned = (isOpen(copy) ? templates.open : templates.closed)(copy);
        streams.push(...cloned);
        if (isOpen(copy)) {
          const dispute = cloned.find((s) => s.streamId === disputeStreamId(`dispute-${copy}`))!;
          opened.push({
            copy,
            disputeId: `dispute-${copy}`,
            buyer: buyerOf(copy),
            revision: BigInt(dispute.events.length - 1),
            lastHash: dispute.lastHash,
          });
        }
      }
      await db.transaction(async (runner) => {
        for (const stream of streams)
          await store.appendVia(runner, stream.streamId, stream.events, {
            expectedRevision: 'no_stream',
          });
      });
      open.push(...opened);
      written += streams.reduce((sum, s) => sum + s.events.length, 0);
      const now = performance.now();
      if (now - reported > 10_000) {
        reported = now;
        console.log(
          `  loaded ${written} events (${Math.round((written * 1000) / (now - started))}/s), load average ${loadNow()}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: LOADERS }, loader));
  return written;
}

/** Starts the runner if needed and waits until every projection reflects the store's head. */
/**
 * Starts the runner and waits until every projection reflects the store's head; undefined when
 * that takes longer than CATCH_UP_LIMIT_S (the run then reports the small size alone).
 */
async function catchUp(
  store: SqlEventStore,
  runner: ProjectionRunner,
  events: number,
): Promise<number | undefined> {
  const head = await store.headPosition();
  const started = performance.now();
  runner.start();
  while (!(await runner.waitForPosition(head, 10_000))) {
    if (performance.now() - started > CATCH_UP_LIMIT_S * 1000) {
      console.log(`  not caught up after ${CATCH_UP_LIMIT_S} s (CATCH_UP_LIMIT_S): giving up`);
      return undefined;
    }
    const behind = runner
      .status()
      .filter((s) => s.checkpoint === null || s.checkpoint < head)
      .map((s) => `${s.name} ${s.state} (${s.eventsApplied} applied)`);
    console.log(
      `  catching up, ${seconds(performance.now() - started)} s: ${behind.join(', ')}; load average ${loadNow()}`,
    );
    const failed = runner.status().find((s) => s.state === 'failed');
    if (failed) throw new Error(`${failed.name} failed: ${failed.lastError?.message}`);
  }
  const ms = performance.now() - started;
  console.log(
    `  projections caught up over ${events} new events in ${seconds(ms)} s (${Math.round((events * 1000) / ms)} log events/s)`,
  );
  return ms;
}

/** The copies' hash chains verify as the audit does (a copy must look like the application's writing). */
async function assertChainsIntact(store: SqlEventStore, copies: number[]) {
  for (const copy of copies)
    for (const streamId of [disputeStreamId(`dispute-${copy}`), orderStreamId(`order-${copy}`)]) {
      const events = await store.readStream(streamId);
      const verified = verifyChain(events);
      if (events.length === 0 || !verified.intact)
        throw new Error(
          `${streamId}: ${events.length} events, chain ${JSON.stringify(verified, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
    }
}

// --- The four figures ---------------------------------------------------------------------------

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

interface Figure {
  p50: number;
  p99: number;
  samples: number;
}
const figureOf = (values: number[]): Figure => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length };
};

interface Measured {
  events: number;
  load: number[];
  append: Figure;
  command: Figure;
  query: Figure;
  lag: Figure;
}

/** Takes `n` escalated disputes nobody appended to yet, spread at random over the whole log. */
function take(open: OpenDispute[], used: Set<number>, n: number): OpenDispute[] {
  const free = open.filter((d) => !used.has(d.copy));
  if (free.length < n)
    throw new Error(`only ${free.length} untouched open disputes left, ${n} wanted`);
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [free[i], free[j]] = [free[j], free[i]];
  }
  const taken = free.slice(0, n);
  for (const d of taken) used.add(d.copy);
  return taken;
}

/**
 * Single-event appends to existing dispute streams through the store, one at a time: a buyer's
 * message (the template's MessagePosted, with its own id and the current time) chained onto the
 * stream's hash, with the exact expected revision — a command's append without its read and fold.
 */
async function appendLatency(
  store: SqlEventStore,
  disputes: OpenDispute[],
  message: TemplateEvent,
) {
  const timings: number[] = [];
  for (const [n, d] of disputes.entries()) {
    const streamId = disputeStreamId(d.disputeId);
    const now = new Date().toISOString();
    const data = JSON.parse(
      message.data.replaceAll('TPL-DISPUTE', d.disputeId).replaceAll('TPL-BUYER', d.buyer.id),
    ) as Record<string, unknown>;
    data.messageId = `${d.disputeId}-append-${n}`;
    data.at = now;
    const metadata: Record<string, unknown> = {
      ...(JSON.parse(message.metadata) as Record<string, unknown>),
      commandId: randomUUID(),
      actor: d.buyer,
    };
    metadata.correlationId = metadata.causationId = metadata.commandId;
    const revision = d.revision + 1n;
    const hash = chainHash(d.lastHash, { streamId, revision, type: message.type, data, metadata });
    const started = performance.now();
    await store.append(
      streamId,
      [{ id: randomUUID(), type: message.type, data, metadata: { ...metadata, hash } }],
      { expectedRevision: d.revision },
    );
    timings.push(performance.now() - started);
  }
  return timings;
}

/** PostMessage through `handleCommand` (read the stream, fold, decide, chain, append), one at a time. */
async function commandLatency(scenario: DisputeScenario, disputes: OpenDispute[]) {
  const timings: number[] = [];
  for (const [n, d] of disputes.entries()) {
    const started = performance.now();
    await scenario.run(d.disputeId, d.buyer, new Date().toISOString(), 'PostMessage', {
      messageId: `${d.disputeId}-command-${n}`,
      body: `message ${n}`,
    });
    timings.push(performance.now() - started);
  }
  return timings;
}

/** A buyer's first page of disputes (the gateway's `myDisputes`), buyers picked at random. */
async function queryLatency(queries: DisputeQueries, copies: number, n: number) {
  const timings: number[] = [];
  for (let i = 0; i < n; i++) {
    const buyer = buyerOf(Math.floor(Math.random() * copies));
    const started = performance.now();
    const page = await queries.buyerDisputes(buyer, {}, { first: 20 });
    timings.push(performance.now() - started);
    if (page.edges.length === 0) throw new Error(`${buyer.id} has no dispute in the buyer view`);
  }
  return timings;
}

/** PostMessage at a steady rate with the runner live; per command, append → buyer view. */
async function lagUnderLoad(
  scenario: DisputeScenario,
  runner: ProjectionRunner,
  disputes: OpenDispute[],
  { seconds, tag }: { seconds: number; tag: string },
) {
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  const interval = 1000 / LOAD_PER_SECOND;
  const total = LOAD_PER_SECOND * seconds;
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const d = disputes[n % disputes.length];
    pending.push(
      (async () => {
        const handled = await scenario.run(
          d.disputeId,
          d.buyer,
          new Date().toISOString(),
          'PostMessage',
          { messageId: `${d.disputeId}-${tag}-${n}`, body: `message ${n}` },
        );
        const appended = performance.now();
        if (!(await runner.waitForPosition(handled.position as bigint, 30_000, BUYER_VIEW)))
          throw new Error('the buyer view did not get there within 30 s');
        lags.push(performance.now() - appended);
      })(),
    );
  }
  await Promise.all(pending);
  return lags;
}

/** One size's database, loaded and caught up, with what its rounds have measured so far. */
interface Sized {
  label: 'small' | 'big';
  db: Database;
  store: SqlEventStore;
  runner: ProjectionRunner;
  queries: DisputeQueries;
  open: OpenDispute[];
  used: Set<number>;
  copies: number;
  /** Events in its log after the catch-up (counted before the rounds add their own). */
  events: number;
  /** The disputes its lag load cycles over, the same in every round. */
  lagDisputes: OpenDispute[];
  samples: Record<(typeof FIGURES)[number], number[]>;
  /** Load average (1 min) as each of its rounds began. */
  loads: number[];
}
const FIGURES = ['append', 'command', 'query', 'lag'] as const;

/** What the run has opened, closed at its end whatever happened. */
interface Opened {
  databases: Database[];
  stores: SqlEventStore[];
  runners: ProjectionRunner[];
}

/** A database of its own, loaded with `copies` copies, its projections caught up. */
async function prepare(
  label: Sized['label'],
  copies: number,
  templates: { closed: ReturnType<typeof cloner>; open: ReturnType<typeof cloner> },
  timings: Record<string, number | null>,
  opened: Opened,
): Promise<{ sized: Sized; caughtUp: boolean }> {
  const db = await openDatabase();
  opened.databases.push(db);
  const store = await createSqlEventStore(db.connection);
  opened.stores.push(store);
  await migrateReadModels(db.connection);
  const registry = new ProjectionRegistry([
    ...disputeProjections(),
    deadlinesProcessManager(DEFAULT_POLICY),
  ]);
  const runner = new ProjectionRunner(store, db.connection, registry, { batchSize: BATCH_SIZE });
  opened.runners.push(runner);
  const open: OpenDispute[] = [];
  const sized: Sized = {
    label,
    db,
    store,
    runner,
    queries: new DisputeQueries(readDbFor(db.connection), DEFAULT_POLICY),
    open,
    used: new Set(),
    copies,
    events: 0,
    lagDisputes: [],
    samples: { append: [], command: [], query: [], lag: [] },
    loads: [],
  };
  console.log(`${label}: loading ${copies} copies into a database of its own`);
  const started = performance.now();
  const written = await bulkLoad(db, store, templates, 0, copies, open);
  const loadMs = performance.now() - started;
  console.log(
    `loaded ${written} events in ${seconds(loadMs)} s = ${Math.round((written * 1000) / loadMs)} events/s`,
  );
  await assertChainsIntact(store, [Math.floor(copies / 2), copies - 1, open[open.length - 1].copy]);
  // A log that grew to this size over months would have had its statistics refreshed by
  // autovacuum all along; one loaded in seconds has not yet, and plans would be chosen from the
  // empty table's. So: ANALYZE after the load, and again after the catch-up.
  await db.analyze();
  const catchUpMs = await catchUp(store, runner, written);
  timings[`load_s_${label}`] = Math.round(loadMs / 100) / 10;
  timings[`catchup_s_${label}`] = catchUpMs === undefined ? null : Math.round(catchUpMs / 100) / 10;
  if (catchUpMs === undefined) {
    // Left out of the rounds: its runner must not keep catching up beside the other size's.
    await runner.stop();
    return { sized, caughtUp: false };
  }
  await db.analyze();
  sized.events = await db.countEvents();
  sized.lagDisputes = take(open, sized.used, LAG_DISPUTES);
  // Stopped while the other size loads and catches up; each round starts it again.
  await runner.stop();
  return { sized, caughtUp: true };
}

/** One round on one size: each figure's warm-up, then its samples, added to the size's. */
async function measureRound(
  sized: Sized,
  round: number,
  perRound: { samples: number; lagSeconds: number },
  message: TemplateEvent,
): Promise<void> {
  const { store, runner, queries, open, used, copies, samples } = sized;
  sized.loads.push(Math.round(loadavg()[0] * 100) / 100);
  const blocksBefore = await sized.db.blocksRead();
  const scenario = new DisputeScenario(
    store,
    DEFAULT_POLICY,
    `scale-${sized.label}-${round}-${randomUUID()}`,
  );
  await appendLatency(store, take(open, used, WARM_UP), message);
  const append = await appendLatency(store, take(open, used, perRound.samples), message);
  await commandLatency(scenario, take(open, used, WARM_UP));
  const command = await commandLatency(scenario, take(open, used, perRound.samples));
  if (!(await runner.waitForPosition(await store.headPosition(), 120_000)))
    throw new Error('projections did not catch up after the appends');
  await queryLatency(queries, copies, WARM_UP);
  const query = await queryLatency(queries, copies, perRound.samples * 2);
  const background = await sized.db.background();
  if (background) console.log(`  background work on the ${sized.label} database: ${background}`);
  // Unrecorded, as the other figures' warm-ups: the live path warms up before its lag counts.
  await lagUnderLoad(scenario, runner, sized.lagDisputes, {
    seconds: LAG_WARM_UP_SECONDS,
    tag: `warm-${round}`,
  });
  const lag = await lagUnderLoad(scenario, runner, sized.lagDisputes, {
    seconds: perRound.lagSeconds,
    tag: `load-${round}`,
  });
  const measured = { append, command, query, lag };
  const line = FIGURES.map((name) => {
    samples[name].push(...measured[name]);
    const f = figureOf(measured[name]);
    return `${name} ${f.p50.toFixed(1)} / ${f.p99.toFixed(1)}`;
  });
  const blocksAfter = await sized.db.blocksRead();
  // What the server read from outside its shared buffers (the OS's cache or the disk) meanwhile.
  const blocks =
    blocksBefore === null || blocksAfter === null
      ? ''
      : `; blocks read past the shared buffers ${blocksAfter - blocksBefore}`;
  console.log(
    `  round ${round} ${sized.label.padEnd(5)} (p50 / p99 ms): ${line.join(', ')}${blocks}; load average ${loadNow()}`,
  );
}

// --- Main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (BIG_EVENTS <= SMALL_EVENTS)
    throw new Error(`EVENTS (${BIG_EVENTS}) must be above EVENTS_SMALL (${SMALL_EVENTS})`);
  if (!(ROUNDS >= 1)) throw new Error(`ROUNDS (${ROUNDS}) must be 1 or more`);
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const opened: Opened = { databases: [], stores: [], runners: [] };
  try {
    console.log(
      `${ON_PGLITE ? 'PGlite (in process)' : 'PostgreSQL'}; ${SMALL_EVENTS} and ${BIG_EVENTS} events in two databases, measured in ${ROUNDS} alternating rounds; load average ${loadNow()}`,
    );
    // The copies' times: a month ago, one second apart.
    const start = addDays(new Date().toISOString(), -30);
    const closed = await template('closed', start);
    const escalated = await template('escalated', start);
    const templates = { closed: cloner(closed), open: cloner(escalated) };
    const message = escalated.streams
      .flatMap((s) => s.events)
      .find((e) => e.type === 'MessagePosted');
    if (!message) throw new Error('the escalated template has no MessagePosted');
    const perCopy = ((OPEN_EVERY - 1) * closed.eventCount + escalated.eventCount) / OPEN_EVERY;
    const copiesFor = (events: number) => Math.ceil(events / perCopy);
    console.log(
      `copies of two disputes: closed after mediation (${closed.eventCount} events), escalated (${escalated.eventCount}), one in ${OPEN_EVERY}`,
    );

    const timings: Record<string, number | null> = {};
    const small = await prepare('small', copiesFor(SMALL_EVENTS), templates, timings, opened);
    if (!small.caughtUp) throw new Error('the projections did not catch up with the small log');
    const big = await prepare('big', copiesFor(BIG_EVENTS), templates, timings, opened);
    // Past CATCH_UP_LIMIT_S the big size is left out: the small one is reported alone.
    const measured = big.caughtUp ? [small.sized, big.sized] : [small.sized];

    // As many samples at both sizes, spread over the rounds: what the small log's untouched open
    // disputes allow.
    const untouched = small.sized.open.length - small.sized.used.size;
    const perRound = {
      samples: Math.min(
        Math.floor(SAMPLES / ROUNDS),
        Math.floor((untouched - ROUNDS * 2 * WARM_UP) / (2 * ROUNDS)),
      ),
      lagSeconds: LOAD_SECONDS / ROUNDS,
    };
    if (perRound.samples < 10)
      throw new Error(`${small.sized.open.length} open disputes are too few to measure`);
    // The sizes take turns, so that what the machine does meanwhile falls on both alike. One
    // runner is live at a time, as in a process serving one database: the other's stays stopped
    // (its projections are at its head; the round's warm-ups absorb the restart).
    for (let round = 1; round <= ROUNDS; round++)
      for (const sized of measured) {
        for (const other of measured) if (other !== sized) await other.runner.stop();
        sized.runner.start();
        if (!(await sized.runner.waitForPosition(await sized.store.headPosition(), 120_000)))
          throw new Error(`the ${sized.label} size's projections did not resume at its head`);
        await measureRound(sized, round, perRound, message);
      }
    for (const sized of measured) {
      console.log(`buyer list plan at the ${sized.label} size:`);
      for (const plan of await sized.db.explain((own) =>
        own.buyerDisputes(buyerOf(Math.floor(sized.copies / 2)), {}, { first: 20 }),
      ))
        console.log(plan.replace(/^/gm, '    '));
    }
    for (const runner of opened.runners) await runner.stop();

    const results = measured.map((sized): Measured => ({
      events: sized.events,
      load: sized.loads,
      append: figureOf(sized.samples.append),
      command: figureOf(sized.samples.command),
      query: figureOf(sized.samples.query),
      lag: figureOf(sized.samples.lag),
    }));
    const [smallFigures, bigFigures] = results;
    const round = (x: number) => Math.round(x * 10) / 10;
    const json: Record<string, unknown> = {
      bench: 'scale',
      db: ON_PGLITE ? 'pglite' : 'postgres',
      worst_ratio: null,
    };
    if (bigFigures) {
      const ratios: Record<string, number> = {};
      console.log('');
      console.log(
        `| figure | ${smallFigures.events} events p50 / p99 ms | ${bigFigures.events} events p50 / p99 ms | ratio big ÷ small p50 / p99 |`,
      );
      console.log('|---|---|---|---|');
      for (const name of FIGURES) {
        const s = smallFigures[name];
        const b = bigFigures[name];
        ratios[`${name}_p50`] = b.p50 / s.p50;
        ratios[`${name}_p99`] = b.p99 / s.p99;
        console.log(
          `| ${name} | ${s.p50.toFixed(1)} / ${s.p99.toFixed(1)} | ${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} | ${ratios[`${name}_p50`].toFixed(2)} / ${ratios[`${name}_p99`].toFixed(2)} |`,
        );
      }
      // The ratio furthest from 1 either way: 0.5 (twice as fast) is as far as 2 (twice as slow).
      const [worstName, worst] = Object.entries(ratios).reduce((a, b) =>
        Math.abs(Math.log(b[1])) > Math.abs(Math.log(a[1])) ? b : a,
      );
      console.log(
        `worst ratio ${worst.toFixed(2)} (${worstName}); goal: every ratio within 0.8 – 1.2. Load average at the end ${loadNow()}`,
      );
      json.worst_ratio = Math.round(worst * 100) / 100;
      json.worst = worstName;
    } else {
      console.log(
        `no figures at ${BIG_EVENTS} events: the projections did not catch up in time. Load average at the end ${loadNow()}`,
      );
    }
    for (const name of FIGURES)
      for (const [label, m] of [
        ['small', smallFigures],
        ['big', bigFigures],
      ] as const) {
        json[`${name}_p50_ms_${label}`] = m ? round(m[name].p50) : null;
        json[`${name}_p99_ms_${label}`] = m ? round(m[name].p99) : null;
      }
    Object.assign(json, timings, {
      events_small: smallFigures.events,
      events_big: bigFigures?.events ?? null,
      rounds: ROUNDS,
      samples_per_figure: perRound.samples * ROUNDS,
      load: [
        loadAtStart[0],
        smallFigures.load[0],
        ...(bigFigures ? [bigFigures.load[0]] : []),
        Math.round(loadavg()[0] * 100) / 100,
      ],
    });
    console.log(JSON.stringify(json));
  } finally {
    // Everything opened so far, even when a size failed halfway: a runner left live on a dropped
    // database would retry its lock for good and keep the process alive.
    for (const runner of opened.runners) await runner.stop().catch(() => undefined);
    for (const store of opened.stores) await store.close().catch(() => undefined);
    for (const db of opened.databases)
      await db.drop().catch((error: unknown) => console.error('could not drop a database:', error));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
