import { randomUUID } from 'node:crypto';
import {
  describeEventStoreContract,
  describeWithRealKurrentDb,
  sampleEvent,
  takeEvents,
} from '../testing';
import { KurrentDbStandIn, startKurrentDbStandIn } from '../testing/kurrentdb-standin';
import { createKurrentDbEventStore, KurrentDbEventStore } from './kurrentdb-event-store';

// Each test gets its own stream prefix, so one server serves the whole suite and a real server
// (KURRENTDB_URL) with other data on it sees the same empty store as the stand-in.
const isolatedStore = (url: string) =>
  createKurrentDbEventStore(url, {
    streamPrefix: `t${randomUUID().replace(/-/g, '')}.`,
    idlePollMs: 500,
  });

describe('KurrentDB adapter on the protocol stand-in', () => {
  let standIn: KurrentDbStandIn;
  beforeAll(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
  });
  afterAll(async () => {
    await standIn.stop();
  });

  describeEventStoreContract(
    'KurrentDB (stand-in, prefixed streams)',
    async () => ({ store: isolatedStore(standIn.url), cleanup: async () => undefined }),
    { eventIdsUniqueAcrossStreams: false },
  );

  describe('the whole log, without a stream prefix', () => {
    let store: KurrentDbEventStore;
    beforeEach(() => {
      store = createKurrentDbEventStore(standIn.url, { idlePollMs: 500 });
    });
    afterEach(async () => {
      await store.close();
    });

    it('never surfaces system events in reads, the head or subscriptions', async () => {
      const before = standIn.size;
      const event = sampleEvent('Visible');
      await store.append(`plain-${randomUUID()}`, [event]);
      const all = await store.readAll();
      expect(standIn.size).toBeGreaterThan(all.length);
      expect(before).toBeGreaterThan(0);
      expect(all.every((e) => !e.type.startsWith('$') && !e.streamId.startsWith('$'))).toBe(true);
      expect(all.at(-1)?.id).toBe(event.id);
      expect(await store.headPosition()).toBe(all.at(-1)?.position);
      const subscription = store.subscribeToAll();
      const seen = await takeEvents(subscription, all.length);
      expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      await subscription.close();
    });
  });

  it('on a server without positions in stream reads, a replayed append still answers the real position', async () => {
    const legacy = await startKurrentDbStandIn({ port: 0, legacyStreamReadPositions: true });
    const store = createKurrentDbEventStore(legacy.url);
    try {
      const events = [sampleEvent(), sampleEvent()];
      const first = await store.append('s', events);
      await store.append('s', [sampleEvent()]);
      const [stored] = await store.readStream('s');
      expect(stored.position).toBe(-1n);
      expect(await store.append('s', events)).toEqual(first);
      expect(await store.append('s', events, { expectedRevision: 'no_stream' })).toEqual(first);
      expect((await store.readStream('s')).length).toBe(3);
    } finally {
      await store.close();
      await legacy.stop();
    }
  });

  describe('stream prefixes', () => {
    it('keep deployments apart even when one name begins another (prod. and prod2.)', async () => {
      const prod = createKurrentDbEventStore(standIn.url, { streamPrefix: 'prod.' });
      const prod2 = createKurrentDbEventStore(standIn.url, { streamPrefix: 'prod2.' });
      try {
        const mine = sampleEvent('DisputeOpened');
        await prod2.append('dispute-x', [sampleEvent('DisputeOpened')]);
        await prod.append('dispute-x', [mine]);
        expect((await prod.readAll()).map((e) => e.id)).toEqual([mine.id]);
        expect((await prod.readStream('dispute-x')).map((e) => e.id)).toEqual([mine.id]);
        expect(await prod.headPosition()).toBe((await prod.readAll())[0].position);
        expect((await prod2.readAll()).map((e) => e.streamId)).toEqual(['dispute-x']);
      } finally {
        await prod.close();
        await prod2.close();
      }
    });

    it('must end with its only dot', () => {
      for (const bad of ['prod', 'prod.x.', '.', '$sys.'])
        expect(() => createKurrentDbEventStore(standIn.url, { streamPrefix: bad })).toThrow(
          /must end with a dot/,
        );
    });
  });

  describe('when the server goes away', () => {
    let store: KurrentDbEventStore;
    beforeEach(() => {
      store = isolatedStore(standIn.url);
    });
    afterEach(async () => {
      await store.close();
    });

    it('a subscription re-subscribes by itself and neither skips nor repeats an event', async () => {
      const first = Array.from({ length: 5 }, () => sampleEvent('Before'));
      await store.append('s', first);
      const subscription = store.subscribeToAll({ batchSize: 2 });
      const caughtUp = await takeEvents(subscription, 5);

      await standIn.kill();
      const pending = takeEvents(subscription, 6, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await standIn.restart();
      const later = Array.from({ length: 6 }, () => sampleEvent('After'));
      for (const event of later) await appendWithRetry(store, 'after', event);
      const resumed = await pending;
      await subscription.close();

      const seen = [...caughtUp, ...resumed].map((e) => e.id);
      expect(seen).toEqual([...first, ...later].map((e) => e.id));
      expect(new Set(seen).size).toBe(seen.length);
    }, 60_000);
  });
});

/** The client reconnects on its next call; an append while it does may fail once. */
async function appendWithRetry(
  store: KurrentDbEventStore,
  streamId: string,
  event: ReturnType<typeof sampleEvent>,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.append(streamId, [event]);
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describeWithRealKurrentDb('KurrentDB adapter on a real server', (server) => {
  describeEventStoreContract(
    'KurrentDB (real server, prefixed streams)',
    async () => ({ store: isolatedStore(server().url), cleanup: async () => undefined }),
    { eventIdsUniqueAcrossStreams: false },
  );
});
