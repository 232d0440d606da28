import { randomUUID } from 'node:crypto';
import {
  createKurrentDbEventStore,
  createSqlEventStore,
  type EventStore,
  type EventToAppend,
  storedEventsOf,
  UpcastingEventStore,
} from '@arbiter/event-store';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  takeEvents,
  uniqueSchemaName,
} from '@arbiter/event-store/testing';
import {
  type KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import { openSqlConnection, type SqlConnection } from '@arbiter/platform';
import { type Actor, disputeStreamId } from '../domain';
import { ARBITER_EVENT_SCHEMAS } from './event-schemas';

/**
 * A ReturnShipped stored at schema version 1 (before RETURN_DELIVERY: no `deliveryDueAt`, and the
 * oldest ones with the `receiptDueAt` that never counted) reads as version 2 on every read path of
 * every store, while the store keeps the bytes it was given.
 */
const buyer: Actor = { id: 'buyer-1', role: 'buyer' };

function shippedV1(disputeId: string): EventToAppend {
  return {
    id: randomUUID(),
    type: 'ReturnShipped',
    data: {
      disputeId,
      at: '2024-05-01T10:00:00.000Z',
      by: buyer,
      carrier: 'bpost',
      trackingNumber: 'TRK-1',
      receiptDueAt: '2024-05-11T10:00:00.000Z',
    },
    metadata: { schemaVersion: 1, actor: buyer, hash: 'h-1' },
  };
}

function shippedV2(disputeId: string, schemaVersion = 2): EventToAppend {
  return {
    id: randomUUID(),
    type: 'ReturnShipped',
    data: {
      disputeId,
      at: '2026-05-01T10:00:00.000Z',
      by: buyer,
      carrier: 'DHL',
      trackingNumber: 'TRK-2',
      deliveryDueAt: '2026-05-15T10:00:00.000Z',
    },
    metadata: { schemaVersion, actor: buyer },
  };
}

function upcastingSuite(open: () => Promise<{ store: EventStore; cleanup(): Promise<void> }>) {
  let stored: EventStore;
  let store: UpcastingEventStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store: stored, cleanup } = await open());
    store = new UpcastingEventStore(stored, ARBITER_EVENT_SCHEMAS);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('reads a stored v1 ReturnShipped as v2 through readStream, readAll and a subscription', async () => {
    const disputeId = randomUUID();
    const streamId = disputeStreamId(disputeId);
    const head = await store.headPosition();
    const [old, current] = [shippedV1(disputeId), shippedV2(disputeId)];
    await stored.append(streamId, [old, current]);

    const { receiptDueAt: _dropped, ...kept } = old.data as Record<string, unknown>;
    const expectRead = (events: readonly { data: unknown; metadata: unknown; id: string }[]) => {
      expect(events.map((e) => e.id)).toEqual([old.id, current.id]);
      expect(events[0]).toMatchObject({
        data: { ...kept, deliveryDueAt: null },
        metadata: { schemaVersion: 2, storedSchemaVersion: 1, actor: buyer, hash: 'h-1' },
      });
      expect(events[0].data).not.toHaveProperty('receiptDueAt');
      // A current event is handed back as stored.
      expect(events[1].data).toEqual(current.data);
      expect(events[1].metadata).toEqual(current.metadata);
    };

    expectRead(await store.readStream(streamId));
    const filter = { streamPrefixes: [streamId] };
    expectRead(await store.readAll({ after: head, filter }));
    const subscription = store.subscribeToAll({ after: head, filter });
    try {
      expectRead(await takeEvents(subscription, 2));
    } finally {
      await subscription.close();
    }

    // The store itself still holds the v1 bytes (what the audit hash chain covers).
    const [raw] = await storedEventsOf(store).readStream(streamId);
    expect(raw.data).toEqual(old.data);
    expect(raw.metadata).toEqual(old.metadata);
  });

  it('refuses an event stored under a version newer than the code knows, on every read path', async () => {
    const streamId = disputeStreamId(randomUUID());
    const head = await store.headPosition();
    await stored.append(streamId, [shippedV2('d', 3)]);
    const unknown = { code: 'EVENT_SCHEMA_VERSION_UNKNOWN', storedVersion: 3, knownVersion: 2 };

    await expect(store.readStream(streamId)).rejects.toMatchObject(unknown);
    const filter = { streamPrefixes: [streamId] };
    await expect(store.readAll({ after: head, filter })).rejects.toMatchObject(unknown);
    const subscription = store.subscribeToAll({ after: head, filter });
    try {
      const iterator = subscription[Symbol.asyncIterator]();
      await expect(iterator.next()).rejects.toMatchObject(unknown);
      // Never skipped: the subscription keeps refusing until the consumer resubscribes.
      await expect(iterator.next()).rejects.toMatchObject(unknown);
    } finally {
      await subscription.close();
    }
  });
}

describe('upcasting on PGlite', () => {
  let connection: SqlConnection;
  beforeAll(async () => {
    connection = await openSqlConnection({ kind: 'pglite' });
  });
  afterAll(async () => {
    await connection.close();
  });
  upcastingSuite(async () => ({
    store: await createSqlEventStore(connection, { schema: uniqueSchemaName('up') }),
    cleanup: async () => undefined,
  }));
});

describeWithPostgres('upcasting on PostgreSQL', (url) => {
  upcastingSuite(async () => {
    const test = await openPostgresTestSchema(url, { prefix: 'up', create: false });
    return {
      store: await createSqlEventStore(test.connection, { schema: test.schema }),
      cleanup: test.cleanup,
    };
  });
});

describe('upcasting on the KurrentDB stand-in', () => {
  let standIn: KurrentDbStandIn;
  beforeAll(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
  });
  afterAll(async () => {
    await standIn.stop();
  });
  upcastingSuite(async () => ({
    store: createKurrentDbEventStore(standIn.url, {
      streamPrefix: `t${randomUUID().replace(/-/g, '')}.`,
      idlePollMs: 500,
    }),
    cleanup: async () => undefined,
  }));
});
