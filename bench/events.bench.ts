// `npm run bench:events`: the analytics feeds under a steady command load. Append → delivery
// latency (p50/p99) for a graphql-ws subscriber of `disputeEvents` and for a JetStream consumer
// of the forwarder's stream, while a fixed rate of postMessage mutations runs over HTTP; then
// catch-up throughput of `disputeEvents` from the start of the log beside a bare `readAll` of the
// same events in the same run (the baseline). On PostgreSQL when DATABASE_URL is set, else PGlite;
// NATS at NATS_URL (default nats://127.0.0.1:4222). The last line is JSON.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { INestApplication } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { encodeEventCursor, EventFeed } from '@arbiter/analytics';
import { type ActorRole, signDevelopmentToken } from '@arbiter/auth';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import { createApp, validateConfig } from '@arbiter/platform';
import { ProjectionRunner } from '@arbiter/read-models';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { GatewayModule } from '../apps/gateway/src/app.module';
import { gql, placeShippedOrder } from './support';

const SECRET = 'bench-secret-that-is-long-enough-for-hs256!';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const RATE_PER_S = Number(process.env.BENCH_RATE ?? 50);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CATCHUP_EVENTS = Number(process.env.BENCH_CATCHUP_EVENTS ?? 20_000);
const DISPUTES = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const token = (role: ActorRole, sub: string) => signDevelopmentToken({ sub, role, secret: SECRET });

