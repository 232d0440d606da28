import {
  DEFAULT_POLICY,
  DISPUTE_EVENT_TYPES,
  type Dispute,
  type DisputePolicy,
  type OrderPlaced,
  pendingDeadlines,
} from '@arbiter/disputes';
import { and, count, eq, gt, lte, sql } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { mediatorBuyerOrders, mediatorCases } from '../../schema';
import { type CaseFile, emptyCaseFile, foldCaseFile } from '../shared/case-file';
import { disputeRowValues } from '../shared/dispute-row-values';
import { DisputeRows, overwriteFromExcluded, toDate, truncate } from '../shared/dispute-rows';

export const MEDIATOR_VIEW = 'mediator-view';

const DAY_MS = 86_400_000;

export interface AbuseSignal {
  flagged: boolean;
  /** The buyer's disputes opened in the window, this one included. */
  disputes: number;
  /** The buyer's orders placed in the window. */
  orders: number;
}

/**
 * DOMAIN.md "Buyer abuse signal": flagged when the buyer's disputes in the window reach the
 * minimum and exceed the ratio of their orders. Pure, so the thresholds are tested on their own.
 */
export function abuseSignal(disputes: number, orders: number, policy: DisputePolicy): AbuseSignal {
  const flagged = disputes >= policy.abuseMinDisputes && disputes > policy.abuseDisputeRatio * orders;
  return { flagged, disputes, orders };
}

/**
 * Counted when the dispute opens, from the rows this projection already has: the log's order
 * makes the answer the same on every replay. The flag stays with the dispute (a signal, never a block).
 */
async function abuseSignalAtOpening(tx: ReadTx, buyerId: string, openedAt: Date, policy: DisputePolicy): Promise<AbuseSignal> {
  const from = new Date(openedAt.getTime() - policy.abuseWindowDays * DAY_MS);
  const [{ disputes }] = await tx
    .select({ disputes: count() })
    .from(mediatorCases)
    .where(and(eq(mediatorCases.buyerId, buyerId), gt(mediatorCases.openedAt, from), lte(mediatorCases.openedAt, openedAt)));
  const [{ orders }] = await tx
    .select({ orders: count() })
    .from(mediatorBuyerOrders)
    .where(and(eq(mediatorBuyerOrders.buyerId, buyerId), gt(mediatorBuyerOrders.placedAt, from), lte(mediatorBuyerOrders.placedAt, openedAt)));
  return abuseSignal(Number(disputes) + 1, Number(orders), policy);
}

/**
 * The mediators' side: every case with the full file (both parties' proposals, all evidence,
 * evidence requests, internal notes), the queue's keys (earliest armed deadline, time queued,
 * assigned mediator) and flags (abuse signal, amount).
 */
export function mediatorViewProjection(policy: DisputePolicy = DEFAULT_POLICY): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(async (tx, disputeId) => {
    const [row] = await tx
      .select({ state: mediatorCases.state, file: mediatorCases.file, lastRevision: mediatorCases.lastRevision })
      .from(mediatorCases)
      .where(eq(mediatorCases.disputeId, disputeId));
    return row && { state: row.state as Dispute, lastRevision: row.lastRevision, extra: { file: row.file as CaseFile } };
  });
  return {
    name: MEDIATOR_VIEW,
    eventTypes: [...DISPUTE_EVENT_TYPES, 'OrderPlaced'],
    async apply(recorded, tx) {
      if (recorded.type === 'OrderPlaced') {
        const { orderId, buyerId, placedAt } = recorded.data as OrderPlaced['data'];
        await tx.insert(mediatorBuyerOrders).values({ orderId, buyerId, placedAt: new Date(placedAt) }).onConflictDoNothing();
        return;
      }
      const step = await rows.step(tx, recorded);
      if (!step) return;
      const { state, before, event } = step;
      // Staff see every event as recorded: no visibility filter here.
      const file = foldCaseFile(before?.extra.file ?? emptyCaseFile(), event);
      const values = {
        ...disputeRowValues(state, file, recorded, pendingDeadlines(state, policy)[0]?.dueAt ?? null),
        mediatorId: state.mediatorId,
        queuedAt: toDate(file.queuedAt),
      };
      if (event.type === 'DisputeOpened') {
        const signal = await abuseSignalAtOpening(tx, state.buyerId, values.openedAt, policy);
        Object.assign(values, { abuseSignal: signal.flagged, abuseDisputes: signal.disputes, abuseOrders: signal.orders });
      }
      await tx
        .insert(mediatorCases)
        .values(values)
        .onConflictDoUpdate({
          target: mediatorCases.disputeId,
          set: overwriteFromExcluded(mediatorCases, ['abuseSignal', 'abuseDisputes', 'abuseOrders']),
          setWhere: sql`${mediatorCases.lastRevision} < excluded.last_revision`,
        });
      rows.remember(tx, state.disputeId, { state, lastRevision: Number(recorded.revision), extra: { file } });
    },
    reset: (tx) => truncate(tx, mediatorCases, mediatorBuyerOrders),
  };
}
