import { MemoryEventStore } from '../memory/memory-event-store';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { EventSchemas } from './event-schemas';
import { storedEventsOf, UpcastingEventStore } from './upcasting-event-store';

// The decorator is a store like any other: it keeps every promise of the port.
describeEventStoreContract('memory, read through the upcasting decorator', async () => ({
  store: new UpcastingEventStore(
    new MemoryEventStore(),
    new EventSchemas([{ Renamed: { version: 2, upcasters: { 1: (data) => data } } }]),
  ),
  cleanup: async () => undefined,
}));

it('storedEventsOf reaches the store holding the bytes through any number of decorators', () => {
  const memory = new MemoryEventStore();
  const schemas = new EventSchemas([]);
  expect(storedEventsOf(memory)).toBe(memory);
  const twice = new UpcastingEventStore(new UpcastingEventStore(memory, schemas), schemas);
  expect(storedEventsOf(twice)).toBe(memory);
});
