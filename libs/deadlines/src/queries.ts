import type { DeadlineConsequence, DeadlineKind, Instant } from '@arbiter/disputes/read-side';
import { fromEpochMs } from '@arbiter/disputes/read-side';
import { type DeadlineRow, deadlines, type ReadExecutor } from '@arbiter/read-models';
import { and, asc, inArray, isNull, sql } from 'drizzle-orm';

/** An armed deadline as views show it. */
export interface ScheduledDeadline {
  readonly disputeId: string;
  readonly kind: DeadlineKind;
  readonly dueAt: Instant;
  readonly requestId: string | null;
  readonly consequence: DeadlineConsequence;
  /** Set once the scheduler has sent its command; the row goes when the resulting event is projected. */
  readonly firedAt: Instant | null;
}

export interface DeadlineCounts {
  /** Armed and not yet fired. */
  scheduled: number;
  /** Of those, due now (the scheduler should be firing them). */
  due: number;
  /** Of those, due for longer than the grace period: the scheduler is behind or failing. */
  overdue: number;
  /** Of those, given up on after the scheduler's attempt cap (see `last_error`). */
  failed: number;
}

const toView = (row: DeadlineRow): ScheduledDeadline => ({
  disputeId: row.disputeId,
  kind: row.kind as DeadlineKind,
  dueAt: fromEpochMs(row.dueAt.getTime()),
  requestId: row.requestId,
  consequence: row.consequence as DeadlineConsequence,
  firedAt: row.firedAt ? fromEpochMs(row.firedAt.getTime()) : null,
});

/** The deadlines of one dispute, earliest first. */
export async function deadlinesOf(
  db: ReadExecutor,
  disputeId: string,
): Promise<ScheduledDeadline[]> {
  return (await nextDeadlines(db, [disputeId], Infinity)).get(disputeId) ?? [];
}

/** Per dispute, its earliest deadline not yet fired (batched for a view listing many disputes). */
export async function nextDeadlineOf(
  db: ReadExecutor,
  disputeIds: readonly string[],
): Promise<Map<string, ScheduledDeadline>> {
  const all = await nextDeadlines(db, disputeIds, 1, true);
  return new Map([...all].map(([id, list]) => [id, list[0]]));
}

async function nextDeadlines(
  db: ReadExecutor,
  disputeIds: readonly string[],
  perDispute: number,
  unfiredOnly = false,
): Promise<Map<string, ScheduledDeadline[]>> {
  const byDispute = new Map<string, ScheduledDeadline[]>();
  if (disputeIds.length === 0) return byDispute;
  const rows = await db
    .select()
    .from(deadlines)
    .where(
      and(
        inArray(deadlines.disputeId, [...disputeIds]),
        unfiredOnly ? isNull(deadlines.firedAt) : undefined,
      ),
    )
    .orderBy(asc(deadlines.dueAt), asc(deadlines.id));
  for (const row of rows) {
    const list = byDispute.get(row.disputeId) ?? [];
    if (list.length < perDispute) list.push(toView(row));
    byDispute.set(row.disputeId, list);
  }
  return byDispute;
}

/** Counts by kind for `/metrics`. */
export async function countDeadlines(
  db: ReadExecutor,
  now: Date,
  overdueAfterMs: number,
): Promise<Map<DeadlineKind, DeadlineCounts>> {
  const overdueBefore = new Date(now.getTime() - overdueAfterMs);
  const result = await db.execute<{
    kind: string;
    scheduled: string;
    due: string;
    overdue: string;
    failed: string;
  }>(sql`
    SELECT kind,
           count(*) AS scheduled,
           count(*) FILTER (WHERE due_at <= ${now.toISOString()}::timestamptz) AS due,
           count(*) FILTER (WHERE due_at <= ${overdueBefore.toISOString()}::timestamptz) AS overdue,
           count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
      FROM read_models.deadlines
     WHERE fired_at IS NULL
     GROUP BY kind`);
  return new Map(
    result.rows.map((row) => [
      row.kind as DeadlineKind,
      {
        scheduled: Number(row.scheduled),
        due: Number(row.due),
        overdue: Number(row.overdue),
        failed: Number(row.failed),
      },
    ]),
  );
}
