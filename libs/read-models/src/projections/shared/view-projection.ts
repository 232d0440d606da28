import {
  type Audience,
  DISPUTE_EVENT_TYPES,
  type DisputeView,
  evolveView,
  initialView,
} from '@arbiter/disputes/read-side';
import type { RecordedEvent } from '@arbiter/event-store';
import { and, eq, inArray, lte } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { insertRows } from '../../insert-rows';
import { asDisputeEvent, PendingRows, truncate, upsertClause } from './dispute-rows';
import { usableView } from './stored-view';

/** A table of one row per dispute holding an audience's view. */
export type ViewTable = PgTable & {
  disputeId: PgColumn;
  lastRevision: PgColumn;
  view: PgColumn;
};

type Columns = Record<string, unknown>;

/** Events besides the disputes' a view also keeps (e.g. the orders its metrics count). */
export interface SideRows {
  readonly eventTypes: readonly string[];
  readonly tables: readonly PgTable[];
  /** What one batch collects, written with the batch's view rows. */
  batch(): {
    collect(recorded: RecordedEvent): void;
    /** Writes what was collected since the last flush. */
    flush(tx: ReadTx): Promise<void>;
  };
}

export interface ViewProjectionSpec {
  name: string;
  table: ViewTable;
  audience: Audience;
  /** The row's columns (those queries filter or sort on) besides the key, revision and view. */
  columns(view: DisputeView): Columns;
  side?: SideRows;
  /**
   * Columns set once, when the dispute opens, from what the tables hold right then (everything
   * before the opening is written first, so a batch sees what one-by-one processing would).
   * An upsert keeps them.
   */
  atOpening?: {
    keep: readonly string[];
    /**
     * Optional: reads what every opening of the batch needs, once, before the batch writes
     * anything; `columns` then counts the batch's own earlier events itself (`opening` is the
     * opening event), and the batch is not flushed before each opening.
     */
    prepare?(tx: ReadTx, events: readonly RecordedEvent[]): Promise<void>;
    columns(tx: ReadTx, view: DisputeView, opening: RecordedEvent): Promise<Columns>;
  };
}

interface Known {
  view: DisputeView;
  lastRevision: number;
}

/**
 * A projection of one view per dispute: each event goes through the domain's `evolveView` for
 * the table's audience, and the dispute's last row of a batch is written once, in multi-row
 * upserts guarded by `last_revision` (a replay does no harm). Rows are remembered per transaction
 * (a batch of the runner): a rolled-back batch takes its memory with it.
 */
export function viewProjection(spec: ViewProjectionSpec): Projection {
  const { table, audience, side } = spec;
  const byTransaction = new WeakMap<ReadTx, Map<string, Known | undefined>>();
  const memoryOf = (tx: ReadTx) => {
    let memory = byTransaction.get(tx);
    if (!memory) byTransaction.set(tx, (memory = new Map()));
    return memory;
  };
  const preload = async (tx: ReadTx, ids: string[]) => {
    const memory = memoryOf(tx);
    const missing = [...new Set(ids)].filter((id) => !memory.has(id));
    if (missing.length === 0) return;
    const rows = (await tx
      .select({ disputeId: table.disputeId, view: table.view, lastRevision: table.lastRevision })
      .from(table)
      .where(inArray(table.disputeId, missing))) as (Known & { disputeId: string })[];
    // A row of another view version is refused here, before anything is folded onto it.
    const loaded = new Map(
      rows.map((row) => [
        row.disputeId,
        { ...row, view: usableView(spec.name, row.disputeId, row.view) },
      ]),
    );
    // Known missing too: the opening event of a new dispute needs no query of its own.
    for (const id of missing) memory.set(id, loaded.get(id));
  };
  const upsert = insertRows(table, upsertClause(table, 'disputeId', spec.atOpening?.keep));

  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    const disputeEvents = events.filter(isDisputeEvent);
    await preload(
      tx,
      disputeEvents.map((recorded) => asDisputeEvent(recorded).data.disputeId),
    );
    await spec.atOpening?.prepare?.(tx, events);
    const memory = memoryOf(tx);
    const pending = new PendingRows<Columns>();
    const setOnce = new Map<string, Columns>();
    const others = side?.batch();
    const flush = async () => {
      await others?.flush(tx);
      await pending.flush((rows) => upsert(tx, rows));
    };
    for (const recorded of events) {
      if (!isDisputeEvent(recorded)) {
        others?.collect(recorded);
        continue;
      }
      const event = asDisputeEvent(recorded);
      const { disputeId } = event.data;
      const revision = Number(recorded.revision);
      const before = memory.get(disputeId);
      if (before && revision <= before.lastRevision) continue;
      // The view takes every event of a dispute's stream, in order: a revision it has not reached
      // means events were never applied, and folding this one on top would show a view nobody
      // ever had. Stopped here (at this event) instead, where it shows.
      if (!before && event.type !== 'DisputeOpened') {
        throw new Error(
          `${event.type} at revision ${revision} of ${recorded.streamId}: the view has no row for this dispute`,
        );
      }
      if (before && revision > before.lastRevision + 1) {
        throw new Error(
          `${event.type} at revision ${revision} of ${recorded.streamId}: the view is at revision ${before.lastRevision}, revisions ${before.lastRevision + 1} to ${revision - 1} were never applied`,
        );
      }
      const view = evolveView(before?.view ?? initialView(), event, audience) as DisputeView;
      if (spec.atOpening && event.type === 'DisputeOpened') {
        if (!spec.atOpening.prepare) await flush();
        setOnce.set(disputeId, await spec.atOpening.columns(tx, view, recorded));
      }
      pending.set(disputeId, {
        ...spec.columns(view),
        // A later event of the same batch must carry what the opening set (upserts keep it).
        ...setOnce.get(disputeId),
        disputeId,
        lastRevision: revision,
        lastPosition: recorded.position,
        view,
      });
      memory.set(disputeId, { view, lastRevision: revision });
    }
    await flush();
  };
  return {
    name: spec.name,
    eventTypes: [...DISPUTE_EVENT_TYPES, ...(side?.eventTypes ?? [])],
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, table, ...(side?.tables ?? [])),
    tables: [table, ...(side?.tables ?? [])],
    // The view folded afresh over the whole stream; columns set at the opening are kept.
    refold: async (events, tx) => {
      const disputeEvents = events.filter(isDisputeEvent);
      const last = disputeEvents.at(-1);
      if (!last) return true;
      let view: DisputeView | null = initialView();
      for (const recorded of disputeEvents)
        view = evolveView(view, asDisputeEvent(recorded), audience) as DisputeView;
      if (!view) return true;
      const disputeId = asDisputeEvent(last).data.disputeId;
      const revision = Number(last.revision);
      const updated = await tx
        .update(table)
        .set({ ...spec.columns(view), view, lastRevision: revision } as never)
        .where(and(eq(table.disputeId, disputeId), lte(table.lastRevision, revision)))
        .returning({ disputeId: table.disputeId });
      if (updated.length > 0) return true;
      const [row] = await tx
        .select({ lastRevision: table.lastRevision })
        .from(table)
        .where(eq(table.disputeId, disputeId));
      // No row yet (the projection has not reached the dispute): nothing to rewrite.
      return !row;
    },
  };
}

/** A dispute event (a view may also listen to order events). */
const isDisputeEvent = (event: RecordedEvent): boolean =>
  typeof (event.data as { disputeId?: unknown }).disputeId === 'string';
