// `npm run bench:gateway`: commands per second and p50/p99 latency of a realistic mix of dispute
// mutations over HTTP (autocannon, 32 connections), on PGlite and on PostgreSQL (DATABASE_URL),
// each beside a baseline measured in the same run: a mutation on the same NestJS + Apollo stack
// (auth guard, throttler, validation pipe, error filter) that does nothing. PGlite runs twice: in
// its worker thread (the default) and on the event loop (PGLITE_THREAD=main). Then the same
// mutation (postMessage) on disputes with ~1,000 events beside disputes with ~10, in the same run:
// their throughput ratio (`stream_length_ratio`, long ÷ short) says how flat a command's cost is in
// its stream's length. STATE_CACHE_STREAMS=0 measures it without the state cache. BENCH_STORES
// (e.g. `postgres`) measures only those stores; BENCH_CPU_PROFILE=<dir> writes a CPU profile of
// each store's no-op and mix measurements alone. The last line is JSON.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DynamicModule, Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Args, Field, InputType, Mutation, Resolver } from '@nestjs/graphql';
import autocannon from 'autocannon';
import { IsString, IsUUID, MaxLength } from 'class-validator';
import {
  ActorRole,
  CurrentRequestContext,
  RequestContext,
  signDevelopmentToken,
} from '@arbiter/auth';
import {
  type Actor,
  decide,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputeEvent,
  type DisputeEventType,
  type DisputePolicy,
  type DisputeState,
  disputeStreamId,
  evolve,
  fromEpochMs,
  initialState,
} from '@arbiter/disputes';
import { type Decider, DisputeStreams, handleCommand } from '@arbiter/disputes/application';
import {
  AppConfig,
  createApp,
  PGliteRemote,
  SQL_CONNECTION,
  SqlConnection,
  validateConfig,
} from '@arbiter/platform';
import { GatewayModule } from '../apps/gateway/src/app.module';
import { profiled } from './profile';
import { gql, placeShippedOrder } from './support';

const CONNECTIONS = 32;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const DISPUTES = 64;
/** Disputes of each length in the stream-length measurement, and their lengths in events. */
const LENGTH_DISPUTES = 32;
const SHORT_EVENTS = 10;
const LONG_EVENTS = 1_000;
const LENGTH_HALF_S = Math.max(1, Math.round(DURATION_S / 4));
const LENGTH_DURATION_S = 2 * LENGTH_HALF_S;
/** The state cache's setting for this run (unset: the gateway's default). */
const STATE_CACHE_STREAMS = process.env.STATE_CACHE_STREAMS;
const SECRET = 'bench-secret-that-is-long-enough-for-hs256!';

@InputType('BenchNoopInput', { description: 'Shaped like postMessage’s input.' })
class BenchNoopInput {
  @Field({ description: 'A dispute id.' })
  @IsUUID('all')
  disputeId!: string;

  @Field({ description: 'A message.' })
  @IsString()
  @MaxLength(4000)
  body!: string;
}

@Resolver()
class BenchNoopResolver {
  @Mutation(() => Boolean, { description: 'Does nothing: the baseline of the stack.' })
  benchNoop(
    @Args('input') input: BenchNoopInput,
    @CurrentRequestContext() context: RequestContext,
  ): boolean {
    return input.disputeId.length > 0 && context.actor !== null;
  }
}

@Module({})
class BenchModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: BenchModule,
      imports: [GatewayModule.forRoot(config)],
      providers: [BenchNoopResolver],
    };
  }
}

/** PGlite in its thread (the default), PGlite on the event loop, PostgreSQL. */
type Database = 'pglite' | 'pglite-main' | 'postgres';
/** Accepted mutations sent one at a time to measure how long each holds the event loop. */
const BLOCKING_SAMPLES = 60;

