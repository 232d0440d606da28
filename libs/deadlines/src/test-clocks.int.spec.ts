import { type DisputeCommand, DEFAULT_POLICY } from '@arbiter/disputes';
import { DisputeStreams } from '@arbiter/disputes/application/dispute-streams';
import { DisputeDeadlines } from '@arbiter/disputes/application/fire-deadline/fire-deadline';
import type { ProjectionRunner } from '@arbiter/read-models/runner';
import { readTestDatabases } from '@arbiter/read-models/testing/read-databases';
import { sql } from 'drizzle-orm';
import { readDbFor } from '@arbiter/read-models';
import { disputeDeadlinesFirer } from './firing';
import { listenForAdvances } from './test-clock-wakeups';
import { TestClockError, TestClocks } from './test-clocks';
import { buyer, DeadlinesHarness, FULL, orderFacts, types } from './testing/harness';

const DAY = 86_400_000;
const CLOCK_START = new Date('2031-06-01T12:00:00.000Z');

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const codeOf = (error: unknown) => (error as TestClockError).code;

describe.each(readTestDatabases())('test clocks and the scheduler on %s', (_kind, openDatabase) => {
  let h: DeadlinesHarness;
  let runner: ProjectionRunner;
  let clocks: TestClocks;
  let streams: DisputeStreams;
  let n = 0;

  beforeAll(async () => {
    h = await DeadlinesHarness.open(openDatabase);
    runner = h.startProcessManager();
    clocks = new TestClocks({ db: h.db, clock: h.clock, enabled: true });
    streams = new DisputeStreams(h.store, h.clock, DEFAULT_POLICY, clocks);
  });
  afterAll(() => h.close());
  afterEach(async () => {
    await h.stopSchedulers();
    await h.settle(runner);
    await h.db.execute(sql`DELETE FROM read_models.deadlines`);
  });

  /** What the apps bind: the command side's DisputeDeadlines, dating by test clocks too. */
  const firer = () => disputeDeadlinesFirer(new DisputeDeadlines(streams));

  /** Opens a dispute through the command side, under `testClockId` (its order's clock) if given. */
  async function open(testClockId?: string): Promise<string> {
    const disputeId = `tc${++n}`;
    // Shipped the day before, within its protection period by the time the dispute is dated by.
    const at = (testClockId ? await clocks.timeOf(testClockId) : h.clock.now()).getTime();
    await streams.dispute(
      disputeId,
      { actor: buyer, commandId: `open-${disputeId}` },
      (metadata): DisputeCommand => ({
        type: 'OpenDispute',
        data: {
          disputeId,
          proposalId: `${disputeId}-p`,
          reason: 'NOT_AS_DESCRIBED',
          description: 'The colour is wrong',
          claim: FULL,
          order: {
            ...orderFacts(disputeId),
            shippedAt: new Date(at - DAY).toISOString(),
            deliveryDeadline: new Date(at + 5 * DAY).toISOString(),
          },
        },
        metadata,
      }),
      { testClockId },
    );
    await h.settle(runner);
    return disputeId;
  }

  it('dates a test-clock dispute by its clock and fires its deadline only when the clock passes it', async () => {
    const clock = await clocks.create({ createdBy: 'platform', frozenTime: CLOCK_START });
    const disputeId = await open(clock.id);
    const opened = await h.history(disputeId);
    expect(opened[0].metadata).toMatchObject({ testClockId: clock.id });
    expect((opened[0].data as { at: string }).at).toBe(CLOCK_START.toISOString());
    const [row] = await h.rows(disputeId);
    expect(row).toMatchObject({ testClockId: clock.id, kind: 'SELLER_RESPONSE' });
    expect(row.dueAt.toISOString()).toBe(new Date(CLOCK_START.getTime() + 5 * DAY).toISOString());

    // Real time passing (years of it) does nothing to it: its clock stands still.
    h.clock.set('2040-01-01T00:00:00.000Z');
    const scheduler = h.scheduler({ firer: firer() });
    expect(await scheduler.tick()).toMatchObject({ claimed: 0 });

    await clocks.advance(clock.id, new Date(CLOCK_START.getTime() + 5 * DAY - 1));
    expect(await scheduler.tick()).toMatchObject({ claimed: 0 });
    await clocks.advance(clock.id, new Date(CLOCK_START.getTime() + 5 * DAY));
    expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });

    const history = await h.history(disputeId);
    expect(types(history.slice(1))).toEqual([
      'DeadlinePassed',
      'ProposalAccepted',
      'DisputeResolved',
    ]);
    // The fire is dated by the clock and records it, like every event of the dispute.
    expect((history[1].data as { at: string }).at).toBe(
      new Date(CLOCK_START.getTime() + 5 * DAY).toISOString(),
    );
    for (const event of history) expect(event.metadata.testClockId).toBe(clock.id);
  });

  it('leaves a dispute on the real clock alone when a test clock moves', async () => {
    h.clock.set('2026-03-07T00:00:00.000Z');
    const clock = await clocks.create({ createdBy: 'platform', frozenTime: CLOCK_START });
    const disputeId = await open();
    const opened = await h.history(disputeId);
    expect(opened[0].metadata.testClockId).toBeUndefined();
    expect((opened[0].data as { at: string }).at).toBe('2026-03-07T00:00:00.000Z');
    expect((await h.rows(disputeId))[0].testClockId).toBeNull();

    await clocks.advance(clock.id, new Date('2099-01-01T00:00:00.000Z'));
    expect(await h.scheduler({ firer: firer() }).tick()).toMatchObject({ claimed: 0 });
    expect(types(await h.history(disputeId))).toEqual(['DisputeOpened']);
  });

  it('wakes this process’s scheduler at once, and one in another process through the database', async () => {
    const clock = await clocks.create({ createdBy: 'platform', frozenTime: CLOCK_START });
    const here = await open(clock.id);
    // Its poll is an hour: only the advance's wake-up can make it fire within the test.
    const local = h.scheduler({ firer: firer(), pollIntervalMs: 3_600_000 });
    const stopWaking = clocks.onAdvance(() => local.wake());
    local.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await clocks.advance(clock.id, new Date(CLOCK_START.getTime() + 6 * DAY));
    await eventually(async () => (await h.history(here)).length > 1, 5_000);
    stopWaking();
    await local.stop();

    // Another process (its own connection; on PGlite the same instance): its scheduler polls
    // hourly too and hears of the advance only through the database's notice.
    const other = await clocks.create({ createdBy: 'platform', frozenTime: CLOCK_START });
    const there = await open(other.id);
    const connection = await h.database.connectAgain();
    const elsewhere = h.scheduler({
      db: readDbFor(connection),
      firer: firer(),
      pollIntervalMs: 3_600_000,
    });
    elsewhere.start();
    const stopListening = await listenForAdvances(connection, () => elsewhere.wake());
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await clocks.advance(other.id, new Date(CLOCK_START.getTime() + 6 * DAY));
      await eventually(async () => (await h.history(there)).length > 1, 5_000);
    } finally {
      await stopListening();
      await elsewhere.stop();
      if (connection !== h.database.connection && h.database.kind === 'postgres')
        await connection.close();
    }
  });

  it('moves forwards only, and refuses unknown clocks and a disabled deployment with stable codes', async () => {
    const clock = await clocks.create({ createdBy: 'platform', frozenTime: CLOCK_START });
    await expect(clocks.advance(clock.id, new Date(CLOCK_START.getTime() - 1))).rejects.toThrow(
      TestClockError,
    );
    expect(
      codeOf(await clocks.advance(clock.id, new Date(0)).catch((error: unknown) => error)),
    ).toBe('TEST_CLOCK_CANNOT_GO_BACK');
    expect((await clocks.advance(clock.id, CLOCK_START)).frozenTime).toEqual(CLOCK_START);
    // Relative moves add up, each in one statement.
    await Promise.all([1, 2, 3].map(() => clocks.advance(clock.id, { byMs: 90_000 })));
    expect(await clocks.timeOf(clock.id)).toEqual(new Date(CLOCK_START.getTime() + 270_000));
    expect(codeOf(await clocks.timeOf('nope').catch((error: unknown) => error))).toBe(
      'TEST_CLOCK_NOT_FOUND',
    );
    expect(codeOf(await clocks.advance('nope', CLOCK_START).catch((error: unknown) => error))).toBe(
      'TEST_CLOCK_NOT_FOUND',
    );
    // The same idempotency key of the same account is the same clock.
    const again = { createdBy: 'platform', idempotencyKey: `k${n}`, frozenTime: CLOCK_START };
    expect((await clocks.create(again)).id).toBe((await clocks.create(again)).id);

    const off = new TestClocks({ db: h.db, clock: h.clock, enabled: false });
    expect(codeOf(await off.get(clock.id).catch((error: unknown) => error))).toBe(
      'TEST_CLOCKS_DISABLED',
    );
    // A stream under a test clock where none are bound (production) is refused, not re-dated.
    const unbound = new DisputeStreams(h.store, h.clock, DEFAULT_POLICY);
    await expect(unbound.nowFor(clock.id)).rejects.toMatchObject({ code: 'TEST_CLOCKS_DISABLED' });
  });
});
