import { describeEventStoreContract } from '../testing/event-store.contract';
import { MemoryEventStore } from './memory-event-store';

describeEventStoreContract('memory', async () => ({
  store: new MemoryEventStore(),
  cleanup: async () => undefined,
}));
