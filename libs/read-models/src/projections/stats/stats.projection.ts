import { DISPUTE_EVENT_TYPES, type Dispute } from '@arbiter/disputes';
import { eq, sql } from 'drizzle-orm';
import type { Projection } from '../../projection';
import { disputeStats } from '../../schema';
import { DisputeRows, overwriteFromExcluded, toDate, truncate } from '../shared/dispute-rows';

export const STATS = 'stats';

/**
 * Analysts' statistics: per dispute only codes and instants (status, reason, outcome, how it was
 * reached, opened, closed) — no party ids, no free text. Aggregated on reading.
 */
export function statsProjection(): Projection {
  const rows = new DisputeRows<null>(async (tx, disputeId) => {
    const [row] = await tx
      .select({ state: disputeStats.state, lastRevision: disputeStats.lastRevision })
      .from(disputeStats)
      .where(eq(disputeStats.disputeId, disputeId));
    return row && { state: row.state as Dispute, lastRevision: row.lastRevision, extra: null };
  });
  return {
    name: STATS,
    eventTypes: DISPUTE_EVENT_TYPES,
    async apply(recorded, tx) {
      const step = await rows.step(tx, recorded);
      if (!step) return;
      const { state } = step;
      const closed = state.status === 'CLOSED' && state.closedAt !== null;
      await tx
        .insert(disputeStats)
        .values({
          disputeId: state.disputeId,
          status: state.status,
          reason: state.reason,
          outcome: state.outcome,
          reachedBy: state.reachedBy,
          openedAt: new Date(state.openedAt),
          closedAt: toDate(state.closedAt),
          resolutionMs: closed ? Date.parse(state.closedAt as string) - Date.parse(state.openedAt) : null,
          lastRevision: Number(recorded.revision),
          lastPosition: recorded.position,
          state,
        })
        .onConflictDoUpdate({
          target: disputeStats.disputeId,
          set: overwriteFromExcluded(disputeStats),
          setWhere: sql`${disputeStats.lastRevision} < excluded.last_revision`,
        });
      rows.remember(tx, state.disputeId, { state, lastRevision: Number(recorded.revision), extra: null });
    },
    reset: (tx) => truncate(tx, disputeStats),
  };
}