async function start(database: Database) {
  const config = validateConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    WORKERS: 'off',
    METRICS_ENABLED: 'false',
    RATE_LIMIT_PER_MINUTE: '100000000',
    ...(STATE_CACHE_STREAMS === undefined ? {} : { STATE_CACHE_STREAMS }),
    EVIDENCE_DIR: `/tmp/arbiter-bench-evidence-${process.pid}`,
    ...(database === 'postgres'
      ? { EVENT_STORE: 'postgres', DATABASE_URL: process.env.DATABASE_URL }
      : {
          EVENT_STORE: 'pglite',
          PGLITE_DATA_DIR: 'memory://',
          PGLITE_THREAD: database === 'pglite' ? 'worker' : 'main',
        }),
  });
  const app = await createApp(BenchModule.forRoot(config));
  (app as NestExpressApplication).useBodyParser('json', { limit: '1mb' });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url };
}

const token = (role: ActorRole, sub: string) => signDevelopmentToken({ sub, role, secret: SECRET });

interface Party {
  disputeId: string;
  buyerId: string;
  buyer: string;
  seller: string;
}

/** `count` disputes in negotiation (3 events each), each with its own buyer and seller. */
async function seed(url: string, count = DISPUTES): Promise<Party[]> {
  const run = randomBytes(4).toString('hex');
  const platform = await token('platform', 'marketplace');
  const parties: Party[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = `bench-${run}-${i}`;
    const [buyer, seller] = await Promise.all([
      token('buyer', `${orderId}-b`),
      token('seller', `${orderId}-s`),
    ]);
    await placeShippedOrder(url, platform, orderId);
    const { openDispute } = await gql(
      url,
      buyer,
      'mutation($input: OpenDisputeInput!) { openDispute(input: $input) { disputeId } }',
      {
        orderId,
        reason: 'NOT_AS_DESCRIBED',
        description: 'Wrong colour',
        claim: { kind: 'FULL_REFUND' },
      },
    );
    await gql(
      url,
      seller,
      'mutation($input: RespondToDisputeInput!) { respondToDispute(input: $input) { disputeId } }',
      {
        disputeId: openDispute.disputeId,
        response: 'COUNTER',
        comment: 'Half?',
        counterProposal: {
          kind: 'PARTIAL_REFUND',
          amount: { amountMinor: 5_000, currency: 'EUR' },
        },
      },
    );
    parties.push({ disputeId: openDispute.disputeId, buyerId: `${orderId}-b`, buyer, seller });
  }
  return parties;
}

/** The buyer's `count` messages decided one after another by the real decider, in one command. */
function messagesBy(
  actor: Actor,
  policy: DisputePolicy,
): Decider<number, DisputeEvent, DisputeState> {
  return {
    initialState,
    evolve,
    decide: (count, state) => {
      const now = fromEpochMs(Date.now());
      const events: DisputeEvent[] = [];
      let folded = state;
      for (let i = 0; i < count; i++) {
        const decided = decide(
          {
            type: 'PostMessage',
            data: { messageId: randomUUID(), body: `earlier message ${i}` },
            metadata: { actor, now },
          },
          folded,
          policy,
        );
        events.push(...decided);
        folded = decided.reduce(evolve, folded);
      }
      return events;
    },
  };
}

/**
 * Grows each dispute to `length` events through the gateway's own command handler (encrypted,
 * chained, as over HTTP), a few hundred messages per command so that seeding takes seconds.
 */
async function lengthen(
  app: Awaited<ReturnType<typeof start>>['app'],
  parties: Party[],
  length: number,
): Promise<void> {
  const streams = app.get(DisputeStreams);
  for (const party of parties) {
    const actor: Actor = { id: party.buyerId, role: 'buyer' };
    const decider = messagesBy(actor, streams.policy);
    let have = (await streams.loadDispute(party.disputeId)).history.length;
    while (have < length) {
      const handled = await handleCommand(
        streams.store,
        disputeStreamId(party.disputeId),
        Math.min(250, length - have),
        decider,
        { commandId: randomUUID(), actor },
        { schemaVersionOf: (type) => DISPUTE_EVENT_SCHEMA_VERSIONS[type as DisputeEventType] ?? 1 },
      );
      have = Number(handled.revision) + 1;
    }
  }
}

