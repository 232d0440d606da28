import type { RecordedEvent } from '@arbiter/event-store';
import type { DisputeEvent } from '@arbiter/disputes/read-side';
import { getTableColumns, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadTx } from '../../database';

/** A recorded dispute event as the domain types it. Its data is the domain's, as the decider wrote it. */
export function asDisputeEvent(event: RecordedEvent): DisputeEvent {
  return { type: event.type, data: event.data, metadata: event.metadata } as DisputeEvent;
}

/** `SET col = excluded.col` for every column of `table` except `keep`: an upsert that overwrites the row. */
export function overwriteFromExcluded(
  table: PgTable,
  keep: readonly string[] = [],
): Record<string, SQL> {
  const set: Record<string, SQL> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (column.primary || keep.includes(key)) continue;
    set[key] = sql.raw(`excluded."${column.name}"`);
  }
  return set;
}

/** Empties a table a projection owns (rebuild). TRUNCATE: far cheaper than DELETE on a big table. */
export async function truncate(tx: ReadTx, ...tables: PgTable[]): Promise<void> {
  for (const table of tables) await tx.execute(sql`TRUNCATE TABLE ${table}`);
}

/**
 * Writes `rows` in multi-row statements of `chunk` rows: one round trip per chunk instead of one
 * per event (PostgreSQL takes at most 65,535 parameters per statement).
 */
export async function inChunks<Row>(
  rows: readonly Row[],
  chunk: number,
  write: (rows: Row[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += chunk)
    await write(rows.slice(start, start + chunk));
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