async function seed(url: string): Promise<{ disputeId: string; buyer: string }[]> {
  const run = randomBytes(4).toString('hex');
  const platform = await token('platform', 'marketplace');
  const disputes = [];
  for (let i = 0; i < DISPUTES; i++) {
    const orderId = `bench-${run}-${i}`;
    const buyer = await token('buyer', `${orderId}-b`);
    await placeShippedOrder(url, platform, orderId);
    const { openDispute } = await gql(
      url,
      buyer,
      'mutation($input: OpenDisputeInput!) { openDispute(input: $input) { disputeId } }',
      { orderId, reason: 'DAMAGED', description: 'Broken', claim: { kind: 'FULL_REFUND' } },
    );
    disputes.push({ disputeId: openDispute.disputeId, buyer });
  }
  return disputes;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const database = process.env.DATABASE_URL ? 'postgres' : 'pglite';
  // A database of its own, so the log holds this run's events only.
  const own = process.env.DATABASE_URL
    ? await createPostgresTestDatabase(process.env.DATABASE_URL, 'bench')
    : undefined;
  const stream = `BENCH_${randomUUID().slice(0, 8).toUpperCase()}`;
  const prefix = `bench${randomUUID().slice(0, 8)}.events`;
  const config = validateConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: SECRET,
    WORKERS: 'inline',
    RATE_LIMIT_PER_MINUTE: '100000000',
    EVIDENCE_DIR: `/tmp/arbiter-bench-evidence-${process.pid}`,
    NATS_URL,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: prefix,
    ANALYTICS_SUBSCRIPTION_BUFFER: '100000',
    ...(database === 'pglite'
      ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' }
      : { EVENT_STORE: 'postgres', DATABASE_URL: own?.url }),
  });
  const app: INestApplication = await createApp(GatewayModule.forRoot(config));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const store = app.get<EventStore>(EVENT_STORE);
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const analystToken = await token('analyst', 'bench-analyst');
  const ws = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${analystToken}` },
  });
  try {
    console.log(
      `events bench on ${database}: ${RATE_PER_S} postMessage/s for ${DURATION_S} s, catch-up of ${CATCHUP_EVENTS} events; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    const disputes = await seed(url);

    // Live latency: both consumers attached from the current head before the load starts.
    const wsLatencies: number[] = [];
    const natsLatencies: number[] = [];
    const head = await store.headPosition();
    const after = head > 0n ? encodeEventCursor(head) : null;
    const wsDone = (async () => {
      for await (const result of ws.iterate<{
        disputeEvents: { recordedAt: string; type: string };
      }>({
        query:
          'subscription($after: String) { disputeEvents(after: $after, filter: { types: [MessagePosted] }) { recordedAt type } }',
        variables: { after },
      })) {
        const event = result.data?.disputeEvents;
        if (event) wsLatencies.push(Date.now() - Date.parse(event.recordedAt));
        if (wsLatencies.length >= RATE_PER_S * DURATION_S) break;
      }
    })();
    await waitForStream(jsm, stream);
    await jsm.consumers.add(stream, {
      durable_name: 'bench',
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.New,
      filter_subject: `${prefix}.MessagePosted`,
    });
    const consumer = await jetstream(nc).consumers.get(stream, 'bench');
    const messages = await consumer.consume();
    const natsDone = (async () => {
      for await (const message of messages) {
        const event = message.json<{ recordedAt: string }>();
        natsLatencies.push(Date.now() - Date.parse(event.recordedAt));
        if (natsLatencies.length >= RATE_PER_S * DURATION_S) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const total = RATE_PER_S * DURATION_S;
    const started = Date.now();
    const sends: Promise<unknown>[] = [];
    for (let n = 0; n < total; n++) {
      const due = started + (n * 1000) / RATE_PER_S;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { disputeId, buyer } = disputes[n % disputes.length];
      sends.push(
        gql(
          url,
          buyer,
          'mutation($input: PostMessageInput!) { postMessage(input: $input) { disputeId } }',
          {
            disputeId,
            body: `bench message ${n}`,
          },
        ),
      );
    }
    await Promise.all(sends);
    const deadline = Date.now() + 30_000;
    while ((wsLatencies.length < total || natsLatencies.length < total) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    messages.stop();
    await Promise.race([Promise.all([wsDone, natsDone]), new Promise((r) => setTimeout(r, 1_000))]);
    const ws50 = percentile(
      [...wsLatencies].sort((a, b) => a - b),
      50,
    );
    const ws99 = percentile(
      [...wsLatencies].sort((a, b) => a - b),
      99,
    );
    const nats50 = percentile(
      [...natsLatencies].sort((a, b) => a - b),
      50,
    );
    const nats99 = percentile(
      [...natsLatencies].sort((a, b) => a - b),
      99,
    );
    console.log(`delivery latency, append → received (${total} events at ${RATE_PER_S}/s):`);
    console.log(`  graphql-ws  p50 ${ws50} ms  p99 ${ws99} ms  (${wsLatencies.length} received)`);
    console.log(
      `  JetStream   p50 ${nats50} ms  p99 ${nats99} ms  (${natsLatencies.length} received)`,
    );

    // Catch-up: a log of CATCHUP_EVENTS more dispute events, read from the start both ways.
    const at = new Date().toISOString();
    for (let written = 0; written < CATCHUP_EVENTS; written += 500) {
      const { disputeId } = disputes[(written / 500) % disputes.length];
      const batch = Array.from({ length: Math.min(500, CATCHUP_EVENTS - written) }, (_, i) => ({
        id: randomUUID(),
        type: 'MessagePosted',
        data: {
          disputeId,
          at,
          by: { id: 'bench', role: 'buyer' },
          messageId: randomUUID(),
          body: `catch-up ${written + i}`,
        },
      }));
      await store.append(`dispute-${disputeId}`, batch);
    }
    // Both readers measured once the projections and the forwarder have taken the new events in
    // (they share the database), in alternating rounds; the medians are compared.
    const settled = await app
      .get(ProjectionRunner)
      .waitForPosition(await store.headPosition(), 300_000);
    if (!settled)
      console.log('  (projections not caught up after 300 s: figures include their load)');
    const logSize = await countLog(store);
    const readRates: number[] = [];
    const feedRates: number[] = [];
    const coreRates: number[] = [];
    const feed = app.get(EventFeed);
    let feedCount = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Baseline: the store's own readAll of the same events, in pages.
      const readStarted = process.hrtime.bigint();
      const readCount = await countLog(store);
      readRates.push(readCount.all / (Number(process.hrtime.bigint() - readStarted) / 1e9));
      // The feed itself, without a transport: where the GraphQL-over-WebSocket cost starts.
      const coreStarted = process.hrtime.bigint();
      let coreCount = 0;
      const core = feed.subscribe('analyst', { bufferSize: 1_000 });
      for await (const item of core) {
        if (item.end) throw new Error(item.end.message);
        if (++coreCount >= logSize.analystVisible) break;
      }
      coreRates.push(coreCount / (Number(process.hrtime.bigint() - coreStarted) / 1e9));
      // The feed: a new analyst subscription from the start, until it has everything, by a
      // client in a thread of its own (as a real consumer is another process).
      feedCount = logSize.analystVisible;
      feedRates.push(feedCount / ((await catchUpInThread(url, analystToken, feedCount)) / 1000));
    }
    const readRate = median(readRates);
    const feedRate = median(feedRates);
    const ratio = feedRate / readRate;
    const coreRate = median(coreRates);
    console.log(`catch-up from the start (${feedCount} events):`);
    console.log(`  readAll (baseline)            ${Math.round(readRate)} events/s`);
    console.log(
      `  disputeEvents over graphql-ws ${Math.round(feedRate)} events/s  (ratio ${ratio.toFixed(2)})`,
    );
    console.log(
      JSON.stringify({
        bench: 'events',
        database,
        ws_p50_ms: ws50,
        ws_p99_ms: ws99,
        nats_p50_ms: nats50,
        nats_p99_ms: nats99,
        catchup_events: feedCount,
        readall_events_per_s: Math.round(readRate),
        feed_events_per_s: Math.round(feedRate),
        feed_core_events_per_s: Math.round(coreRate),
        catchup_ratio: round(ratio, 2),
        load: loadavg().map((l) => round(l, 2)),
      }),
    );
  } finally {
    await ws.dispose();
    // The app (and its forwarder) first: a last batch published after the delete would recreate it.
    await app.close();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await own?.drop();
  }
}

/**
 * Subscribes to `disputeEvents` from the start in a worker thread and resolves with the
 * milliseconds it took to receive `count` events (the thread parses every message, like a client).
 */
function catchUpInThread(url: string, bearer: string, count: number): Promise<number> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createClient } = require('graphql-ws');
    const WebSocket = require('ws');
    (async () => {
      const client = createClient({
        url: workerData.url,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer ' + workerData.bearer },
      });
      const started = performance.now();
      let received = 0;
      for await (const result of client.iterate({ query: 'subscription { disputeEvents { cursor } }' })) {
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        if (++received >= workerData.count) break;
      }
      parentPort.postMessage(performance.now() - started);
      await client.dispose();
    })().catch((error) => { throw error; });`;
  const worker = new Worker(source, {
    eval: true,
    workerData: { url: `${url.replace('http', 'ws')}/graphql`, bearer, count },
  });
  return new Promise<number>((resolve, reject) => {
    worker.once('message', (ms: number) => {
      resolve(ms);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function waitForStream(jsm: Awaited<ReturnType<typeof jetstreamManager>>, stream: string) {
  for (let i = 0; i < 100; i++) {
    try {
      await jsm.streams.info(stream);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`The forwarder never created stream ${stream}`);
}

/** Every dispute event in the log (the baseline's work) and how many of them analysts get. */
async function countLog(store: EventStore): Promise<{ all: number; analystVisible: number }> {
  let all = 0;
  let analystVisible = 0;
  let after: bigint | undefined;
  for (;;) {
    const page = await store.readAll({
      after,
      maxCount: 1_000,
      filter: { streamPrefixes: ['dispute-'] },
    });
    if (page.length === 0) return { all, analystVisible };
    all += page.length;
    analystVisible += page.filter((event) => event.type !== 'InternalNoteAdded').length;
    after = page[page.length - 1].position;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
