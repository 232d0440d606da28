import { DISPUTE_EVENT_TYPES, type Dispute, visibleEventFor } from '@arbiter/disputes';
import { eq, sql } from 'drizzle-orm';
import type { Projection } from '../../projection';
import { buyerDisputes } from '../../schema';
import { type CaseFile, emptyCaseFile, foldCaseFile } from '../shared/case-file';
import { disputeRowValues } from '../shared/dispute-row-values';
import { DisputeRows, overwriteFromExcluded, truncate } from '../shared/dispute-rows';

export const BUYER_VIEW = 'buyer-view';

/**
 * "My disputes" for buyers: one row per dispute with the state and the buyer's case file (every
 * event a party may see — both sides' proposals, messages and evidence, decisions — never an
 * internal note or a staff id).
 */
export function buyerViewProjection(): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(async (tx, disputeId) => {
    const [row] = await tx
      .select({ state: buyerDisputes.state, file: buyerDisputes.file, lastRevision: buyerDisputes.lastRevision })
      .from(buyerDisputes)
      .where(eq(buyerDisputes.disputeId, disputeId));
    return row && { state: row.state as Dispute, lastRevision: row.lastRevision, extra: { file: row.file as CaseFile } };
  });
  return {
    name: BUYER_VIEW,
    eventTypes: DISPUTE_EVENT_TYPES,
    async apply(recorded, tx) {
      const step = await rows.step(tx, recorded);
      if (!step) return;
      const { state, before } = step;
      const previous = before?.extra.file ?? emptyCaseFile();
      const visible = visibleEventFor('buyer', step.event);
      const file = visible ? foldCaseFile(previous, visible) : previous;
      await tx
        .insert(buyerDisputes)
        .values(disputeRowValues(state, file, recorded, state.deadline?.dueAt ?? null))
        .onConflictDoUpdate({
          target: buyerDisputes.disputeId,
          set: overwriteFromExcluded(buyerDisputes),
          setWhere: sql`${buyerDisputes.lastRevision} < excluded.last_revision`,
        });
      rows.remember(tx, state.disputeId, { state, lastRevision: Number(recorded.revision), extra: { file } });
    },
    reset: (tx) => truncate(tx, buyerDisputes),
  };
}
