import type { EventStore } from '@arbiter/event-store';
import type { ReadDb } from './database';
import type { AnyProjection } from './projection';

/**
 * Rewrites what the read models hold of some streams from their events as the store reads them
 * now: after a person's data was erased, the rows that copied it (views, timeline entries) read
 * as a rebuild would leave them. Each stream in one transaction; a stream that moves on meanwhile
 * is read again. Projections without `refold` hold nothing to rewrite (counts, external ones).
 */
export async function refoldStreams(
  db: ReadDb,
  eventStore: EventStore,
  projections: readonly AnyProjection[],
  streamIds: readonly string[],
): Promise<void> {
  const refolding = projections.filter((projection) => !projection.external && projection.refold);
  for (const streamId of streamIds) {
    for (let attempt = 1; ; attempt++) {
      const events = await eventStore.readStream(streamId);
      const done = await db.transaction(async (tx) => {
        for (const projection of refolding) {
          if (projection.external || !projection.refold) continue;
          const types = new Set(projection.eventTypes);
          const own = events.filter((event) => types.has(event.type));
          if (!(await projection.refold(own, tx))) return false;
        }
        return true;
      });
      if (done) break;
      if (attempt >= 5)
        throw new Error(`Stream ${streamId} kept moving while its rows were refolded`);
    }
  }
}
