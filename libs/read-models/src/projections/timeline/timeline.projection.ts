import { DISPUTE_EVENT_TYPES } from '@arbiter/disputes';
import type { Projection } from '../../projection';
import { timelineEntries } from '../../schema';
import { asDisputeEvent, truncate } from '../shared/dispute-rows';

export const TIMELINE = 'timeline';

/**
 * Every dispute event, one row each, keyed by (dispute, revision): a replay inserts nothing
 * twice. Filtering and wording per role happen on reading (timeline.queries.ts).
 */
export function timelineProjection(): Projection {
  return {
    name: TIMELINE,
    eventTypes: DISPUTE_EVENT_TYPES,
    async apply(recorded, tx) {
      const { data } = asDisputeEvent(recorded);
      await tx
        .insert(timelineEntries)
        .values({
          disputeId: data.disputeId,
          revision: Number(recorded.revision),
          position: recorded.position,
          type: recorded.type,
          actorRole: data.by.role,
          actorId: data.by.id,
          at: new Date(data.at),
          data,
        })
        .onConflictDoNothing();
    },
    reset: (tx) => truncate(tx, timelineEntries),
  };
}
