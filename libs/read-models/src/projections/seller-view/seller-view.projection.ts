import {
  DISPUTE_EVENT_TYPES,
  type Dispute,
  type OrderPlaced,
  type Outcome,
  type ReachedBy,
  visibleEventFor,
} from '@arbiter/disputes';
import { eq, sql } from 'drizzle-orm';
import type { Projection } from '../../projection';
import { sellerDisputes, sellerOrders } from '../../schema';
import { type CaseFile, emptyCaseFile, foldCaseFile } from '../shared/case-file';
import { disputeRowValues } from '../shared/dispute-row-values';
import { DisputeRows, overwriteFromExcluded, toDate, truncate } from '../shared/dispute-rows';

export const SELLER_VIEW = 'seller-view';

/** Outcomes that go against the seller, when a mediator or a deadline (not an agreement) reached them. */
const NOT_AGAINST_SELLER: readonly Outcome[] = ['SELLER_FAVOUR', 'CANCELLED_BY_BUYER'];
const IMPOSED: readonly ReachedBy[] = ['MEDIATION', 'APPEAL', 'SELLER_TIMEOUT', 'RETURN_TIMEOUT'];

export function sellerAtFault(state: Dispute): boolean {
  return (
    state.status === 'CLOSED' &&
    state.outcome !== null &&
    !NOT_AGAINST_SELLER.includes(state.outcome) &&
    state.reachedBy !== null &&
    IMPOSED.includes(state.reachedBy)
  );
}

/**
 * Disputes on the seller's orders, shaped like the buyer's view, plus what the 30-day metrics
 * count: each dispute's escalation and at-fault outcome, and the seller's orders (OrderPlaced).
 */
export function sellerViewProjection(): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(async (tx, disputeId) => {
    const [row] = await tx
      .select({ state: sellerDisputes.state, file: sellerDisputes.file, lastRevision: sellerDisputes.lastRevision })
      .from(sellerDisputes)
      .where(eq(sellerDisputes.disputeId, disputeId));
    return row && { state: row.state as Dispute, lastRevision: row.lastRevision, extra: { file: row.file as CaseFile } };
  });
  return {
    name: SELLER_VIEW,
    eventTypes: [...DISPUTE_EVENT_TYPES, 'OrderPlaced'],
    async apply(recorded, tx) {
      if (recorded.type === 'OrderPlaced') {
        const { orderId, sellerId, placedAt } = recorded.data as OrderPlaced['data'];
        await tx.insert(sellerOrders).values({ orderId, sellerId, placedAt: new Date(placedAt) }).onConflictDoNothing();
        return;
      }
      const step = await rows.step(tx, recorded);
      if (!step) return;
      const { state, before } = step;
      const previous = before?.extra.file ?? emptyCaseFile();
      const visible = visibleEventFor('seller', step.event);
      const file = visible ? foldCaseFile(previous, visible) : previous;
      await tx
        .insert(sellerDisputes)
        .values({
          ...disputeRowValues(state, file, recorded, state.deadline?.dueAt ?? null),
          escalatedAt: toDate(file.escalation?.at),
          sellerAtFault: sellerAtFault(state),
        })
        .onConflictDoUpdate({
          target: sellerDisputes.disputeId,
          set: overwriteFromExcluded(sellerDisputes),
          setWhere: sql`${sellerDisputes.lastRevision} < excluded.last_revision`,
        });
      rows.remember(tx, state.disputeId, { state, lastRevision: Number(recorded.revision), extra: { file } });
    },
    reset: (tx) => truncate(tx, sellerDisputes, sellerOrders),
  };
}
