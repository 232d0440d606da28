import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { type Actor, addDays, type Money, VIEW_VERSION } from '@arbiter/disputes';
import { eq } from 'drizzle-orm';
import { type ReadDb, readDbFor } from '../../database';
import { migrateReadModels } from '../../migrate';
import { buyerDisputes } from '../../schema';
import { type ReadTestDatabase, readTestDatabases } from '../../testing/read-databases';
import { BUYER_VIEW, buyerViewProjection, DisputeQueries } from '..';
import { DisputeScenario } from '../testing/scenario';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const T0 = '2026-03-01T00:00:00.000Z';

jest.setTimeout(120_000);

describe.each(readTestDatabases())('a stored view of another view version on %s', (_kind, open) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: EventStore;

  beforeEach(async () => {
    database = await open();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    store = await createSqlEventStore(database.connection);
  });

  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  it('is neither folded onto nor shown; a rebuild from the log makes it usable', async () => {
    const scenario = new DisputeScenario(store);
    await scenario.placeShippedOrder({
      orderId: 'o-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      at: T0,
    });
    await scenario.open('d-1', 'o-1', buyer, addDays(T0, 6));
    const projection = buyerViewProjection();
    const project = async (from: bigint) => {
      const events = (await store.readAll()).filter((event) => event.position > from);
      await db.transaction((tx) => projection.applyBatch!(events, tx));
      return events.at(-1)!.position;
    };
    const opened = await project(-1n);
    const queries = new DisputeQueries(db);
    expect(await queries.dispute(buyer, 'd-1')).toMatchObject({ status: 'AWAITING_SELLER' });

    // The row as an older fold wrote it.
    const [row] = await db.select().from(buyerDisputes).where(eq(buyerDisputes.disputeId, 'd-1'));
    expect(row.view.v).toBe(VIEW_VERSION);
    await db
      .update(buyerDisputes)
      .set({ view: { ...row.view, v: 0 } as never })
      .where(eq(buyerDisputes.disputeId, 'd-1'));
    const refused = {
      name: 'StoredViewVersionError',
      code: 'STORED_VIEW_VERSION_MISMATCH',
      projection: BUYER_VIEW,
      disputeId: 'd-1',
      storedVersion: 0,
      message: expect.stringContaining('run `npm run projections -- rebuild buyer-view`'),
    };
    await expect(queries.dispute(buyer, 'd-1')).rejects.toMatchObject(refused);
    await expect(queries.buyerDisputes(buyer, {}, { first: 10 })).rejects.toMatchObject(refused);

    // The next event is not folded onto it: the batch fails and the row stays as it was.
    await scenario.run('d-1', buyer, addDays(T0, 7), 'PostMessage', {
      messageId: 'm-1',
      body: 'Any news?',
    });
    await expect(project(opened)).rejects.toMatchObject(refused);
    const [kept] = await db.select().from(buyerDisputes).where(eq(buyerDisputes.disputeId, 'd-1'));
    expect(kept.lastRevision).toBe(row.lastRevision);

    // What `projections rebuild` does: empty the table and fold the log again.
    await db.transaction((tx) => projection.reset!(tx));
    await project(-1n);
    expect(await queries.dispute(buyer, 'd-1')).toMatchObject({
      status: 'AWAITING_SELLER',
      messages: [{ body: 'Any news?' }],
    });
  });
});
