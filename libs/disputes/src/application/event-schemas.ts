// The module itself, not the barrel (which also loads the Nest module): test harnesses use this.
import { EventSchemas } from '@arbiter/event-store/upcasting/event-schemas';
import { DISPUTE_EVENT_SCHEMAS, ORDER_EVENT_SCHEMAS } from '../domain';

/**
 * The schemas of everything the application records (dispute and order events), checked at load:
 * give them to `EventStoreModule.forRootAsync({ schemas })` / `createEventStore(config, schemas)`
 * so every read path hands out current shapes.
 */
export const ARBITER_EVENT_SCHEMAS = new EventSchemas([DISPUTE_EVENT_SCHEMAS, ORDER_EVENT_SCHEMAS]);
