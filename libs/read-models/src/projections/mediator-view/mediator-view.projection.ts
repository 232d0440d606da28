import {
  DEFAULT_POLICY,
  DISPUTE_EVENT_TYPES,
  type Dispute,
  type DisputePolicy,
  type OrderPlaced,
  pendingDeadlines,
} from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import { and, count, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { mediatorBuyerOrders, mediatorCases } from '../../schema';
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

type Row = typeof mediatorCases.$inferInsert;
type OrderRow = typeof mediatorBuyerOrders.$inferInsert;
const columns = {
  disputeId: mediatorCases.disputeId,
  state: mediatorCases.state,
  file: mediatorCases.file,
  lastRevision: mediatorCases.lastRevision,
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
 * The mediators' side: every case with the full file (both parties' proposals, all evidence,
 * evidence requests, internal notes), the queue's keys (earliest armed deadline, time queued,
 * assigned mediator) and flags (abuse signal, amount). A batch writes what it folded before each
 * opening, so the abuse signal counts exactly what one-by-one processing would have seen.
 */
export function mediatorViewProjection(policy: DisputePolicy = DEFAULT_POLICY): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(
    async (tx, disputeId) => {
      const [row] = await tx
        .select(columns)
        .from(mediatorCases)
        .where(eq(mediatorCases.disputeId, disputeId));
      return row && known(row);
    },
    async (tx, ids) =>
      new Map(
        (
          await tx.select(columns).from(mediatorCases).where(inArray(mediatorCases.disputeId, ids))
        ).map((row) => [row.disputeId, known(row)]),
      ),
  );
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    await rows.preload(tx, disputeEventsOf(events));
    const orders = new PendingRows<OrderRow>();
    const cases = new PendingRows<Row>();
    const flags = new Map<string, Pick<Row, 'abuseSignal' | 'abuseDisputes' | 'abuseOrders'>>();
    const flush = async () => {
      await orders.flush((values) =>
        inChunks(values, 1000, (chunk) =>
          tx.insert(mediatorBuyerOrders).values(chunk).onConflictDoNothing(),
        ),
      );
      await cases.flush((values) =>
        inChunks(values, 200, (chunk) =>
          tx
            .insert(mediatorCases)
            .values(chunk)
            .onConflictDoUpdate({
              target: mediatorCases.disputeId,
              set: overwriteFromExcluded(mediatorCases, [
                'abuseSignal',
                'abuseDisputes',
                'abuseOrders',
              ]),
              setWhere: sql`${mediatorCases.lastRevision} < excluded.last_revision`,
            }),
        ),
      );
    };
    for (const recorded of events) {
      if (recorded.type === 'OrderPlaced') {
        const { orderId, buyerId, placedAt } = recorded.data as OrderPlaced['data'];
        // First one wins, as ON CONFLICT DO NOTHING one by one would.
        if (!orders.has(orderId))
          orders.set(orderId, { orderId, buyerId, placedAt: new Date(placedAt) });
        continue;
      }
      const step = await rows.step(tx, recorded);
      if (!step) continue;
      const { state, before, event } = step;
      // Staff see every event as recorded: no visibility filter here.
      const file = foldCaseFile(before?.extra.file ?? emptyCaseFile(), event);
      const values: Row = {
        ...disputeRowValues(
          state,
          file,
          recorded,
          pendingDeadlines(state, policy)[0]?.dueAt ?? null,
        ),
        mediatorId: state.mediatorId,
        queuedAt: toDate(file.queuedAt),
      };
      if (event.type === 'DisputeOpened') {
        // The signal counts the rows written so far: write this batch's first.
        await flush();
        const signal = await abuseSignalAtOpening(
          tx,
          state.buyerId,
          new Date(state.openedAt),
          policy,
        );
        flags.set(state.disputeId, {
          abuseSignal: signal.flagged,
          abuseDisputes: signal.disputes,
          abuseOrders: signal.orders,
        });
      }
      // Set once at the opening; a later event's row of the same batch must carry it (upserts keep it).
      Object.assign(values, flags.get(state.disputeId));
      cases.set(state.disputeId, values);
      rows.remember(tx, state.disputeId, {
        state,
        lastRevision: Number(recorded.revision),
        extra: { file },
      });
    }
    await flush();
  };
  return {
    name: MEDIATOR_VIEW,
    eventTypes: [...DISPUTE_EVENT_TYPES, 'OrderPlaced'],
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, mediatorCases, mediatorBuyerOrders),
  };
}
