import { type Actor, addDays } from '@arbiter/disputes';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import {
  type ReadTestDatabase,
  readTestDatabases,
} from '@arbiter/read-models/testing/read-databases';
import { DisputeAudit } from './dispute-audit';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const T0 = '2026-03-01T00:00:00.000Z';

jest.setTimeout(120_000);

describe.each(readTestDatabases())('dispute audit on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let store: EventStore;
  let audit: DisputeAudit;

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    store = await createSqlEventStore(database.connection);
    audit = new DisputeAudit(store);
    const scenario = new DisputeScenario(store);
    await scenario.placeShippedOrder({
      orderId: 'o-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      total: { amountMinor: 10_000, currency: 'EUR' },
      at: T0,
    });
    await mediatedStory(
      scenario,
      { disputeId: 'd-1', orderId: 'o-1' },
      { buyer, seller, mediator },
      addDays(T0, 6),
    );
  });

  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  it('replays the state as of a revision and as of an instant', async () => {
    const atEscalation = await audit.asOf('d-1', { asOfRevision: 5 });
    expect(atEscalation?.events.map((e) => e.type).at(-1)).toBe('DisputeEscalated');
    expect(atEscalation?.state).toMatchObject({
      status: 'IN_MEDIATION',
      revision: 5,
      mediatorId: null,
    });
    const whole = await audit.asOf('d-1');
    expect(whole?.state).toMatchObject({ status: 'CLOSED', outcome: 'BUYER_PARTIAL_REFUND' });

    // recordedAt is the store's clock: cut between two events.
    const events = whole?.events ?? [];
    const cut = new Date(events[8].recordedAt.getTime());
    const byTime = await audit.asOf('d-1', { asOfTime: cut });
    expect(byTime?.events.every((e) => e.recordedAt <= cut)).toBe(true);
    expect(byTime?.revision).toBeGreaterThanOrEqual(8);
    expect(await audit.asOf('d-1', { asOfTime: new Date(0) })).toMatchObject({
      revision: -1,
      state: { status: 'NONE' },
    });
    expect(await audit.asOf('missing')).toBeNull();
  });

  it('verifies an intact chain and finds the first altered revision', async () => {
    expect(await audit.verify('d-1')).toMatchObject({ intact: true, events: 16 });
    const sql = `UPDATE arbiter.events SET data = jsonb_set(data, '{body}', '"I accept"') WHERE stream_id = 'dispute-d-1' AND revision = 3`;
    if (database.connection.kind === 'postgres') await database.connection.pool.query(sql);
    else await database.connection.db.query(sql);
    expect(await audit.verify('d-1')).toMatchObject({ intact: false, brokenAtRevision: 3n });
  });
});
