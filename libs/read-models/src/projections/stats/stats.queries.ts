import { count, isNotNull, sql } from 'drizzle-orm';
import type { ReadDb } from '../../database';
import { disputeStats } from '../../schema';
import { allOf, type DisputeListFilter, filterConditions } from '../shared/filters';

export interface Count {
  key: string;
  count: number;
}

export interface DisputeStatistics {
  total: number;
  byStatus: Count[];
  byReason: Count[];
  /** Closed and cancelled disputes by outcome. */
  byOutcome: Count[];
  /** Median of opening → closing over CLOSED disputes; null when none closed. */
  medianResolutionMs: number | null;
  resolvedCount: number;
}

/** Aggregates for analysts over disputes opened in the filter's range (codes only, no personal data). */
export async function disputeStatistics(
  db: ReadDb,
  filter: DisputeListFilter = {},
): Promise<DisputeStatistics> {
  const where = allOf(filterConditions(disputeStats, filter));
  const groupBy = async (
    column: typeof disputeStats.status | typeof disputeStats.reason | typeof disputeStats.outcome,
  ) => {
    const rows = await db
      .select({ key: column, count: count() })
      .from(disputeStats)
      .where(allOf([...filterConditions(disputeStats, filter), isNotNull(column)]))
      .groupBy(column)
      .orderBy(column);
    return rows.map((row) => ({ key: String(row.key), count: Number(row.count) }));
  };
  const [byStatus, byReason, byOutcome] = [
    await groupBy(disputeStats.status),
    await groupBy(disputeStats.reason),
    await groupBy(disputeStats.outcome),
  ];
  const [median] = await db
    .select({
      total: count(),
      resolved: count(disputeStats.resolutionMs),
      median: sql<
        string | null
      >`percentile_cont(0.5) within group (order by ${disputeStats.resolutionMs})`,
    })
    .from(disputeStats)
    .where(where);
  return {
    total: Number(median.total),
    byStatus,
    byReason,
    byOutcome,
    medianResolutionMs: median.median === null ? null : Number(median.median),
    resolvedCount: Number(median.resolved),
  };
}
