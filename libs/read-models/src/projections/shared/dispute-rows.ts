import type { RecordedEvent } from '@arbiter/event-store';
import {
  type Dispute,
  type DisputeEvent,
  type DisputeState,
  evolve,
  initialState,
} from '@arbiter/disputes';
import { getTableColumns, SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadTx } from '../../database';

/** A recorded dispute event as the domain types it. Its data is the domain's, as the decider wrote it. */
export function asDisputeEvent(event: RecordedEvent): DisputeEvent {
  return { type: event.type, data: event.data, metadata: event.metadata } as DisputeEvent;
}

/** What a dispute-shaped row holds between events: the domain state, and whatever the view adds. */
export interface KnownDispute<Extra> {
  state: Dispute;
  lastRevision: number;
  extra: Extra;
}

export interface DisputeStep<Extra> {
  event: DisputeEvent;
  /** Undefined for the opening event. */
  before: KnownDispute<Extra> | undefined;
  state: Dispute;
}

/**
 * The replay guard and the fold shared by the dispute-shaped views. Rows are remembered per
 * transaction (a batch of the runner) so a dispute's events in one batch read its row once; a
 * rolled-back batch takes its memory with it, since the next batch is another transaction.
 */
export class DisputeRows<Extra> {
  private readonly byTransaction = new WeakMap<
    ReadTx,
    Map<string, KnownDispute<Extra> | undefined>
  >();

  constructor(
    private readonly load: (
      tx: ReadTx,
      disputeId: string,
    ) => Promise<KnownDispute<Extra> | undefined>,
    /** One query for many disputes (a batch): what `load` returns for each id that has a row. */
    private readonly loadMany?: (
      tx: ReadTx,
      disputeIds: string[],
    ) => Promise<Map<string, KnownDispute<Extra>>>,
  ) {}

  /** Reads the rows of every dispute of `events` not yet known in this transaction, in one query. */
  async preload(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void> {
    if (!this.loadMany) return;
    const memory = this.memory(tx);
    const ids = [
      ...new Set(events.map((event) => (event.data as { disputeId: string }).disputeId)),
    ].filter((id) => !memory.has(id));
    if (ids.length === 0) return;
    const loaded = await this.loadMany(tx, ids);
    // Known missing too: the opening event of a new dispute needs no query of its own.
    for (const id of ids) memory.set(id, loaded.get(id));
  }

  /**
   * The state after `recorded`, or null when the row already reflects it (a replay). A dispute
   * event other than the opening for a dispute without a row means the log and the view disagree:
   * that stops the projection rather than invent a dispute.
   */
  async step(tx: ReadTx, recorded: RecordedEvent): Promise<DisputeStep<Extra> | null> {
    const event = asDisputeEvent(recorded);
    const before = await this.get(tx, event.data.disputeId);
    if (before && Number(recorded.revision) <= before.lastRevision) return null;
    if (!before && event.type !== 'DisputeOpened') {
      throw new Error(
        `${event.type} at revision ${recorded.revision} of ${recorded.streamId}: the view has no row for this dispute`,
      );
    }
    const state: DisputeState = evolve(before?.state ?? initialState, event);
    if (state.status === 'NONE')
      throw new Error(`${recorded.streamId} does not start with DisputeOpened`);
    return { event, before, state };
  }

  remember(tx: ReadTx, disputeId: string, known: KnownDispute<Extra>): void {
    this.memory(tx).set(disputeId, known);
  }

  private async get(tx: ReadTx, disputeId: string): Promise<KnownDispute<Extra> | undefined> {
    const memory = this.memory(tx);
    if (memory.has(disputeId)) return memory.get(disputeId);
    const loaded = await this.load(tx, disputeId);
    if (loaded) memory.set(disputeId, loaded);
    return loaded;
  }

  private memory(tx: ReadTx): Map<string, KnownDispute<Extra> | undefined> {
    let memory = this.byTransaction.get(tx);
    if (!memory) {
      memory = new Map();
      this.byTransaction.set(tx, memory);
    }
    return memory;
  }
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

export const toDate = (instant: string | null | undefined): Date | null =>
  instant ? new Date(instant) : null;

/** Empties a table a projection owns (rebuild). TRUNCATE: far cheaper than DELETE on a big table. */
export async function truncate(tx: ReadTx, ...tables: PgTable[]): Promise<void> {
  for (const table of tables) await tx.execute(sql`TRUNCATE TABLE ${table}`);
}

/** Dispute events only (a projection may also listen to order events). */
export const disputeEventsOf = (events: readonly RecordedEvent[]): RecordedEvent[] =>
  events.filter((event) => typeof (event.data as { disputeId?: unknown }).disputeId === 'string');

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
