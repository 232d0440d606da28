import type { OrderPlaced } from '@arbiter/disputes/read-side';
import type { RecordedEvent } from '@arbiter/event-store';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadTx } from '../../database';
import { insertRows } from '../../insert-rows';
import { PendingRows } from './dispute-rows';
import type { SideRows } from './view-projection';

/**
 * The orders a view counts (the seller's dispute rate, the buyer's abuse signal), one row per
 * order keyed by its id: the first OrderPlaced wins, as ON CONFLICT DO NOTHING one by one would.
 */
export function orderRows(
  table: PgTable,
  row: (data: OrderPlaced['data']) => { orderId: string; placedAt: Date } & Record<string, unknown>,
): SideRows {
  const insert = insertRows(table, 'DO NOTHING');
  return {
    eventTypes: ['OrderPlaced'],
    tables: [table],
    batch() {
      const pending = new PendingRows<Record<string, unknown>>();
      return {
        collect(recorded: RecordedEvent) {
          const values = row(recorded.data as OrderPlaced['data']);
          if (!pending.has(values.orderId)) pending.set(values.orderId, values);
        },
        flush: (tx: ReadTx) => pending.flush((rows) => insert(tx, rows)),
      };
    },
  };
}
