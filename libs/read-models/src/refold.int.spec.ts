import { randomBytes } from 'node:crypto';
import { createSqlEventStore, type EventStore, PersonalDataEventStore } from '@arbiter/event-store';
import { type Actor, addDays, ERASED, type Money } from '@arbiter/disputes';
import { eq } from 'drizzle-orm';
import { type ReadDb, readDbFor } from './database';
import { migrateReadModels } from './migrate';
import { SqlPersonKeys } from './person-keys';
import { BUYER_VIEW, DisputeQueries, disputeProjections } from './projections';
import { DisputeScenario } from './projections/testing/scenario';
import { refoldStreams } from './refold';
import { buyerDisputes, timelineEntries } from './schema';
import { type ReadTestDatabase, readTestDatabases } from './testing/read-databases';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const T0 = '2026-03-01T00:00:00.000Z';

jest.setTimeout(120_000);

describe.each(readTestDatabases())('refolding a dispute after an erasure on %s', (_kind, open) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let keys: SqlPersonKeys;
  let store: EventStore;

  beforeEach(async () => {
    database = await open();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    keys = new SqlPersonKeys(database.connection, { masterKey: randomBytes(32) });
    store = new PersonalDataEventStore(await createSqlEventStore(database.connection), {
      keys,
      erased: ERASED,
    });
  });

  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  it('rewrites the views and timeline from the events as they read now, as a rebuild would', async () => {
    const scenario = new DisputeScenario(store);
    await scenario.placeShippedOrder({
      orderId: 'o-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      at: T0,
    });
    await scenario.open('d-1', 'o-1', buyer, addDays(T0, 6), { description: 'my secret words' });
    await scenario.run('d-1', seller, addDays(T0, 7), 'PostMessage', {
      messageId: 'm-1',
      body: 'the seller answers',
    });
    const projections = disputeProjections();
    const events = await store.readAll();
    for (const projection of projections) {
      const types = new Set(projection.eventTypes);
      await db.transaction((tx) =>
        projection.applyBatch!(
          events.filter((e) => types.has(e.type)),
          tx,
        ),
      );
    }
    const queries = new DisputeQueries(db);
    expect(await queries.dispute(buyer, 'd-1')).toMatchObject({ description: 'my secret words' });

    await keys.destroy(buyer.id, 'PRIV-1');
    const held = async () =>
      JSON.stringify(
        [
          await db.select().from(buyerDisputes).where(eq(buyerDisputes.disputeId, 'd-1')),
          await db.select().from(timelineEntries).where(eq(timelineEntries.disputeId, 'd-1')),
        ],
        (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
      );
    expect(await held()).toContain('my secret words'); // the rows still hold the copy
    await refoldStreams(db, store, projections, ['dispute-d-1']);
    expect(await held()).not.toContain('my secret words');
    expect(await held()).toContain('the seller answers');
    expect(await queries.dispute(buyer, 'd-1')).toMatchObject({
      description: ERASED,
      messages: [expect.objectContaining({ body: 'the seller answers' })],
    });

    // A view row ahead of the events given is left alone and reported, for a fresh read.
    const opening = (await store.readStream('dispute-d-1')).slice(0, 1);
    const buyerView = projections.find((p) => p.name === BUYER_VIEW)!;
    expect(await db.transaction((tx) => buyerView.refold!(opening, tx))).toBe(false);
    // No row yet: nothing to rewrite.
    await db.delete(buyerDisputes);
    expect(await db.transaction((tx) => buyerView.refold!(opening, tx))).toBe(true);
  });
});
