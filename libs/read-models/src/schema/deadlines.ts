import { bigint, index, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { readModels } from './checkpoints';

/**
 * The deadline process manager's tables (owned by libs/deadlines).
 *
 * `deadline_dispute_states`: each dispute's staff view as the domain's `evolveView` left it (the
 * same fold every read model uses, never the decider's state), so the process manager folds the
 * next event without reading the event store inside its transaction. `last_position` guards
 * replays.
 *
 * `deadlines`: every deadline the domain has armed and that has not passed yet — exactly
 * `pendingDeadlinesOf(view)` per dispute. `id` is the deterministic command id of firing it, so
 * the row, its lease and the command the scheduler sends are one and the same thing.
 * A scheduler claims due rows with a lease (`claimed_until`); `fired_at` marks a fire that went
 * through, until the process manager removes the row when the resulting event arrives.
 * `failed_at` marks a deadline whose fire kept failing: it stays (for operators and the
 * `arbiter_deadlines_failed` gauge) until a re-arm with a new dueAt replaces the row.
 */
export const deadlineDisputeStates = readModels.table('deadline_dispute_states', {
  disputeId: text('dispute_id').primaryKey(),
  view: jsonb('view').notNull(),
  lastPosition: bigint('last_position', { mode: 'bigint' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const deadlines = readModels.table(
  'deadlines',
  {
    id: text('id').primaryKey(),
    disputeId: text('dispute_id').notNull(),
    kind: text('kind').notNull(),
    /** EVIDENCE_REQUEST deadlines only. */
    requestId: text('request_id'),
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }).notNull(),
    /** What happens when it passes (the domain's DeadlineConsequence). */
    consequence: text('consequence').notNull(),
    /** The log position of the event that armed it. */
    armedPosition: bigint('armed_position', { mode: 'bigint' }).notNull(),
    claimedUntil: timestamp('claimed_until', { withTimezone: true, precision: 3 }),
    claimedBy: text('claimed_by'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    firedAt: timestamp('fired_at', { withTimezone: true, precision: 3 }),
    /** Set when the scheduler gave up after its attempt cap; `last_error` says why. Never claimed again. */
    failedAt: timestamp('failed_at', { withTimezone: true, precision: 3 }),
    /**
     * Staging: the test clock the dispute is dated by (from its events' metadata). Such a row is
     * due when that clock's `frozen_time` passes `due_at`, not the real time.
     */
    testClockId: text('test_clock_id'),
  },
  (table) => [
    index('deadlines_dispute_idx').on(table.disputeId),
    index('deadlines_due_idx').on(table.dueAt),
    // Staging only: the scheduler's claim by test clock finds its few rows without a scan.
    index('deadlines_test_clock_idx')
      .on(table.testClockId)
      .where(sql`${table.testClockId} IS NOT NULL`),
  ],
);

export type DeadlineRow = typeof deadlines.$inferSelect;
