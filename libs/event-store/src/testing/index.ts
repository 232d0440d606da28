export { describeEventStoreContract, sampleEvent, takeEvents } from './event-store.contract';
export type { EventStoreUnderTest } from './event-store.contract';
export {
  describeWithPostgres,
  openPostgresTestSchema,
  postgresTestUrl,
  uniqueSchemaName,
} from './postgres';
export type { PostgresTestSchema } from './postgres';
export {
  describeWithRealKurrentDb,
  realKurrentDbUnavailable,
  startRealKurrentDb,
  KURRENTDB_IMAGE,
} from './kurrentdb';
export type { RealKurrentDb } from './kurrentdb';