/** The same postMessage on each dispute of `parties` in turn, by its buyer. */
function messageRequest(parties: Party[], n: number) {
  const party = parties[n % parties.length];
  return {
    body: JSON.stringify({
      query: `mutation($input: PostMessageInput!) { postMessage(input: $input) ${SELECTION} }`,
      variables: { input: { disputeId: party.disputeId, body: `message ${n}` } },
    }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${party.buyer}` },
  };
}

const SELECTION = '{ disputeId revision status }';
/** The mix: 5 messages, 3 text evidence, 2 proposals in every 10 commands, spread over the disputes. */
function mixedRequest(
  parties: Party[],
  n: number,
): { body: string; headers: Record<string, string> } {
  const party = parties[n % parties.length];
  const byBuyer = Math.floor(n / parties.length) % 2 === 0;
  const bearer = byBuyer ? party.buyer : party.seller;
  const slot = n % 10;
  const [name, type, input] =
    slot < 5
      ? ['postMessage', 'PostMessageInput', { disputeId: party.disputeId, body: `message ${n}` }]
      : slot < 8
        ? [
            'addEvidence',
            'AddEvidenceInput',
            {
              disputeId: party.disputeId,
              kind: 'TEXT',
              description: 'Statement',
              text: `evidence ${n}`,
            },
          ]
        : [
            'submitProposal',
            'SubmitProposalInput',
            {
              disputeId: party.disputeId,
              solution: {
                kind: 'PARTIAL_REFUND',
                amount: { amountMinor: 1_000 + (n % 4_000), currency: 'EUR' },
              },
            },
          ];
  const query = `mutation($input: ${type}!) { ${name}(input: $input) ${SELECTION} }`;
  return {
    body: JSON.stringify({ query, variables: { input } }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
  };
}

interface Measured {
  /** Share of the time the event loop (gateway and autocannon) was busy. */
  mainBusy: number;
  /** Share of the time PGlite's thread was busy (null: PGlite on the event loop, or PostgreSQL). */
  threadBusy: number | null;
  cmdsPerS: number;
  /** Requests answered over the whole measurement (finer than the per-second average). */
  total: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Two measurements of one set as one: totals and errors added, the slower percentiles. */
function both(a: Measured, b: Measured): Measured {
  return {
    mainBusy: Number(((a.mainBusy + b.mainBusy) / 2).toFixed(2)),
    threadBusy:
      a.threadBusy === null || b.threadBusy === null
        ? null
        : Number(((a.threadBusy + b.threadBusy) / 2).toFixed(2)),
    cmdsPerS: Math.round((a.cmdsPerS + b.cmdsPerS) / 2),
    total: a.total + b.total,
    p50: Math.max(a.p50, b.p50),
    p99: Math.max(a.p99, b.p99),
    errors: a.errors + b.errors,
  };
}

async function load(
  url: string,
  next: (n: number) => { body: string; headers: Record<string, string> },
  seconds: number,
  thread?: PGliteRemote,
): Promise<Measured> {
  let n = 0;
  let failed = 0;
  const mainBefore = performance.eventLoopUtilization();
  const threadBefore = thread?.threadUtilization();
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, ...next(n++) }),
        onResponse: (status, body) => {
          if (status !== 200 || body.includes('"errors"')) failed++;
        },
      },
    ],
  });
  const busy = (elu: { utilization: number }) => Number(elu.utilization.toFixed(2));
  return {
    mainBusy: busy(performance.eventLoopUtilization(mainBefore)),
    threadBusy: thread ? busy(thread.threadUtilization(threadBefore)) : null,
    cmdsPerS: Math.round(result.requests.average),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: failed + result.errors + result.timeouts,
  };
}

/**
 * The longest event-loop stall while one accepted mutation is served (nothing else running), p50
 * and max over BLOCKING_SAMPLES postMessage commands: the time request handling cannot proceed.
 */
async function loopBlocking(url: string, parties: Party[]): Promise<{ p50: number; max: number }> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const stalls: number[] = [];
  try {
    for (let n = 0; n < BLOCKING_SAMPLES; n++) {
      const { body, headers } = mixedRequest(parties, n * 10); // slot 0: postMessage
      loop.reset();
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.status !== 200 || text.includes('"errors"')) throw new Error(text);
      stalls.push(loop.max / 1e6);
    }
  } finally {
    loop.disable();
  }
  stalls.sort((a, b) => a - b);
  const round = (ms: number) => Number(ms.toFixed(1));
  return { p50: round(stalls[Math.floor(stalls.length / 2)]), max: round(stalls.at(-1)!) };
}

async function measure(database: Database) {
  const { app, url } = await start(database);
  try {
    const parties = await seed(url);
    const noopToken = parties[0].buyer;
    const noop = (n: number) => ({
      body: JSON.stringify({
        query: `mutation($input: BenchNoopInput!) { benchNoop(input: $input) }`,
        variables: {
          input: { disputeId: parties[n % parties.length].disputeId, body: `message ${n}` },
        },
      }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${noopToken}` },
    });
    // Warm-up (JIT, connection pools) of both paths: otherwise the store measured first pays for
    // compiling the whole stack and its ratio cannot be compared with the next one's.
    await load(url, noop, 2);
    await load(url, (n) => mixedRequest(parties, n), 2);
    const baseline = await profiled(`${database}-noop`, () => load(url, noop, DURATION_S));
    const connection = app.get<SqlConnection>(SQL_CONNECTION);
    const thread =
      connection.kind === 'pglite' && connection.db instanceof PGliteRemote
        ? connection.db
        : undefined;
    const mix = await profiled(`${database}-mix`, () =>
      load(url, (n) => mixedRequest(parties, n), DURATION_S, thread),
    );
    const ratio = Number((mix.cmdsPerS / baseline.cmdsPerS).toFixed(3));
    const blocking = await loopBlocking(url, parties);
    console.log(
      `${database.padEnd(11)} baseline ${baseline.cmdsPerS} req/s p50 ${baseline.p50} ms p99 ${baseline.p99} ms | ` +
        `mix ${mix.cmdsPerS} cmd/s p50 ${mix.p50} ms p99 ${mix.p99} ms errors ${mix.errors} | ratio ${ratio} | ` +
        `busy: event loop ${mix.mainBusy}, PGlite thread ${mix.threadBusy ?? '-'} | ` +
        `loop stall per accepted mutation p50 ${blocking.p50} ms max ${blocking.max} ms`,
    );
    // The stream-length figure for the stores as deployed (PGlite in its thread, PostgreSQL).
    const length = database === 'pglite-main' ? null : await streamLength(app, url);
    return { baseline, mix, ratio, blocking, length };
  } finally {
    await app.close();
  }
}

