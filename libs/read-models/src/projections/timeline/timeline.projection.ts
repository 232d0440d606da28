import { DISPUTE_EVENT_TYPES } from '@arbiter/disputes/read-side';
import type { RecordedEvent } from '@arbiter/event-store';
import { and, eq, lte } from 'drizzle-orm';
import type { ReadTx } from '../../database';
import type { Projection } from '../../projection';
import { timelineEntries } from '../../schema';
import { insertRows } from '../../insert-rows';
import { asDisputeEvent, truncate } from '../shared/dispute-rows';
import { schemaVersionOf } from './stored-event';

export const TIMELINE = 'timeline';

/**
 * Every dispute event, one row each, keyed by (dispute, revision): a replay inserts nothing
 * twice. Filtering and wording per role happen on reading (timeline.queries.ts).
 */
export function timelineProjection(): Projection {
  const insert = insertRows(timelineEntries, 'DO NOTHING');
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx) => {
    const rows = events.map((recorded) => {
      const { data } = asDisputeEvent(recorded);
      return {
        disputeId: data.disputeId,
        revision: Number(recorded.revision),
        position: recorded.position,
        type: recorded.type,
        actorRole: data.by.role,
        actorId: data.by.id,
        at: new Date(data.at),
        data,
        schemaVersion: schemaVersionOf(recorded),
      };
    });
    await insert(tx, rows);
  };
  return {
    name: TIMELINE,
    eventTypes: DISPUTE_EVENT_TYPES,
    apply: (recorded, tx) => applyBatch([recorded], tx),
    applyBatch,
    reset: (tx) => truncate(tx, timelineEntries),
    tables: [timelineEntries],
    // The dispute's entries written afresh; entries past the stream as read stay as they are.
    refold: async (events, tx) => {
      const last = events.at(-1);
      if (!last) return true;
      await tx
        .delete(timelineEntries)
        .where(
          and(
            eq(timelineEntries.disputeId, asDisputeEvent(last).data.disputeId),
            lte(timelineEntries.revision, Number(last.revision)),
          ),
        );
      await applyBatch(events, tx);
      return true;
    },
  };
}
