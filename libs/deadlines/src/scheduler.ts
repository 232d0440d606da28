import { hostname } from 'node:os';
import type { DeadlineKind } from '@arbiter/disputes/read-side';
import { fromEpochMs } from '@arbiter/disputes/read-side';
import type { Clock } from '@arbiter/platform';
import { exponentialDelay } from '@arbiter/platform/backoff';
import type { ReadDb, RunnerLogger } from '@arbiter/read-models';
import { sql } from 'drizzle-orm';
import { ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import { ATTR, inSpan, linkTo, markFailed } from '@arbiter/platform/tracing';
import type { DeadlineFirer, DueDeadline, FireOutcome } from './firing';

export interface DeadlineSchedulerOptions {
  db: ReadDb;
  firer: DeadlineFirer;
  clock: Clock;
  /** The longest the loop sleeps; it wakes earlier when the nearest deadline comes due. */
  pollIntervalMs?: number;
  /** How long a claim keeps other schedulers off a deadline; longer than a fire ever takes. */
  leaseMs?: number;
  /** Deadlines claimed per statement. */
  batchSize?: number;
  /** Backoff after a failed fire: initial * 2^(attempts-1), capped. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Fire attempts (claims) after which a deadline whose fire keeps throwing is marked failed and
   * left alone, instead of being retried forever; default 10. A re-arm (new dueAt) starts afresh.
   */
  maxAttempts?: number;
  /** Shown in `claimed_by`; default host:pid plus a per-instance suffix. */
  owner?: string;
  logger?: RunnerLogger;
  /**
   * The event at a log position (the store's `readAll`): read only while tracing records, to link
   * a fire's span to the trace of the command whose event armed the deadline.
   */
  eventAt?: (position: bigint) => Promise<{ metadata: Record<string, unknown> } | undefined>;
  /** Called after every fire attempt (metrics). */
  onFired?: (due: ClaimedDeadline, outcome: FireOutcome | 'failed') => void;
}

export interface ClaimedDeadline extends DueDeadline {
  readonly kind: DeadlineKind;
  /** Claims of this deadline so far, this one included. */
  readonly attempts: number;
  /** The log position of the event that armed it. */
  readonly armedPosition?: bigint;
}

export interface TickResult {
  claimed: number;
  fired: number;
  failed: number;
}

interface ClaimRow extends Record<string, unknown> {
  id: string;
  dispute_id: string;
  kind: string;
  request_id: string | null;
  due_at: string | Date;
  attempts: number;
  armed_position: string | bigint;
}

let instances = 0;

/**
 * Fires due deadlines as system commands. A claim is one short statement that leases due rows
 * (`FOR UPDATE SKIP LOCKED`, so concurrent schedulers take disjoint rows) and commits before
 * anything is fired; the fire runs outside any read-DB transaction (on PGlite a transaction holds
 * the only connection). A scheduler that dies after claiming leaves a lease that expires, and
 * whoever claims next sends the same command id: the stream already has it, nothing is appended
 * twice. Fired rows stay (marked) until the process manager removes them on the resulting event.
 */
export class DeadlineScheduler {
  private readonly db: ReadDb;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly maxAttempts: number;
  readonly owner: string;
  private readonly logger: RunnerLogger | undefined;

  private loop: Promise<void> | undefined;
  private stopping = false;
  private sleeping: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private wakeRequested = false;

  constructor(private readonly options: DeadlineSchedulerOptions) {
    this.db = options.db;
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.batchSize = options.batchSize ?? 50;
    this.retryInitialMs = options.retry?.initialDelayMs ?? 1_000;
    this.retryMaxMs = options.retry?.maxDelayMs ?? 5 * 60_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 10);
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${++instances}`;
    this.logger = options.logger;
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Lets an in-flight tick finish (its claims are either fired or left to expire). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  /** Look again now (e.g. after the clock moved, or a new deadline was stored). */
  wake(): void {
    this.wakeRequested = true;
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
  }

  /** Claims and fires everything due now, batch after batch. */
  async tick(): Promise<TickResult> {
    const total: TickResult = { claimed: 0, fired: 0, failed: 0 };
    for (;;) {
      const claimed = await this.claim(this.batchSize);
      total.claimed += claimed.length;
      const outcomes = await Promise.all(claimed.map((due) => this.fire(due)));
      total.fired += outcomes.filter((ok) => ok).length;
      total.failed += outcomes.filter((ok) => !ok).length;
      if (claimed.length < this.batchSize || this.stopping) return total;
    }
  }

  /** Leases up to `limit` due deadlines to this scheduler; committed when it returns. */
  async claim(limit: number): Promise<ClaimedDeadline[]> {
    const now = this.options.clock.now();
    const leaseEnd = new Date(now.getTime() + this.leaseMs);
    const at = sql`${now.toISOString()}::timestamptz`;
    // Two claims in one statement: deadlines by the real clock (the due-time index, as ever) and,
    // in staging, those of test clocks by their clock's frozen time (the partial index on
    // test_clock_id: production has no such rows, so that side costs one empty index probe).
    const result = await this.db.execute<ClaimRow>(sql`
      WITH by_real_clock AS (
         SELECT id FROM read_models.deadlines
          WHERE due_at <= ${at}
            AND test_clock_id IS NULL
            AND fired_at IS NULL
            AND failed_at IS NULL
            AND (claimed_until IS NULL OR claimed_until < ${at})
          ORDER BY due_at, id
          LIMIT ${limit}
            FOR UPDATE SKIP LOCKED),
      by_test_clock AS (
         SELECT dl.id FROM read_models.deadlines AS dl
           JOIN read_models.test_clocks AS tc ON tc.id = dl.test_clock_id
          WHERE dl.test_clock_id IS NOT NULL
            AND dl.due_at <= tc.frozen_time
            AND dl.fired_at IS NULL
            AND dl.failed_at IS NULL
            AND (dl.claimed_until IS NULL OR dl.claimed_until < ${at})
          ORDER BY dl.due_at, dl.id
          LIMIT ${limit}
            FOR UPDATE OF dl SKIP LOCKED)
      UPDATE read_models.deadlines AS d
         SET claimed_until = ${leaseEnd.toISOString()}::timestamptz,
             claimed_by = ${this.owner},
             attempts = d.attempts + 1
       WHERE d.id IN (SELECT id FROM by_real_clock UNION ALL SELECT id FROM by_test_clock)
      RETURNING d.id, d.dispute_id, d.kind, d.request_id, d.due_at, d.attempts, d.armed_position`);
    return result.rows
      .map((row) => ({
        commandId: row.id,
        disputeId: row.dispute_id,
        kind: row.kind as DeadlineKind,
        deadline: {
          kind: row.kind as DeadlineKind,
          dueAt: fromEpochMs(new Date(row.due_at).getTime()),
          requestId: row.request_id,
        },
        attempts: Number(row.attempts),
        armedPosition: BigInt(row.armed_position),
      }))
      .sort((a, b) => a.deadline.dueAt.localeCompare(b.deadline.dueAt));
  }

  /**
   * Sends one claimed deadline's command and records how it went; true when it went through.
   * Its span starts a trace of its own, linked to the command whose event armed the deadline: the
   * fire comes hours or days later, often in another process, and a parent would stretch the
   * mutation's trace over all that time. The command it sends is its child.
   */
  fire(due: ClaimedDeadline): Promise<boolean> {
    return inSpan(
      `deadline ${due.deadline.kind}`,
      {
        parent: ROOT_CONTEXT,
        attributes: {
          [ATTR.deadlineKind]: due.deadline.kind,
          [ATTR.disputeId]: due.disputeId,
          ...(due.armedPosition === undefined
            ? {}
            : { [ATTR.position]: due.armedPosition.toString() }),
        },
      },
      async (span) => {
        if (span.isRecording()) await this.linkToArming(span, due);
        const fired = await this.fireInSpan(due, span);
        return fired;
      },
    );
  }

  private async linkToArming(span: Span, due: ClaimedDeadline): Promise<void> {
    if (due.armedPosition === undefined || !this.options.eventAt) return;
    try {
      const arming = await this.options.eventAt(due.armedPosition);
      const link = linkTo(arming?.metadata.trace);
      if (link) span.addLink(link);
    } catch {
      // Only the link is lost: the deadline still fires.
    }
  }

  private async fireInSpan(due: ClaimedDeadline, span: Span): Promise<boolean> {
    let outcome: FireOutcome;
    try {
      outcome = await this.options.firer.fire(due);
      span.setAttribute(ATTR.deadlineOutcome, outcome);
    } catch (error) {
      markFailed(span, error);
      span.setAttribute(ATTR.deadlineOutcome, 'failed');
      const message = error instanceof Error ? error.message : String(error);
      if (due.attempts >= this.maxAttempts) {
        // Retrying a fire that always throws only burns a slot in every tick: park the row where
        // operators see it (gauge, last_error). Only a re-arm with a new dueAt (a new row) revives it.
        this.logger?.error(
          `Deadline ${due.deadline.kind} of dispute ${due.disputeId} (due ${due.deadline.dueAt}) failed ${due.attempts} times; giving up, marked failed: ${message}`,
        );
        await this.db.execute(sql`
          UPDATE read_models.deadlines
             SET failed_at = ${this.options.clock.now().toISOString()}::timestamptz, claimed_until = NULL,
                 last_error = ${message.slice(0, 2000)}
           WHERE id = ${due.commandId} AND claimed_by = ${this.owner} AND fired_at IS NULL`);
        this.options.onFired?.(due, 'failed');
        return false;
      }
      const delay = exponentialDelay(due.attempts, {
        initialMs: this.retryInitialMs,
        maxMs: this.retryMaxMs,
      });
      const retryAt = new Date(this.options.clock.now().getTime() + delay);
      this.logger?.warn(
        `Deadline ${due.deadline.kind} of dispute ${due.disputeId} (due ${due.deadline.dueAt}) failed, attempt ${due.attempts}; retry at ${retryAt.toISOString()}: ${message}`,
      );
      await this.db.execute(sql`
        UPDATE read_models.deadlines
           SET claimed_until = ${retryAt.toISOString()}::timestamptz, last_error = ${message.slice(0, 2000)}
         WHERE id = ${due.commandId} AND claimed_by = ${this.owner} AND fired_at IS NULL`);
      this.options.onFired?.(due, 'failed');
      return false;
    }
    await this.db.execute(sql`
      UPDATE read_models.deadlines
         SET fired_at = ${this.options.clock.now().toISOString()}::timestamptz, claimed_until = NULL, last_error = NULL
       WHERE id = ${due.commandId}`);
    this.options.onFired?.(due, outcome);
    return true;
  }

  /** How long to sleep: until the nearest deadline (or lease) comes due, at most the poll interval. */
  async nextDelayMs(): Promise<number> {
    const result = await this.db.execute<
      { next: string | Date | null } & Record<string, unknown>
    >(sql`
      SELECT least(
        (SELECT min(greatest(due_at, coalesce(claimed_until, due_at)))
           FROM read_models.deadlines
          WHERE fired_at IS NULL AND failed_at IS NULL AND test_clock_id IS NULL),
        -- A test clock's deadline is due (now, or when its lease ends) once its clock passed it;
        -- until then only an advance makes it due, and an advance here wakes the loop.
        (SELECT min(coalesce(dl.claimed_until, ${this.options.clock.now().toISOString()}::timestamptz))
           FROM read_models.deadlines AS dl
           JOIN read_models.test_clocks AS tc ON tc.id = dl.test_clock_id
          WHERE dl.test_clock_id IS NOT NULL AND dl.fired_at IS NULL AND dl.failed_at IS NULL
            AND dl.due_at <= tc.frozen_time)) AS next`);
    const next = result.rows[0]?.next;
    if (next === null || next === undefined) return this.pollIntervalMs;
    // A lease ends at claimed_until; it is claimable strictly after, hence the extra millisecond.
    const untilDue = new Date(next).getTime() + 1 - this.options.clock.now().getTime();
    return Math.max(0, Math.min(this.pollIntervalMs, untilDue));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      let delay = this.pollIntervalMs;
      try {
        await this.tick();
        delay = await this.nextDelayMs();
      } catch (error) {
        this.logger?.error(
          `Deadline scheduler: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      // Never spin: a clock that stands still (tests) or rows claimable "now" that another
      // scheduler just took still cost at least a short pause.
      if (!this.stopping && !this.wakeRequested) await this.sleep(Math.max(delay, 10));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = {
        timer,
        resolve: () => {
          this.sleeping = undefined;
          resolve();
        },
      };
    });
  }
}