/**
 * postMessage throughput on disputes of LONG_EVENTS events beside disputes of SHORT_EVENTS, each
 * set warmed up first (JIT, and the state cache when on), then measured in two halves around the
 * other's; each message adds one event, so over a measurement the short ones grow by a few dozen.
 */
async function streamLength(app: Awaited<ReturnType<typeof start>>['app'], url: string) {
  const [short, long] = [await seed(url, LENGTH_DISPUTES), await seed(url, LENGTH_DISPUTES)];
  const seeding = Date.now();
  await lengthen(app, short, SHORT_EVENTS);
  await lengthen(app, long, LONG_EVENTS);
  const seededIn = Date.now() - seeding;
  const prime = async (parties: Party[]) => {
    // One message on each dispute first, one at a time: a gateway that has been running has read
    // the disputes in use (with the cache on, it holds them), then the warm-up under load.
    for (let n = 0; n < parties.length; n++) {
      const { body, headers } = messageRequest(parties, n);
      // A kept-alive socket the server has just closed resets the first try: send it again.
      for (let attempt = 1; ; attempt++) {
        try {
          await fetch(`${url}/graphql`, { method: 'POST', body, headers });
          break;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    }
    await load(url, (n) => messageRequest(parties, n), 2);
  };
  await prime(short);
  await prime(long);
  // Short, long, long, short, half the time each: a load that drifts during the run (the machine
  // is shared) weighs on both sets alike.
  const half = (parties: Party[]) => load(url, (n) => messageRequest(parties, n), LENGTH_HALF_S);
  const [short1, long1, long2, short2] = [
    await half(short),
    await half(long),
    await half(long),
    await half(short),
  ];
  const measured = { short: both(short1, short2), long: both(long1, long2) };
  // From the totals: on a slow store a long dispute can answer fewer than one command a second.
  const rate = (m: Measured) => (m.total / LENGTH_DURATION_S).toFixed(1);
  const ratio = Number((measured.long.total / Math.max(measured.short.total, 1)).toFixed(3));
  console.log(
    `         stream length (seeded in ${seededIn} ms): ` +
      `~${SHORT_EVENTS} events ${rate(measured.short)} cmd/s p50 ${measured.short.p50} ms p99 ${measured.short.p99} ms | ` +
      `~${LONG_EVENTS} events ${rate(measured.long)} cmd/s p50 ${measured.long.p50} ms p99 ${measured.long.p99} ms ` +
      `errors ${measured.short.errors + measured.long.errors} | ratio ${ratio}`,
  );
  return { ...measured, ratio };
}

async function main(): Promise<void> {
  // Closing an app on PGlite's thread ends the thread while nothing else holds the event loop:
  // without a handle of its own the process could end there, before the next store is measured.
  const keepAlive = setInterval(() => undefined, 60_000);
  console.log(
    `gateway bench: ${CONNECTIONS} connections, ${DURATION_S}s per measurement, ${DISPUTES} disputes in negotiation`,
  );
  console.log(
    'mix: 50% postMessage, 30% addEvidence (text), 20% submitProposal; baseline: a no-op mutation',
  );
  console.log(
    `stream length: postMessage on ${LENGTH_DISPUTES} disputes of ~${LONG_EVENTS} events vs ~${SHORT_EVENTS}, ` +
      `${LENGTH_DURATION_S}s each; state cache ${STATE_CACHE_STREAMS === '0' ? 'off' : `on (STATE_CACHE_STREAMS=${STATE_CACHE_STREAMS ?? 'default'})`}`,
  );
  // BENCH_STORES (e.g. `postgres`) measures only those stores: for profiling one of them.
  const only = process.env.BENCH_STORES?.split(',');
  const wanted = (database: Database) => !only || only.includes(database);
  const pgliteMain = wanted('pglite-main') ? await measure('pglite-main') : null;
  const pglite = wanted('pglite') ? await measure('pglite') : null;
  const postgres =
    process.env.DATABASE_URL && wanted('postgres') ? await measure('postgres') : null;
  clearInterval(keepAlive);
  if (!postgres) console.log('postgres skipped: DATABASE_URL is not set');
  console.log(
    JSON.stringify({
      bench: 'gateway',
      pglite_ratio: pglite?.ratio ?? null,
      pglite_main_ratio: pgliteMain?.ratio ?? null,
      pglite_loop_stall_p50_ms: pglite?.blocking.p50 ?? null,
      pglite_main_loop_stall_p50_ms: pgliteMain?.blocking.p50 ?? null,
      postgres_ratio: postgres?.ratio ?? null,
      postgres_cmds_per_s: postgres?.mix.cmdsPerS ?? null,
      postgres_p99_ms: postgres?.mix.p99 ?? null,
      // The worse of the two stores: the goal holds for both.
      stream_length_ratio: Math.min(
        pglite?.length?.ratio ?? Infinity,
        postgres?.length?.ratio ?? Infinity,
      ),
      pglite_stream_length_ratio: pglite?.length?.ratio ?? null,
      postgres_stream_length_ratio: postgres?.length?.ratio ?? null,
      state_cache: STATE_CACHE_STREAMS !== '0',
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
