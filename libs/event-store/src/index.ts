export * from './port';
export {
  EVENT_STORE,
  EventStoreModule,
  createEventStore,
  dbSystemOf,
  eventStoreConfigFor,
} from './event-store.module';
export type { EventStoreConfig, EventStoreModuleAsyncOptions } from './event-store.module';
export { MemoryEventStore } from './memory/memory-event-store';
export { AppendLockTooLateError, SqlEventStore, createSqlEventStore } from './sql/sql-event-store';
export type { SqlEventStoreOptions } from './sql/sql-event-store';
export { rewriteStoredStreams } from './sql/sql-rewrite';
export type { RewrittenEvent, StoredEventRow } from './sql/sql-rewrite';
export {
  migrateEventStoreSchema,
  DEFAULT_SCHEMA as DEFAULT_EVENT_STORE_SCHEMA,
  POSITION_SHIFT,
  TransactionIdsBehindError,
} from './sql/schema';
export { KurrentDbEventStore, createKurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
export type { KurrentDbEventStoreOptions } from './kurrentdb/kurrentdb-event-store';
export {
  EventSchemas,
  EventSchemaVersionUnknownError,
  FIRST_SCHEMA_VERSION,
} from './upcasting/event-schemas';
export type { EventSchema, EventSchemaTable, Upcaster } from './upcasting/event-schemas';
export {
  UpcastingEventStore,
  personalDataOf,
  storedEventsOf,
} from './upcasting/upcasting-event-store';
export { PersonalDataEventStore } from './personal-data/personal-data-event-store';
export type { PersonalDataOptions } from './personal-data/personal-data-event-store';
export * from './personal-data/personal-data-cipher';
export type { DataKey, DestroyedKeys, PersonKeys } from './personal-data/person-keys';
