import { fromEpochMs } from '@arbiter/disputes';
import { readDbFor } from '@arbiter/read-models';
import { readTestDatabases } from '@arbiter/read-models/testing/read-databases';
import type { ProjectionRunner } from '@arbiter/read-models/runner';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import type { DeadlineFirer, FireOutcome } from './firing';
import { registerDeadlineMetrics } from './metrics';
import { DeadlinesHarness, types } from './testing/harness';

const START = '2026-03-07T00:00:00.000Z';
const LEASE_MS = 30_000;

/** The real firer, counting what it was asked to fire and what came of it. */
function counting(inner: DeadlineFirer) {
  const calls: { commandId: string; outcome: FireOutcome }[] = [];
  const firer: DeadlineFirer = {
    async fire(due) {
      const outcome = await inner.fire(due);
      calls.push({ commandId: due.commandId, outcome });
      return outcome;
    },
  };
  return { firer, calls };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(readTestDatabases())('deadline scheduler on %s', (_kind, openDatabase) => {
  let h: DeadlinesHarness;
  let runner: ProjectionRunner;
  let n = 0;
  let id: (suffix?: string) => string;

  beforeAll(async () => {
    h = await DeadlinesHarness.open(openDatabase);
    runner = h.startProcessManager();
  });
  afterAll(() => h.close());

  beforeEach(() => {
    h.clock.set(START);
    const test = ++n;
    id = (suffix = '') => `t${test}${suffix}`;
  });
  afterEach(async () => {
    await h.stopSchedulers();
    await h.settle(runner);
    await h.db.execute(sql`DELETE FROM read_models.deadlines`);
  });

  const passed = async (disputeId: string) =>
    (await h.history(disputeId)).filter((e) => e.type === 'DeadlinePassed').length;

  it('fires nothing early, then fires the due deadline once with the system actor', async () => {
    await h.open(id());
    await h.settle(runner);
    const scheduler = h.scheduler();

    h.clock.advanceDays(5);
    h.clock.advance(-1);
    expect(await scheduler.tick()).toEqual({ claimed: 0, fired: 0, failed: 0 });

    h.clock.advance(1);
    expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });
    const history = await h.history(id());
    expect(types(history.slice(1))).toEqual([
      'DeadlinePassed',
      'ProposalAccepted',
      'DisputeResolved',
    ]);
    expect(history[1].metadata).toMatchObject({
      actor: { id: 'deadline-scheduler', role: 'system' },
    });
    expect(history[1].data).toMatchObject({
      kind: 'SELLER_RESPONSE',
      dueAt: '2026-03-12T00:00:00.000Z',
      at: '2026-03-12T00:00:00.000Z',
    });

    // Fired and marked: the next tick leaves it alone; the process manager then removes it.
    expect((await scheduler.tick()).claimed).toBe(0);
    await h.settle(runner, (await h.history(id())).at(-1)!.position);
    expect(await h.rows(id())).toEqual([]);
  });

  it('runs as a loop that wakes when the nearest deadline comes due, without spinning', async () => {
    await h.open(id());
    await h.settle(runner);
    const fires = counting(h.firer());
    const scheduler = h.scheduler({ firer: fires.firer, pollIntervalMs: 60_000 });

    h.clock.advanceDays(5);
    h.clock.advance(-200);
    expect(await scheduler.nextDelayMs()).toBe(201);
    scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fires.calls).toHaveLength(0);

    // The fake clock does not move by itself: move it, and the loop's next look fires it.
    h.clock.advance(200);
    await eventually(async () => fires.calls.length === 1);
    expect(await passed(id())).toBe(1);
    await scheduler.stop();
    expect(scheduler.running).toBe(false);
  });

  it('crash after claiming: the lease keeps others off, then another instance fires it once', async () => {
    await h.open(id());
    await h.settle(runner);
    h.clock.advanceDays(5);

    const crashed = h.scheduler({ owner: 'crashed', leaseMs: LEASE_MS });
    const [claim] = await crashed.claim(10);
    expect(claim).toMatchObject({ disputeId: id(), kind: 'SELLER_RESPONSE', attempts: 1 });
    // ... and the process dies here, before firing.

    const restarted = h.scheduler({
      owner: 'restarted',
      leaseMs: LEASE_MS,
      pollIntervalMs: 10 * 60_000,
    });
    expect((await restarted.tick()).claimed).toBe(0);
    // It sleeps until the lease ends, not in a busy loop.
    expect(await restarted.nextDelayMs()).toBe(LEASE_MS + 1);

    // The fire resolves the dispute and the process manager then deletes the row: paused, so the
    // row read below is the scheduler's bookkeeping and not a race with it (which PostgreSQL and
    // PGlite in its thread both run concurrently).
    await h.runnerPaused(runner, async () => {
      h.clock.advance(LEASE_MS + 1);
      expect(await restarted.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });
      expect(await passed(id())).toBe(1);
      const [row] = await h.rows(id());
      expect(row).toMatchObject({ attempts: 2, claimedBy: 'restarted' });
    });
  });

  it('crash after firing but before marking: the refire carries the same command id and appends nothing', async () => {
    await h.open(id());
    await h.settle(runner);
    h.clock.advanceDays(5);
    const fires = counting(h.firer());

    // The process manager is paused throughout: it has not caught up with the fire either (left
    // running, it deleted the row of the resolved dispute before the restart could claim it).
    await h.runnerPaused(runner, async () => {
      const crashed = h.scheduler({ owner: 'crashed', firer: fires.firer });
      const [claim] = await crashed.claim(10);
      expect(await fires.firer.fire(claim)).toBe('fired');
      const lengthAfterFirst = (await h.history(id())).length;
      // ... dies before recording the fire.

      h.clock.advance(LEASE_MS + 1);
      const restarted = h.scheduler({ owner: 'restarted', firer: fires.firer });
      const [again] = await restarted.claim(10);
      expect(again.commandId).toBe(claim.commandId);
      expect(await restarted.fire(again)).toBe(true);
      expect(fires.calls.map((c) => c.outcome)).toEqual(['fired', 'already-fired']);
      expect((await h.history(id())).length).toBe(lengthAfterFirst);
      expect(await passed(id())).toBe(1);
    });
  });

  it('a stale deadline (state moved on before the process manager caught up) fires as a no-op', async () => {
    await h.open(id());
    await h.settle(runner);
    await h.runnerPaused(runner, async () => {
      h.clock.advanceDays(1);
      await h.counter(id());
      h.clock.advanceDays(5);
      const fires = counting(h.firer());
      expect((await h.scheduler({ firer: fires.firer }).tick()).fired).toBe(1);
      expect(fires.calls.map((c) => c.outcome)).toEqual(['no-op']);
    });
    await h.settle(runner);
    expect((await h.rows(id())).map((r) => r.kind)).toEqual(['NEGOTIATION']);
    expect(await passed(id())).toBe(0);
  });

  it('backs off after a failed fire and retries later', async () => {
    await h.open(id());
    await h.settle(runner);
    h.clock.advanceDays(5);
    let failures = 1;
    const real = h.firer();
    const flaky: DeadlineFirer = {
      fire: (due) =>
        failures-- > 0 ? Promise.reject(new Error('store unavailable')) : real.fire(due),
    };
    const scheduler = h.scheduler({ firer: flaky, retry: { initialDelayMs: 1_000 } });
    expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 0, failed: 1 });
    const [row] = await h.rows(id());
    expect(row.lastError).toBe('store unavailable');
    expect(fromEpochMs(row.claimedUntil!.getTime())).toBe(
      fromEpochMs(h.clock.now().getTime() + 1_000),
    );
    expect((await scheduler.tick()).claimed).toBe(0);

    h.clock.advance(1_001);
    expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });
    expect(await passed(id())).toBe(1);
  });

  it('gives up on a deadline whose fire always throws after the attempt cap: marked failed, not claimed again, counted', async () => {
    await h.open(id());
    await h.settle(runner);
    h.clock.advanceDays(5);
    const broken: DeadlineFirer = { fire: () => Promise.reject(new Error('handler bug')) };
    const errors: string[] = [];
    const scheduler = h.scheduler({
      firer: broken,
      maxAttempts: 3,
      retry: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      logger: {
        log: () => undefined,
        warn: () => undefined,
        error: (message) => void errors.push(message),
      },
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 0, failed: 1 });
      h.clock.advance(1_001);
    }
    const [row] = await h.rows(id());
    expect(row).toMatchObject({
      attempts: 3,
      lastError: 'handler bug',
      claimedUntil: null,
      firedAt: null,
    });
    expect(row.failedAt).not.toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('failed 3 times');

    // Never claimed again, however long it waits, and the loop does not wake for it.
    h.clock.advanceDays(30);
    expect((await scheduler.tick()).claimed).toBe(0);
    expect(await scheduler.nextDelayMs()).toBe(50);
    expect(await passed(id())).toBe(0);

    const registry = new Registry();
    registerDeadlineMetrics(registry, { db: h.db, clock: h.clock, overdueAfterMs: 60_000 });
    expect(await registry.metrics()).toContain(
      'arbiter_deadlines_failed{kind="SELLER_RESPONSE"} 1',
    );
  });

  it('two scheduler instances on two connections fire each of many deadlines exactly once', async () => {
    const disputes = Array.from({ length: 24 }, (_, i) => id(`-${i}`));
    for (const disputeId of disputes) await h.open(disputeId);
    await h.settle(runner);
    h.clock.advanceDays(5);

    const other = await h.database.connectAgain();
    try {
      const fires = counting(h.firer());
      const a = h.scheduler({ owner: 'a', firer: fires.firer, batchSize: 3 });
      const b = h.scheduler({ owner: 'b', firer: fires.firer, batchSize: 3, db: readDbFor(other) });
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);

      expect(ra.claimed + rb.claimed).toBe(disputes.length);
      expect(ra.failed + rb.failed).toBe(0);
      const commandIds = fires.calls.map((c) => c.commandId);
      expect(new Set(commandIds).size).toBe(disputes.length);
      expect(commandIds).toHaveLength(disputes.length);
      expect(fires.calls.every((c) => c.outcome === 'fired')).toBe(true);
      for (const disputeId of disputes) expect(await passed(disputeId)).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('reports scheduled, due and overdue deadlines as gauges', async () => {
    await h.open(id('-a'));
    h.clock.advanceDays(1);
    await h.open(id('-b'));
    await h.settle(runner);
    const registry = new Registry();
    registerDeadlineMetrics(registry, { db: h.db, clock: h.clock, overdueAfterMs: 60_000 });

    h.clock.set('2026-03-12T00:00:30.000Z'); // a due 30 s ago, b due in a day
    let text = await registry.metrics();
    expect(text).toContain('arbiter_deadlines_scheduled{kind="SELLER_RESPONSE"} 2');
    expect(text).toContain('arbiter_deadlines_due{kind="SELLER_RESPONSE"} 1');
    expect(text).toContain('arbiter_deadlines_overdue{kind="SELLER_RESPONSE"} 0');

    h.clock.advance(60_000);
    text = await registry.metrics();
    expect(text).toContain('arbiter_deadlines_overdue{kind="SELLER_RESPONSE"} 1');
  });
});
