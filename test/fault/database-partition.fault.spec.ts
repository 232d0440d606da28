import { sql } from 'drizzle-orm';
import { disputeStreamId } from '@arbiter/disputes';
import { openSqlConnection, SqlConnection } from '@arbiter/platform';
import { tryAcquireProjectionLease } from '@arbiter/read-models/locks';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import {
  Caller,
  cast,
  DisputesGateway,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from '../e2e/disputes-helpers';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { printFigures } from './support/load';

/**
 * The gateway on PostgreSQL through a TCP proxy, under concurrent mutations, while the link is
 * cut: first as a partition (sockets open, nothing arrives), then as reset connections. Every
 * answer must come within seconds and be SERVICE_UNAVAILABLE with `retryable` (never
 * INTERNAL_SERVER_ERROR), `/health` must say within about a second that the database is down,
 * and once the link is back the same process serves again. Clients then retry every command that
 * got no success with its idempotency key: each command's message is in its dispute exactly once.
 */
const url = postgresTestUrl();

const WRITERS_PER_DISPUTE = 2;
const DISPUTES = 4;
/** Short timeouts, so the test sees a partition end in failures within seconds. */
const TIMEOUTS = {
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  DATABASE_STATEMENT_TIMEOUT_MS: '1500',
  DATABASE_QUERY_TIMEOUT_MS: '2000',
  DATABASE_POOL_SIZE: '6',
};
/** Generous bounds for a shared, slow machine: what matters is "seconds", not "minutes". */
const MAX_ANSWER_MS = 10_000;
const MAX_HEALTH_MS = 2_000;
/** A client gives up waiting after this (the request hangs): counted as no answer. */
const NO_ANSWER_MS = 30_000;

interface Command {
  key: string;
  disputeId: string;
  body: string;
  who: Caller;
}

interface Answer {
  command: Command;
  at: number;
  ms: number;
  code?: string;
  retryable?: unknown;
  outcome?: unknown;
  message?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

(url ? describe : describe.skip)('database partition [postgres through a TCP proxy]', () => {
  let database: { url: string; drop(): Promise<void> };
  let proxy: TcpProxy;
  let d: DisputesGateway;
  let proxiedUrl: string;
  let people: Awaited<ReturnType<typeof cast>>;
  const disputeIds: string[] = [];

  beforeAll(async () => {
    database = await createPostgresTestDatabase(url as string, 'fault');
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(database.url);
    proxied.host = `${proxy.host}:${proxy.port}`;
    proxiedUrl = proxied.toString();
    d = await startDisputesGateway('postgres', { DATABASE_URL: proxied.toString(), ...TIMEOUTS });
    people = await cast(d);
    for (let i = 0; i < DISPUTES; i++) {
      const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
      const opened = await ok(d.gateway.url, people.buyer, 'openDispute', {
        orderId,
        reason: 'MISSING_PARTS',
        description: 'No charger in the box',
        claim: { kind: 'FULL_REFUND' },
      });
      disputeIds.push(opened.disputeId);
    }
  });

  afterAll(async () => {
    proxy?.restore();
    await d?.close();
    await proxy?.close();
    await database?.drop();
  });

  /** One mutation with its key; a transport failure or hang counts as no answer. */
  async function send(command: Command): Promise<Answer> {
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const noAnswer = new Promise<Answer>((resolve) => {
      timer = setTimeout(
        () => resolve({ command, at: Date.now(), ms: Date.now() - started, code: 'NO_ANSWER' }),
        NO_ANSWER_MS,
      );
    });
    try {
      return await Promise.race([answer(command, started), noAnswer]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function answer(command: Command, started: number): Promise<Answer> {
    const result = await mutate(
      d.gateway.url,
      command.who,
      'postMessage',
      { disputeId: command.disputeId, body: command.body },
      { 'Idempotency-Key': command.key },
    );
    const error = result.errors?.[0];
    return {
      command,
      at: Date.now(),
      ms: Date.now() - started,
      code: result.data ? undefined : (result.code ?? `HTTP_${result.status}`),
      retryable: error?.extensions?.retryable,
      outcome: error?.extensions?.outcome,
      message: error?.message,
    };
  }

  async function health(): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
    const started = Date.now();
    const response = await fetch(`${d.gateway.url}/health`, {
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: response.status,
      ms: Date.now() - started,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it('answers typed, retryable errors within seconds, reports the database down, recovers, and loses or doubles nothing', async () => {
    const databaseOf = (h: { body: Record<string, unknown> }) =>
      (h.body.details as Record<string, { status: string; message?: string }> | undefined)
        ?.database;
    const healthyBefore = await health();
    const sent: Command[] = [];
    const answers: Answer[] = [];
    let running = true;
    let sequence = 0;

    const writer = async (disputeId: string, who: Caller) => {
      while (running) {
        const n = ++sequence;
        const command = { key: `fault-${n}`, disputeId, body: `message ${n}`, who };
        sent.push(command);
        const answer = await send(command);
        answers.push(answer);
        // A client backs off a little after an error instead of hammering a sick service.
        if (answer.code) await sleep(100);
      }
    };
    const writers = disputeIds.flatMap((disputeId) =>
      Array.from({ length: WRITERS_PER_DISPUTE }, (_, i) =>
        writer(disputeId, i % 2 ? people.seller : people.buyer),
      ),
    );

    await sleep(1_500);

    // A partition: the gateway's connections stay open, nothing arrives either way.
    proxy.blackhole();
    const cutAt = Date.now();
    await sleep(1_000);
    const healthDuring = [await health(), await health()];
    await sleep(4_000);
    proxy.restore();
    const restoredAt = Date.now();
    while (!answers.some((a) => a.at > restoredAt && !a.code) && Date.now() - restoredAt < 20_000)
      await sleep(50);
    const recoveredAt = answers.find((a) => a.at > restoredAt && !a.code)?.at;
    await sleep(1_000);

    // Connections cut at once (a restarted server or load balancer), under the same load.
    proxy.reset();
    const resetAt = Date.now();
    await sleep(2_000);
    running = false;
    await Promise.all(writers);

    // The database check is green again without a restart.
    const quietAt = Date.now();
    let healthyAfter = await health();
    while (databaseOf(healthyAfter)?.status !== 'up' && Date.now() - quietAt < 10_000) {
      await sleep(250);
      healthyAfter = await health();
    }
    const healthRecoveredMs = Date.now() - quietAt;

    // Clients retry every command that got no success, with the same key, until it succeeds.
    const acknowledged = new Set(answers.filter((a) => !a.code).map((a) => a.command.key));
    const unanswered = sent.filter((c) => !acknowledged.has(c.key));
    const retries: Answer[] = [];
    for (const command of unanswered) {
      for (let attempt = 1; ; attempt++) {
        const answer = await send(command);
        retries.push(answer);
        if (!answer.code) break;
        if (attempt >= 20) throw new Error(`retry of ${command.key} kept failing: ${answer.code}`);
        await sleep(200);
      }
    }

    // Every command's message is in its dispute exactly once.
    const bodies = new Map<string, number>();
    for (const disputeId of disputeIds) {
      for (const event of await d.store.readStream(disputeStreamId(disputeId))) {
        if (event.type !== 'MessagePosted') continue;
        const body = (event.data as { body: string }).body;
        bodies.set(body, (bodies.get(body) ?? 0) + 1);
      }
    }
    const lost = sent.filter((c) => !bodies.has(c.body));
    const duplicated = sent.filter((c) => (bodies.get(c.body) ?? 0) > 1);
    const unknownBodies = [...bodies.keys()].filter((b) => !sent.some((c) => c.body === b));

    const errors = answers.filter((a) => a.code);
    const byCode = new Map<string, number>();
    for (const a of errors) {
      const label = `${a.code}${a.outcome ? `/${a.outcome}` : ''}`;
      byCode.set(label, (byCode.get(label) ?? 0) + 1);
    }
    const firstTyped = answers.find((a) => a.at >= cutAt && a.code === 'SERVICE_UNAVAILABLE');
    const afterReset = answers.filter((a) => a.at >= resetAt);
    printFigures({
      test: 'database-partition',
      sent: sent.length,
      acknowledged: acknowledged.size,
      lost: lost.length,
      duplicated: duplicated.length,
      retried: unanswered.length,
      retryAttempts: retries.length,
      failures: Object.fromEntries(byCode),
      slowestAnswerMs: Math.max(...answers.map((a) => a.ms)),
      firstTypedErrorMs: firstTyped ? firstTyped.at - cutAt : 'none',
      healthDuringPartition: healthDuring.map((h) => `${h.status}/${h.ms}ms`),
      recoveryAfterRestoreMs: recoveredAt ? recoveredAt - restoredAt : 'none',
      databaseUpAgainMs: healthRecoveredMs,
      afterResetAcknowledged: afterReset.filter((a) => !a.code).length,
      afterResetErrors: afterReset.filter((a) => a.code).length,
    });

    expect(databaseOf(healthyBefore)).toMatchObject({ status: 'up' });
    // Never an internal error, never a hang: typed, retryable, within seconds.
    for (const a of [...answers, ...retries]) {
      if (a.code) {
        expect({ code: a.code, retryable: a.retryable }).toEqual({
          code: 'SERVICE_UNAVAILABLE',
          retryable: true,
        });
        expect(['UNKNOWN', 'NOT_APPLIED', undefined]).toContain(a.outcome);
      }
      expect(a.ms).toBeLessThan(MAX_ANSWER_MS);
    }
    expect(firstTyped).toBeDefined();
    for (const h of healthDuring) {
      expect(h.status).toBe(503);
      expect(h.ms).toBeLessThan(MAX_HEALTH_MS);
      expect(databaseOf(h)).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^PostgreSQL: /),
      });
    }
    expect(recoveredAt).toBeDefined();
    expect(databaseOf(healthyAfter)).toMatchObject({ status: 'up' });
    expect(afterReset.some((a) => !a.code)).toBe(true);
    expect({ lost, duplicated, unknownBodies }).toEqual({
      lost: [],
      duplicated: [],
      unknownBodies: [],
    });
  });

  it('ends a projection lease whose connection stops answering, so another process can take it', async () => {
    const timeouts = { connectTimeoutMs: 1_000, statementTimeoutMs: 500, queryTimeoutMs: 1_000 };
    const holder = await openSqlConnection({ kind: 'postgres', url: proxiedUrl, timeouts });
    // The other process reaches the database directly, not through the cut link.
    const other: SqlConnection = await openSqlConnection({
      kind: 'postgres',
      url: database.url,
      timeouts,
    });
    const name = `partition-${Date.now()}`;
    let lease: Awaited<ReturnType<typeof tryAcquireProjectionLease>> = null;
    try {
      lease = await tryAcquireProjectionLease(holder, name);
      expect(lease).not.toBeNull();
      const lost = lease!.lost.then(
        () => undefined,
        (error: Error) => error,
      );

      proxy.blackhole();
      const cutAt = Date.now();
      // Drizzle wraps the driver's error ("Failed query: …"); the cause is the client-side timeout.
      const failure = await lease!.db.execute(sql`select 1`).then(
        () => undefined,
        (error: Error) => error,
      );
      expect((failure?.cause as Error | undefined)?.message).toBe('Query read timeout');
      const failedMs = Date.now() - cutAt;
      // The connection is closed, not left busy with the unanswered statement: the lease is lost.
      const lostWith = await Promise.race([lost, sleep(5_000).then(() => 'still held')]);
      const lostMs = Date.now() - cutAt;
      proxy.restore();

      // The session is gone on the server too, so its advisory lock is free for another process.
      let taken = await tryAcquireProjectionLease(other, name);
      while (!taken && Date.now() - cutAt < 15_000) {
        await sleep(200);
        taken = await tryAcquireProjectionLease(other, name);
      }
      const takenMs = Date.now() - cutAt;
      printFigures({
        test: 'lease-through-partition',
        queryFailedMs: failedMs,
        leaseLostMs: lostMs,
        takenByAnotherMs: takenMs,
      });
      expect(lostWith).toBeInstanceOf(Error);
      expect(taken).not.toBeNull();
      await taken?.release();
    } finally {
      proxy.restore();
      await lease?.release();
      await holder.close();
      await other.close();
    }
  });
});
