import { createHash, randomUUID } from 'node:crypto';
import type { Clock, TestClockTime } from '@arbiter/platform/clock';
import { type ReadDb, testClocks, type TestClockRow } from '@arbiter/read-models';
import { and, eq, lte, sql } from 'drizzle-orm';
import { TEST_CLOCK_CHANNEL } from './test-clock-wakeups';

export type TestClockErrorCode =
  'TEST_CLOCKS_DISABLED' | 'TEST_CLOCK_NOT_FOUND' | 'TEST_CLOCK_CANNOT_GO_BACK';

/**
 * A refusal with a stable code, shaped as the domain's errors are (named `DomainError`, a string
 * `code`) so the edge maps it like one; the codes are in the domain's list.
 */
export class TestClockError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: TestClockErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}

export interface TestClock {
  readonly id: string;
  readonly name: string | null;
  /** The time orders and disputes under this clock are dated by. */
  readonly frozenTime: Date;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface TestClocksOptions {
  db: ReadDb;
  /** The process's clock: a new test clock starts at its time unless told otherwise. */
  clock: Clock;
  /** Off in production (`TEST_CLOCKS` of the config): every operation is refused. */
  enabled: boolean;
}

const toClock = (row: TestClockRow): TestClock => ({ ...row });

/**
 * Staging's test clocks, kept in `read_models.test_clocks`: a time that stands still until a
 * platform moves it forwards. The command side asks `timeOf` (through the platform's
 * `TEST_CLOCKS` port) to date a command on a stream placed under a clock; the scheduler compares
 * such a stream's deadlines with the clock's `frozen_time` in SQL. Advancing wakes this
 * process's scheduler at once (`onAdvance`) and announces itself on the database
 * (`NOTIFY arbiter_test_clocks`), which a scheduler in another process hears through
 * `listenForAdvances`; should the notice be lost, that scheduler finds the newly due rows on its
 * next poll.
 */
export class TestClocks implements TestClockTime {
  private readonly listeners = new Set<(clock: TestClock) => void>();

  constructor(private readonly options: TestClocksOptions) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /**
   * A new clock, at `frozenTime` (default: now). With an idempotency key the same key of the same
   * account names the same clock, so a retried creation returns it instead of making another.
   */
  async create(input: {
    createdBy: string;
    frozenTime?: Date;
    name?: string | null;
    idempotencyKey?: string;
  }): Promise<TestClock> {
    this.requireEnabled();
    const id = input.idempotencyKey
      ? uuidFrom(`test-clock:${input.createdBy}:${input.idempotencyKey}`)
      : randomUUID();
    const frozenTime = new Date((input.frozenTime ?? this.options.clock.now()).getTime());
    await this.options.db
      .insert(testClocks)
      .values({ id, name: input.name ?? null, frozenTime, createdBy: input.createdBy })
      .onConflictDoNothing({ target: testClocks.id });
    return (await this.get(id)) as TestClock;
  }

  /** The clock, or null when there is none by that id. */
  async get(id: string): Promise<TestClock | null> {
    this.requireEnabled();
    const [row] = await this.options.db.select().from(testClocks).where(eq(testClocks.id, id));
    return row ? toClock(row) : null;
  }

  async timeOf(id: string): Promise<Date> {
    const clock = await this.get(id);
    if (clock === null) throw new TestClockError('TEST_CLOCK_NOT_FOUND');
    return clock.frozenTime;
  }

  /**
   * Moves the clock to `to`, or forwards `by` milliseconds, never back: what it dated stays in
   * the past (a second advance to the same time changes nothing). One conditional statement, so
   * concurrent advances neither move it backwards nor lose one another's `by`.
   */
  async advance(id: string, move: Date | { byMs: number }): Promise<TestClock> {
    this.requireEnabled();
    const target =
      move instanceof Date
        ? sql`${move.toISOString()}::timestamptz`
        : sql`${testClocks.frozenTime} + make_interval(secs => ${Math.max(0, move.byMs) / 1000})`;
    const [row] = await this.options.db
      .update(testClocks)
      .set({ frozenTime: sql`${target}`, updatedAt: sql`now()` })
      .where(and(eq(testClocks.id, id), lte(testClocks.frozenTime, sql`${target}`)))
      .returning();
    if (!row) {
      const current = await this.get(id);
      if (current === null) throw new TestClockError('TEST_CLOCK_NOT_FOUND');
      throw new TestClockError(
        'TEST_CLOCK_CANNOT_GO_BACK',
        `The test clock is at ${current.frozenTime.toISOString()}; it only moves forwards`,
      );
    }
    const clock = toClock(row);
    for (const listener of this.listeners) listener(clock);
    // Other processes' schedulers (the worker) hear of it through the database. Best effort: the
    // advance is committed; a lost notice only leaves them to their next poll.
    await this.options.db
      .execute(sql`SELECT pg_notify(${TEST_CLOCK_CHANNEL}, ${clock.id})`)
      .catch(() => undefined);
    return clock;
  }

  /** Called after every advance in this process (the scheduler's `wake`); returns the unsubscribe. */
  onAdvance(listener: (clock: TestClock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private requireEnabled(): void {
    if (!this.options.enabled) {
      throw new TestClockError(
        'TEST_CLOCKS_DISABLED',
        'Test clocks are disabled in this deployment (never available in production)',
      );
    }
  }
}

/** A name-based uuid (SHA-1, version 5 layout): the same name always gives the same id. */
function uuidFrom(name: string): string {
  const hash = createHash('sha1').update('arbiter:').update(name).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
