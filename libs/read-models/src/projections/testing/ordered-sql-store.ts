import type { SqlConnection } from '@arbiter/platform';
import type { EventFilter, ReadStreamOptions, RecordedEvent } from '@arbiter/event-store';
import { migrateEventStoreSchema } from '@arbiter/event-store/sql/schema';
import { SqlEventStore } from '@arbiter/event-store/sql/sql-event-store';

/**
 * WORKAROUND, remove once the SQL event store is fixed: its queries select `revision::text AS
 * revision` and `position::text AS position` and then `ORDER BY revision` / `ORDER BY position`,
 * which PostgreSQL resolves to the text aliases. A stream's revision 10 then reads before 2 (so
 * `handleCommand` folds events out of order), and `readAll` misorders positions of different
 * lengths. This subclass reads without the limit and orders numerically, for tests and the bench.
 */
export class OrderedSqlEventStore extends SqlEventStore {
  override async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events = await super.readStream(streamId, { ...options, maxCount: undefined });
    events.sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0) * (backwards ? -1 : 1));
    return options.maxCount === undefined ? events : events.slice(0, options.maxCount);
  }

  override async read(after: bigint, maxCount: number | undefined, filter: EventFilter | undefined): Promise<RecordedEvent[]> {
    const events = await super.read(after, undefined, filter);
    events.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    return maxCount === undefined ? events : events.slice(0, maxCount);
  }
}

export async function createOrderedSqlEventStore(connection: SqlConnection): Promise<OrderedSqlEventStore> {
  await migrateEventStoreSchema(connection);
  return new OrderedSqlEventStore(connection, 'arbiter');
}
