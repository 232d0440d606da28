import {
  DISPUTE_EVENT_TYPES,
  type Dispute,
  type OrderPlaced,
  type Outcome,
  type ReachedBy,
  visibleEventFor,
} from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import { eq, inArray, sql } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { sellerDisputes, sellerOrders } from '../../schema';
import { type CaseFile, emptyCaseFile, foldCaseFile } from '../shared/case-file';
import { disputeRowValues } from '../shared/dispute-row-values';
import {
  disputeEventsOf,
  DisputeRows,
  inChunks,
  type KnownDispute,
  overwriteFromExcluded,
  PendingRows,
  toDate,
  truncate,
} from '../shared/dispute-rows';

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

type Row = typeof sellerDisputes.$inferInsert;
type OrderRow = typeof sellerOrders.$inferInsert;
const columns = {
  disputeId: sellerDisputes.disputeId,
  state: sellerDisputes.state,
  file: sellerDisputes.file,
  lastRevision: sellerDisputes.lastRevision,
};
const known = (row: {
  state: unknown;
  file: unknown;
  lastRevision: number;
}): KnownDispute<{ file: CaseFile }> => ({
  state: row.state as Dispute,
  lastRevision: row.lastRevision,
  extra: { file: row.file as CaseFile },
});

/**
 * Disputes on the seller's orders, shaped like the buyer's view, plus what the 30-day metrics
 * count: each dispute's escalation and at-fault outcome, and the seller's orders (OrderPlaced).
 */
export function sellerViewProjection(): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(
    async (tx, disputeId) => {
      const [row] = await tx
        .select(columns)
        .from(sellerDisputes)
        .where(eq(sellerDisputes.disputeId, disputeId));
      return row && known(row);
    },
    async (tx, ids) =>
      new Map(
        (
          await tx
            .select(columns)
            .from(sellerDisputes)
            .where(inArray(sellerDisputes.disputeId, ids))
        ).map((row) => [row.disputeId, known(row)]),
      ),
  );
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    await rows.preload(tx, disputeEventsOf(events));
    const orders: OrderRow[] = [];
    const pending = new PendingRows<Row>();
    for (const recorded of events) {
      if (recorded.type === 'OrderPlaced') {
        const { orderId, sellerId, placedAt } = recorded.data as OrderPlaced['data'];
        orders.push({ orderId, sellerId, placedAt: new Date(placedAt) });
        continue;
      }
      const step = await rows.step(tx, recorded);
      if (!step) continue;
      const { state, before } = step;
      const previous = before?.extra.file ?? emptyCaseFile();
      const visible = visibleEventFor('seller', step.event);
      const file = visible ? foldCaseFile(previous, visible) : previous;
      pending.set(state.disputeId, {
        ...disputeRowValues(state, file, recorded, state.deadline?.dueAt ?? null),
        escalatedAt: toDate(file.escalation?.at),
        sellerAtFault: sellerAtFault(state),
      });
      rows.remember(tx, state.disputeId, {
        state,
        lastRevision: Number(recorded.revision),
        extra: { file },
      });
    }
    await inChunks(orders, 1000, (chunk) =>
      tx.insert(sellerOrders).values(chunk).onConflictDoNothing(),
    );
    await pending.flush((values) =>
      inChunks(values, 200, (chunk) =>
        tx
          .insert(sellerDisputes)
          .values(chunk)
          .onConflictDoUpdate({
            target: sellerDisputes.disputeId,
            set: overwriteFromExcluded(sellerDisputes),
            setWhere: sql`${sellerDisputes.lastRevision} < excluded.last_revision`,
          }),
      ),
    );
  };
  return {
    name: SELLER_VIEW,
    eventTypes: [...DISPUTE_EVENT_TYPES, 'OrderPlaced'],
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, sellerDisputes, sellerOrders),
  };
}
