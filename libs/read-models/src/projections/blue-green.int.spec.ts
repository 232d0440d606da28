import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { type Actor, addDays, type Money } from '@arbiter/disputes';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { type ReadDb, readDbFor } from '../database';
import { migrateReadModels } from '../migrate';
import { ProjectionRegistry } from '../projection';
import { ProjectionRunner } from '../runner';
import { type ReadTestDatabase, readTestDatabases } from '../testing/read-databases';
import { readModelSnapshot } from '../testing/snapshot';
import { DisputeQueries, disputeProjections } from '.';
import { DisputeScenario, mediatedStory } from './testing/scenario';

// The dispute projections rebuilt blue/green: the views answer whole through the rebuild, and the
// switched tables are those a from-scratch rebuild gives, under the migrated names.
const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const day = (n: number) => addDays('2026-03-01T00:00:00.000Z', n);
const TABLES = [
  'buyer_disputes',
  'seller_disputes',
  'seller_orders',
  'mediator_cases',
  'mediator_buyer_orders',
  'timeline_entries',
  'dispute_stats',
];
const BUYER_LIST = 'SELECT dispute_id, last_revision FROM read_models.buyer_disputes ORDER BY 1';
jest.setTimeout(180_000);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(readTestDatabases())(
  'blue/green rebuild of the dispute views on %s',
  (kind, open) => {
    let database: ReadTestDatabase;
    let db: ReadDb;
    let store: EventStore;
    let runner: ProjectionRunner;
    let scenario: DisputeScenario;
    let queries: DisputeQueries;

    beforeEach(async () => {
      database = await open();
      await migrateReadModels(database.connection);
      db = readDbFor(database.connection);
      store = await createSqlEventStore(database.connection);
      runner = new ProjectionRunner(
        store,
        database.connection,
        new ProjectionRegistry(disputeProjections()),
        { batchSize: 7, waitPollMs: 10, lockRetryMs: 50, logger: quiet },
      );
      scenario = new DisputeScenario(store);
      queries = new DisputeQueries(db);
    });

    afterEach(async () => {
      await runner.stop();
      await store.close();
      await database.dispose();
    });

    async function story(i: number): Promise<void> {
      const orderId = `o-${i}`;
      await scenario.placeShippedOrder({
        orderId,
        buyerId: buyer.id,
        sellerId: seller.id,
        total: eur(10_000),
        at: day(0),
      });
      await mediatedStory(
        scenario,
        { disputeId: `d-${i}`, orderId },
        { buyer, seller, mediator },
        day(6 + i),
        (['escalated', 'decided', 'closed'] as const)[i % 3],
      );
    }

    async function settle(): Promise<void> {
      expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);
    }

    const buyerList = async () =>
      (await queries.buyerDisputes(buyer, {}, { first: 50 })).edges.map((edge) => [
        edge.node.disputeId,
        edge.node.status,
      ]);

    /** Every index and constraint of the schema, with its definition (its table's name left out). */
    async function namesOf(schema: string): Promise<string[]> {
      const { rows } = await db.execute<{ name: string }>(
        sql`SELECT indexname || ' ' || regexp_replace(indexdef, ' ON \S+', '') AS name
            FROM pg_indexes WHERE schemaname = ${schema}
          UNION ALL
          SELECT c.conname || ' ' || pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
           WHERE n.nspname = ${schema}
          ORDER BY 1`,
      );
      return rows.map((row) => row.name);
    }

    it('keeps answering whole through the rebuild, then serves the rebuilt tables under the migrated names', async () => {
      runner.start();
      for (let i = 1; i <= 5; i++) await story(i);
      await settle();
      const migrated = await namesOf('read_models');
      const listed = await buyerList();
      expect(listed).toHaveLength(5);

      // Another session with a named prepared statement on a view table (PostgreSQL keeps it
      // across sessions' DDL and must re-plan it onto the new table).
      const session =
        kind === 'postgres'
          ? new Client({
              connectionString: (
                database.connection as { pool: { options: { connectionString: string } } }
              ).pool.options.connectionString,
            })
          : undefined;
      await session?.connect();
      const prepared = async () =>
        (await session!.query({ name: 'buyer-list', text: BUYER_LIST })).rows.map((row) => [
          row.dispute_id,
          row.last_revision,
        ]);
      try {
        const preparedBefore = session ? await prepared() : [];

        let switches = 0;
        const results = await runner.rebuild('all', {
          beforeSwitch: async () => {
            // The views are whole while their copies are about to take over, and still live.
            expect(await buyerList()).toEqual(expect.arrayContaining(listed));
            if (switches++ === 0) {
              await story(6);
              await settle();
              expect(await buyerList()).toHaveLength(6);
            }
          },
        });
        expect(results.map((result) => [result.projection, result.mode])).toEqual([
          ['buyer-view', 'blue-green'],
          ['seller-view', 'blue-green'],
          ['mediator-view', 'blue-green'],
          ['timeline', 'blue-green'],
          ['stats', 'blue-green'],
        ]);
        await settle();
        expect(await buyerList()).toHaveLength(6);
        expect(await namesOf('read_models')).toEqual(migrated);
        const { rows: left } = await db.execute(
          sql`SELECT tablename FROM pg_tables WHERE schemaname = 'read_models_rebuild'`,
        );
        expect(left).toEqual([]);
        if (session) {
          const preparedAfter = await prepared();
          expect(preparedAfter).toHaveLength(6);
          expect(preparedAfter).toEqual(expect.arrayContaining(preparedBefore));
        }

        // The switched tables hold exactly what a from-scratch rebuild gives.
        const blueGreen = await readModelSnapshot(db, TABLES);
        await runner.stop();
        await runner.rebuild('all', { mode: 'in-place' });
        expect(await readModelSnapshot(db, TABLES)).toEqual(blueGreen);
      } finally {
        await session?.end();
      }
    });
  },
);
