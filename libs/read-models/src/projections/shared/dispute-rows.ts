import type { RecordedEvent } from '@arbiter/event-store';
import type { DisputeEvent } from '@arbiter/disputes/read-side';
import { getTableColumns, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadTx } from '../../database';
import { qualifiedName } from '../../insert-rows';
import { quote } from '../../rebuild-tables';

/** A recorded dispute event as the domain types it. Its data is the domain's, as the decider wrote it. */
export function asDisputeEvent(event: RecordedEvent): DisputeEvent {
  return { type: event.type, data: event.data, metadata: event.metadata } as DisputeEvent;
}

/**
 * `ON CONFLICT` of an upsert guarded by `last_revision` (a replay does no harm): every column of
 * `table` but the key and `keep` is overwritten from the new row, when that row is newer.
 */
export function upsertClause(table: PgTable, key: string, keep: readonly string[] = []): string {
  const columns = getTableColumns(table);
  const set = Object.entries(columns)
    .filter(([property, column]) => !column.primary && !keep.includes(property))
    .map(([, column]) => `${quote(column.name)} = excluded.${quote(column.name)}`);
  return (
    `(${quote(columns[key].name)}) DO UPDATE SET ${set.join(', ')} ` +
    `WHERE ${qualifiedName(table)}."last_revision" < excluded."last_revision"`
  );
}

/** Empties a table a projection owns (rebuild). TRUNCATE: far cheaper than DELETE on a big table. */
export async function truncate(tx: ReadTx, ...tables: PgTable[]): Promise<void> {
  for (const table of tables) await tx.execute(sql`TRUNCATE TABLE ${table}`);
}

/** The rows a batch will write: the latest values per key, in first-seen order. */
export class PendingRows<Row> {
  private readonly rows = new Map<string, Row>();

  set(key: string, row: Row): void {
    this.rows.set(key, row);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  /** Hands the rows to `write` and forgets them. */
  async flush(write: (rows: Row[]) => Promise<void>): Promise<void> {
    if (this.rows.size === 0) return;
    const rows = [...this.rows.values()];
    this.rows.clear();
    await write(rows);
  }
}
