import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { type Actor, addDays, type Money } from '@arbiter/disputes';
import { and, eq } from 'drizzle-orm';
import { type ReadDb, readDbFor } from '../../database';
import { migrateReadModels } from '../../migrate';
import { ProjectionRegistry } from '../../projection';
import { ProjectionRunner } from '../../runner';
import { timelineEntries } from '../../schema';
import { type ReadTestDatabase, readTestDatabases } from '../../testing/read-databases';
import { DisputeQueries, disputeProjections, timelinePage, timelinesOf } from '..';
import { DisputeScenario } from '../testing/scenario';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const T0 = '2026-03-01T00:00:00.000Z';

// What the issue measured from outside: a line break, a quote, an ANSI colour and a bidi override
// around text that reads like a resolution line.
const HOSTILE = 'ok"\n\u001b[32mDECIDED: FULL_REFUND to buyer\u202e';
const QUOTED = '“ok\\" DECIDED: FULL_REFUND to buyer”';

jest.setTimeout(120_000);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(readTestDatabases())('timeline on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: EventStore;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    store = await createSqlEventStore(database.connection);
    runner = new ProjectionRunner(
      store,
      database.connection,
      new ProjectionRegistry(disputeProjections()),
      { waitPollMs: 10, lockRetryMs: 50, logger: quiet },
    );
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await database.dispose();
  });

  it('a timeline entry built from hostile text: one quoted line; the raw text kept', async () => {
    const scenario = new DisputeScenario(store);
    runner.start();
    await scenario.placeShippedOrder({
      orderId: 'o-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      at: T0,
    });
    await scenario.open('d-1', 'o-1', buyer, addDays(T0, 6), { description: HOSTILE });
    await scenario.run('d-1', seller, addDays(T0, 7), 'RespondToDispute', {
      response: 'REJECT',
      comment: HOSTILE,
    });
    await scenario.run('d-1', buyer, addDays(T0, 7.5), 'PostMessage', {
      messageId: 'm-1',
      body: HOSTILE,
    });
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);

    const mediator: Actor = { id: 'med-1', role: 'mediator' };
    const wording: [Actor, string[]][] = [
      [
        buyer,
        [
          `You opened a dispute (not as described), asking for a full refund: ${QUOTED}.`,
          `The seller rejected the claim: ${QUOTED}.`,
          `You wrote: ${QUOTED}.`,
        ],
      ],
      [
        seller,
        [
          `The buyer opened a dispute (not as described), asking for a full refund: ${QUOTED}.`,
          `You rejected the claim: ${QUOTED}.`,
          `The buyer wrote: ${QUOTED}.`,
        ],
      ],
      [
        mediator,
        [
          `The buyer opened a dispute (not as described), asking for a full refund: ${QUOTED}.`,
          `The seller rejected the claim: ${QUOTED}.`,
          `The buyer wrote: ${QUOTED}.`,
        ],
      ],
    ];
    for (const [reader, summaries] of wording) {
      const page = await timelinePage(db, reader, 'd-1', { first: 100 });
      expect(page.edges.map((edge) => edge.node.summary)).toEqual(summaries);
    }

    // Only the summary is made safe: the row keeps the event as recorded (so summaries are
    // worded on reading, and a change of wording needs no rebuild), and the view's message
    // body is the text as written, for clients to render themselves.
    const [row] = await db
      .select()
      .from(timelineEntries)
      .where(eq(timelineEntries.type, 'MessagePosted'));
    expect((row.data as { body: string }).body).toBe(HOSTILE);
    const file = await new DisputeQueries(db).dispute(buyer, 'd-1');
    expect(file?.messages.map((message) => message.body)).toEqual([HOSTILE]);
    expect(file?.description).toBe(HOSTILE);
  });

  it('a row stored with v1 ReturnShipped data reads as v2: no delivery clock, in the view and the entry', async () => {
    const scenario = new DisputeScenario(store);
    runner.start();
    await scenario.placeShippedOrder({
      orderId: 'o-1',
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      at: T0,
    });
    await scenario.open('d-1', 'o-1', buyer, addDays(T0, 6), {
      claim: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
    });
    await scenario.run('d-1', seller, addDays(T0, 7), 'RespondToDispute', {
      response: 'ACCEPT',
      comment: 'Send it back',
      proposalId: 'd-1-p0',
    });
    await scenario.run('d-1', seller, addDays(T0, 7), 'ProvideReturnAddress', {
      address: { name: 'Shop', lines: ['1 Dock Road'], postalCode: 'E16 1AA', country: 'GB' },
    });
    await scenario.run('d-1', buyer, addDays(T0, 8), 'ShipReturn', {
      carrier: 'bpost',
      trackingNumber: 'TRK-1',
    });
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);
    const platform: Actor = { id: 'marketplace', role: 'platform' };
    const queries = new DisputeQueries(db);
    const shippedRow = and(
      eq(timelineEntries.disputeId, 'd-1'),
      eq(timelineEntries.type, 'ReturnShipped'),
    );

    // Projected now: the version it was recorded with, read as is (not upcast a second time).
    const [current] = await db.select().from(timelineEntries).where(shippedRow);
    expect(current.schemaVersion).toBe(2);
    const clocked = await queries.dispute(platform, 'd-1');
    expect(clocked).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_DELIVERY', dueAt: expect.any(String) },
    });

    // The same row as a release before the delivery clock projected it.
    const { deliveryDueAt: _none, ...v1 } = current.data as Record<string, unknown>;
    await db
      .update(timelineEntries)
      .set({ data: { ...v1, receiptDueAt: addDays(T0, 18) }, schemaVersion: 1 })
      .where(shippedRow);
    const upcast = await queries.dispute(platform, 'd-1');
    expect(upcast).toMatchObject({ status: 'RETURN_IN_TRANSIT', deadline: null });
    const mediator: Actor = { id: 'med-1', role: 'mediator' };
    for (const [reader, who] of [
      [buyer, 'You'],
      [mediator, 'The buyer'],
      [platform, 'The buyer'],
    ] as const) {
      const page = await timelinePage(db, reader, 'd-1', { first: 100 });
      expect(page.edges.at(-1)?.node).toMatchObject({
        type: 'ReturnShipped',
        summary: expect.stringContaining(`${who} shipped the return with “bpost”`),
      });
    }

    // Every reader goes through the registry: a version this code does not know is refused.
    await db.update(timelineEntries).set({ schemaVersion: 3 }).where(shippedRow);
    const unknown = { code: 'EVENT_SCHEMA_VERSION_UNKNOWN', storedVersion: 3, knownVersion: 2 };
    await expect(queries.dispute(platform, 'd-1')).rejects.toMatchObject(unknown);
    await expect(timelinePage(db, buyer, 'd-1', { first: 100 })).rejects.toMatchObject(unknown);
    await expect(timelinesOf(db, { id: 'med-1', role: 'mediator' }, ['d-1'])).rejects.toMatchObject(
      unknown,
    );
  });
});
