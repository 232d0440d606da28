import {
  DEFAULT_POLICY,
  type DisputeEvent,
  type DisputePolicy,
  type OrderPlaced,
  pendingDeadlinesOf,
} from '@arbiter/disputes/read-side';
import { and, gt, inArray, lte } from 'drizzle-orm';
import type { RecordedEvent } from '@arbiter/event-store';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { mediatorBuyerOrders, mediatorCases } from '../../schema';
import { orderRows } from '../shared/order-rows';
import { toDate, viewColumns } from '../shared/view-columns';
import { viewProjection } from '../shared/view-projection';

export const MEDIATOR_VIEW = 'mediator-view';

const DAY_MS = 86_400_000;

type OpeningData = Extract<DisputeEvent, { type: 'DisputeOpened' }>['data'];

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

/** A buyer's disputes and orders as the tables hold them, by id: counted by time window. */
interface BuyerRecords {
  disputes: Map<string, { buyerId: string; at: number }>;
  orders: Map<string, { buyerId: string; at: number }>;
}

/**
 * Counted when the dispute opens, from what the tables hold right then: the log's order makes the
 * answer the same on every replay. A batch reads the rows of its opening buyers once
 * (`recordsBefore`); each opening counts them with the batch's own earlier openings and orders,
 * keyed by id as the tables are, so the answer is exactly what one-by-one processing would count.
 * The flag stays with the dispute (a signal, never a block).
 */
function abuseSignalAtOpening(
  records: BuyerRecords,
  batch: readonly RecordedEvent[],
  opening: RecordedEvent,
  buyerId: string,
  openedAt: Date,
  policy: DisputePolicy,
): AbuseSignal {
  const to = openedAt.getTime();
  const from = to - policy.abuseWindowDays * DAY_MS;
  const disputes = new Map(records.disputes);
  const orders = new Map(records.orders);
  for (const recorded of batch) {
    if (recorded.position >= opening.position) break;
    if (recorded.type === 'DisputeOpened') {
      const data = recorded.data as OpeningData;
      if (!disputes.has(data.disputeId))
        disputes.set(data.disputeId, { buyerId: data.buyerId, at: Date.parse(data.at) });
    } else if (recorded.type === 'OrderPlaced') {
      const data = recorded.data as OrderPlaced['data'];
      if (!orders.has(data.orderId))
        orders.set(data.orderId, { buyerId: data.buyerId, at: Date.parse(data.placedAt) });
    }
  }
  const inWindow = (rows: Map<string, { buyerId: string; at: number }>) =>
    [...rows.values()].filter((row) => row.buyerId === buyerId && row.at > from && row.at <= to)
      .length;
  return abuseSignal(inWindow(disputes) + 1, inWindow(orders), policy);
}

/** The rows of the batch's opening buyers that any of its openings' windows may count. */
async function recordsBefore(
  tx: ReadTx,
  events: readonly RecordedEvent[],
  policy: DisputePolicy,
): Promise<BuyerRecords> {
  const records: BuyerRecords = { disputes: new Map(), orders: new Map() };
  const openings = events
    .filter((event) => event.type === 'DisputeOpened')
    .map((event) => event.data as OpeningData);
  if (openings.length === 0) return records;
  const buyers = [...new Set(openings.map((opening) => opening.buyerId))];
  const times = openings.map((opening) => Date.parse(opening.at));
  const from = new Date(Math.min(...times) - policy.abuseWindowDays * DAY_MS);
  const to = new Date(Math.max(...times));
  const disputes = await tx
    .select({
      id: mediatorCases.disputeId,
      buyerId: mediatorCases.buyerId,
      at: mediatorCases.openedAt,
    })
    .from(mediatorCases)
    .where(
      and(
        inArray(mediatorCases.buyerId, buyers),
        gt(mediatorCases.openedAt, from),
        lte(mediatorCases.openedAt, to),
      ),
    );
  const orders = await tx
    .select({
      id: mediatorBuyerOrders.orderId,
      buyerId: mediatorBuyerOrders.buyerId,
      at: mediatorBuyerOrders.placedAt,
    })
    .from(mediatorBuyerOrders)
    .where(
      and(
        inArray(mediatorBuyerOrders.buyerId, buyers),
        gt(mediatorBuyerOrders.placedAt, from),
        lte(mediatorBuyerOrders.placedAt, to),
      ),
    );
  for (const row of disputes)
    records.disputes.set(row.id, { buyerId: row.buyerId, at: row.at.getTime() });
  for (const row of orders)
    records.orders.set(row.id, { buyerId: row.buyerId, at: row.at.getTime() });
  return records;
}

/**
 * The mediators' side: every case with the staff's view (both parties' proposals, all evidence,
 * evidence requests, internal notes), the queue's keys (earliest armed deadline, time queued,
 * assigned mediator) and flags (abuse signal, set when the dispute opens).
 */
export function mediatorViewProjection(policy: DisputePolicy = DEFAULT_POLICY): Projection {
  // The batch being applied in each transaction, with the rows its openings count.
  const batches = new WeakMap<
    ReadTx,
    { events: readonly RecordedEvent[]; records: BuyerRecords }
  >();
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
      prepare: async (tx, events) => {
        batches.set(tx, { events, records: await recordsBefore(tx, events, policy) });
      },
      columns: async (tx, view, opening) => {
        const batch = batches.get(tx);
        if (!batch) throw new Error('mediator-view: an opening outside a prepared batch');
        const signal = abuseSignalAtOpening(
          batch.records,
          batch.events,
          opening,
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
