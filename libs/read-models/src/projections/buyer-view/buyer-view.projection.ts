import { DISPUTE_EVENT_TYPES, type Dispute, visibleEventFor } from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import { eq, inArray, sql } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { buyerDisputes } from '../../schema';
import { type CaseFile, emptyCaseFile, foldCaseFile } from '../shared/case-file';
import { disputeRowValues } from '../shared/dispute-row-values';
import {
  DisputeRows,
  inChunks,
  type KnownDispute,
  overwriteFromExcluded,
  PendingRows,
  truncate,
} from '../shared/dispute-rows';

export const BUYER_VIEW = 'buyer-view';

type Row = ReturnType<typeof disputeRowValues>;

const known = (row: {
  state: unknown;
  file: unknown;
  lastRevision: number;
}): KnownDispute<{ file: CaseFile }> => ({
  state: row.state as Dispute,
  lastRevision: row.lastRevision,
  extra: { file: row.file as CaseFile },
});
const columns = {
  disputeId: buyerDisputes.disputeId,
  state: buyerDisputes.state,
  file: buyerDisputes.file,
  lastRevision: buyerDisputes.lastRevision,
};

/**
 * "My disputes" for buyers: one row per dispute with the state and the buyer's case file (every
 * event a party may see — both sides' proposals, messages and evidence, decisions — never an
 * internal note or a staff id). A batch folds its events in memory and writes each dispute's
 * last row once, in multi-row upserts.
 */
export function buyerViewProjection(): Projection {
  const rows = new DisputeRows<{ file: CaseFile }>(
    async (tx, disputeId) => {
      const [row] = await tx
        .select(columns)
        .from(buyerDisputes)
        .where(eq(buyerDisputes.disputeId, disputeId));
      return row && known(row);
    },
    async (tx, ids) =>
      new Map(
        (
          await tx.select(columns).from(buyerDisputes).where(inArray(buyerDisputes.disputeId, ids))
        ).map((row) => [row.disputeId, known(row)]),
      ),
  );
  const upsert = (tx: ReadTx, values: Row[]) =>
    inChunks(values, 200, (chunk) =>
      tx
        .insert(buyerDisputes)
        .values(chunk)
        .onConflictDoUpdate({
          target: buyerDisputes.disputeId,
          set: overwriteFromExcluded(buyerDisputes),
          setWhere: sql`${buyerDisputes.lastRevision} < excluded.last_revision`,
        }),
    );
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    await rows.preload(tx, events);
    const pending = new PendingRows<Row>();
    for (const recorded of events) {
      const step = await rows.step(tx, recorded);
      if (!step) continue;
      const { state, before } = step;
      const previous = before?.extra.file ?? emptyCaseFile();
      const visible = visibleEventFor('buyer', step.event);
      const file = visible ? foldCaseFile(previous, visible) : previous;
      pending.set(
        state.disputeId,
        disputeRowValues(state, file, recorded, state.deadline?.dueAt ?? null),
      );
      rows.remember(tx, state.disputeId, {
        state,
        lastRevision: Number(recorded.revision),
        extra: { file },
      });
    }
    await pending.flush((values) => upsert(tx, values));
  };
  return {
    name: BUYER_VIEW,
    eventTypes: DISPUTE_EVENT_TYPES,
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, buyerDisputes),
  };
}
