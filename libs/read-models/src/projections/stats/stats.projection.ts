import { DISPUTE_EVENT_TYPES, type Dispute } from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import { eq, inArray, sql } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { disputeStats } from '../../schema';
import {
  DisputeRows,
  inChunks,
  overwriteFromExcluded,
  PendingRows,
  toDate,
  truncate,
} from '../shared/dispute-rows';

export const STATS = 'stats';

type Row = typeof disputeStats.$inferInsert;
const columns = {
  disputeId: disputeStats.disputeId,
  state: disputeStats.state,
  lastRevision: disputeStats.lastRevision,
};

/**
 * Analysts' statistics: per dispute only codes and instants (status, reason, outcome, how it was
 * reached, opened, closed) — no party ids, no free text. Aggregated on reading.
 */
export function statsProjection(): Projection {
  const rows = new DisputeRows<null>(
    async (tx, disputeId) => {
      const [row] = await tx
        .select(columns)
        .from(disputeStats)
        .where(eq(disputeStats.disputeId, disputeId));
      return row && { state: row.state as Dispute, lastRevision: row.lastRevision, extra: null };
    },
    async (tx, ids) =>
      new Map(
        (
          await tx.select(columns).from(disputeStats).where(inArray(disputeStats.disputeId, ids))
        ).map((row) => [
          row.disputeId,
          { state: row.state as Dispute, lastRevision: row.lastRevision, extra: null },
        ]),
      ),
  );
  const upsert = (tx: ReadTx, values: Row[]) =>
    inChunks(values, 300, (chunk) =>
      tx
        .insert(disputeStats)
        .values(chunk)
        .onConflictDoUpdate({
          target: disputeStats.disputeId,
          set: overwriteFromExcluded(disputeStats),
          setWhere: sql`${disputeStats.lastRevision} < excluded.last_revision`,
        }),
    );
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    await rows.preload(tx, events);
    const pending = new PendingRows<Row>();
    for (const recorded of events) {
      const step = await rows.step(tx, recorded);
      if (!step) continue;
      const { state } = step;
      const closed = state.status === 'CLOSED' && state.closedAt !== null;
      pending.set(state.disputeId, {
        disputeId: state.disputeId,
        status: state.status,
        reason: state.reason,
        outcome: state.outcome,
        reachedBy: state.reachedBy,
        openedAt: new Date(state.openedAt),
        closedAt: toDate(state.closedAt),
        resolutionMs: closed
          ? Date.parse(state.closedAt as string) - Date.parse(state.openedAt)
          : null,
        lastRevision: Number(recorded.revision),
        lastPosition: recorded.position,
        state,
      });
      rows.remember(tx, state.disputeId, {
        state,
        lastRevision: Number(recorded.revision),
        extra: null,
      });
    }
    await pending.flush((values) => upsert(tx, values));
  };
  return {
    name: STATS,
    eventTypes: DISPUTE_EVENT_TYPES,
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, disputeStats),
  };
}
