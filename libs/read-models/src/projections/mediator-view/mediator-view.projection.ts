import {
  DEFAULT_POLICY,
  type DisputePolicy,
  pendingDeadlinesOf,
} from '@arbiter/disputes/read-side';
import { and, count, eq, gt, lte } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { mediatorBuyerOrders, mediatorCases } from '../../schema';
import { orderRows } from '../shared/order-rows';
import { toDate, viewColumns } from '../shared/view-columns';
import { viewProjection } from '../shared/view-projection';

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
 * docs/domain.md#buyer-abuse-signal: flagged when the buyer's disputes in the window reach the
 * minimum and exceed the ratio of their orders. Pure, so the thresholds are tested on their own.
 */
export function abuseSignal(disputes: number, orders: number, policy: DisputePolicy): AbuseSignal {
  const flagged =
    disputes >= policy.abuseMinDisputes && disputes > policy.abuseDisputeRatio * orders;
  return { flagged, disputes, orders };
}

/**
 * Counted when the dispute opens, from the rows this projection already has: the log's order
 * makes the answer the same on every replay. The flag stays with the dispute (a signal, never a block).
 */
async function abuseSignalAtOpening(
  tx: ReadTx,
  buyerId: string,
  openedAt: Date,
  policy: DisputePolicy,
): Promise<AbuseSignal> {
  const from = new Date(openedAt.getTime() - policy.abuseWindowDays * DAY_MS);
  const [{ disputes }] = await tx
    .select({ disputes: count() })
    .from(mediatorCases)
    .where(
      and(
        eq(mediatorCases.buyerId, buyerId),
        gt(mediatorCases.openedAt, from),
        lte(mediatorCases.openedAt, openedAt),
      ),
    );
  const [{ orders }] = await tx
    .select({ orders: count() })
    .from(mediatorBuyerOrders)
    .where(
      and(
        eq(mediatorBuyerOrders.buyerId, buyerId),
        gt(mediatorBuyerOrders.placedAt, from),
        lte(mediatorBuyerOrders.placedAt, openedAt),
      ),
    );
  return abuseSignal(Number(disputes) + 1, Number(orders), policy);
}

/**
 * The mediators' side: every case with the staff's view (both parties' proposals, all evidence,
 * evidence requests, internal notes), the queue's keys (earliest armed deadline, time queued,
 * assigned mediator) and flags (abuse signal, set when the dispute opens).
 */
export function mediatorViewProjection(policy: DisputePolicy = DEFAULT_POLICY): Projection {
  return viewProjection({
    name: MEDIATOR_VIEW,
    table: mediatorCases,
    audience: 'staff',
    columns: (view) => ({
      ...viewColumns(view),
      deadlineAt: toDate(pendingDeadlinesOf(view, policy)[0]?.dueAt),
      mediatorId: view.mediatorId,
      queuedAt: toDate(view.queuedAt),
    }),
    side: orderRows(mediatorBuyerOrders, ({ orderId, buyerId, placedAt }) => ({
      orderId,
      buyerId,
      placedAt: new Date(placedAt),
    })),
    atOpening: {
      keep: ['abuseSignal', 'abuseDisputes', 'abuseOrders'],
      columns: async (tx, view) => {
        const signal = await abuseSignalAtOpening(
          tx,
          view.buyerId,
          new Date(view.openedAt),
          policy,
        );
        return {
          abuseSignal: signal.flagged,
          abuseDisputes: signal.disputes,
          abuseOrders: signal.orders,
        };
      },
    },
  });
}
