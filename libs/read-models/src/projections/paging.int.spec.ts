import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { type Actor, addDays, type Money } from '@arbiter/disputes';
import { readDbFor } from '../database';
import { migrateReadModels } from '../migrate';
import { ProjectionRegistry } from '../projection';
import { ProjectionRunner } from '../runner';
import { type ReadTestDatabase, readTestDatabases } from '../testing/read-databases';
import { DisputeQueries, disputeProjections } from '.';
import type { QueriedDispute } from './dispute-queries';
import {
  InvalidCursorError,
  MixedPagingError,
  type Page,
  type PageArgs,
} from './shared/pagination';
import { DisputeScenario, mediatedStory } from './testing/scenario';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const otherBuyer: Actor = { id: 'buyer-2', role: 'buyer' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const T0 = '2026-03-01T00:00:00.000Z';
const day = (n: number) => addDays(T0, n);
const DISPUTES = 7;

jest.setTimeout(120_000);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

type List = (args: PageArgs) => Promise<Page<QueriedDispute>>;
const idsOf = (page: Page<QueriedDispute>) => page.edges.map((edge) => edge.node.disputeId);

/** Every item, page by page from the start with `first`. */
async function forward(list: List, size: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = await list({ first: size, after });
    pages.push(idsOf(page));
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    if (!page.pageInfo.hasNextPage) return pages;
    after = page.pageInfo.endCursor;
  }
}

/** Every item, page by page from the end with `last`, each page in the list's order. */
async function backward(list: List, size: number): Promise<string[][]> {
  const pages: string[][] = [];
  let before: string | null = null;
  for (;;) {
    const page = await list({ last: size, before });
    pages.unshift(idsOf(page));
    expect(page.pageInfo.hasNextPage).toBe(before !== null);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    if (!page.pageInfo.hasPreviousPage) return pages;
    before = page.pageInfo.startCursor;
  }
}

// Lists shown newest first read from either end: the same items, in the same order, however
// they are paged; on PGlite and PostgreSQL.
describe.each(readTestDatabases())('two-way paging on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let store: EventStore;
  let runner: ProjectionRunner;
  let queries: DisputeQueries;
  let newestFirst: string[];

  beforeAll(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    store = await createSqlEventStore(database.connection);
    runner = new ProjectionRunner(
      store,
      database.connection,
      new ProjectionRegistry(disputeProjections()),
      { batchSize: 20, waitPollMs: 10, lockRetryMs: 50, logger: quiet },
    );
    const scenario = new DisputeScenario(store);
    queries = new DisputeQueries(readDbFor(database.connection));
    runner.start();
    // Two disputes opened at the same instant: the id breaks the tie both ways.
    const openedAt = [1, 2, 3, 3, 4, 5, 6];
    for (let i = 1; i <= DISPUTES; i++) {
      await scenario.placeShippedOrder({
        orderId: `o-${i}`,
        buyerId: buyer.id,
        sellerId: seller.id,
        total: eur(10_000),
        at: day(i / 10),
      });
      await mediatedStory(
        scenario,
        { disputeId: `d-${i}`, orderId: `o-${i}` },
        { buyer, seller, mediator },
        day(5 + openedAt[i - 1]),
        'escalated',
      );
    }
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);
    newestFirst = ['d-7', 'd-6', 'd-5', 'd-4', 'd-3', 'd-2', 'd-1'];
  });

  afterAll(async () => {
    await runner?.stop();
    await store?.close();
    await database?.dispose();
  });

  const lists: [string, () => List][] = [
    ['myDisputes', () => (args) => queries.buyerDisputes(buyer, {}, args)],
    ['sellerDisputes', () => (args) => queries.sellerDisputes(seller, {}, args)],
  ];

  it.each(lists)(
    '%s: walked forward and backward, the same items in the same order',
    async (_name, make) => {
      const list = make();
      expect(idsOf(await list({ first: 100 }))).toEqual(newestFirst);
      for (const size of [1, 2, 3, DISPUTES, 100]) {
        expect((await forward(list, size)).flat()).toEqual(newestFirst);
        expect((await backward(list, size)).flat()).toEqual(newestFirst);
      }
      // Backward pages are aligned on the end: 7 by 3 is [1] [3] [3] from the front.
      expect(await backward(list, 3)).toEqual([
        ['d-7'],
        ['d-6', 'd-5', 'd-4'],
        ['d-3', 'd-2', 'd-1'],
      ]);
    },
  );

  it.each(lists)(
    '%s: back from the middle and forward again meet at the cursor',
    async (_name, make) => {
      const list = make();
      const middle = await list({ first: 3, after: (await list({ first: 2 })).pageInfo.endCursor });
      expect(idsOf(middle)).toEqual(['d-5', 'd-4', 'd-3']);
      expect(middle.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
      const before = await list({ last: 10, before: middle.pageInfo.startCursor });
      expect(idsOf(before)).toEqual(['d-7', 'd-6']);
      expect(before.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
      const after = await list({ first: 10, after: middle.pageInfo.endCursor });
      expect(idsOf(after)).toEqual(['d-2', 'd-1']);
      // `last` alone is the end of the list; `before` alone the default page size before it.
      expect(idsOf(await list({ last: 2 }))).toEqual(['d-2', 'd-1']);
      expect(idsOf(await list({ before: middle.pageInfo.endCursor }))).toEqual([
        'd-7',
        'd-6',
        'd-5',
        'd-4',
      ]);
      expect((await list({ last: 2 })).totalCount).toBe(DISPUTES);
    },
  );

  it('reads nothing before the first item, and an empty list from both ends', async () => {
    const list: List = (args) => queries.buyerDisputes(buyer, {}, args);
    const top = await list({ first: 1 });
    const none = await list({ last: 5, before: top.pageInfo.startCursor });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
    for (const args of [{ first: 5 }, { last: 5 }]) {
      const empty = await queries.buyerDisputes(otherBuyer, {}, args);
      expect(empty).toEqual({
        edges: [],
        totalCount: 0,
        pageInfo: {
          hasNextPage: false,
          hasPreviousPage: false,
          startCursor: null,
          endCursor: null,
        },
      });
    }
  });

  it('walks the mediation queue both ways too', async () => {
    const list: List = (args) => queries.mediationQueue(mediator, {}, args);
    const all = idsOf(await list({ first: 100 }));
    expect(all).toHaveLength(DISPUTES);
    for (const size of [1, 3, 100]) {
      expect((await forward(list, size)).flat()).toEqual(all);
      expect((await backward(list, size)).flat()).toEqual(all);
    }
  });

  it('refuses both directions at once and a hand-made `before`, naming the argument', async () => {
    const cursor = (await queries.buyerDisputes(buyer, {}, { first: 1 })).pageInfo.endCursor;
    for (const args of [
      { first: 2, last: 2 },
      { after: cursor, before: cursor },
      { first: 2, before: cursor },
    ])
      await expect(queries.buyerDisputes(buyer, {}, args)).rejects.toThrow(MixedPagingError);
    await expect(
      queries.sellerDisputes(seller, {}, { last: 1, after: cursor }),
    ).rejects.toMatchObject({
      argument: 'last',
    });
    await expect(
      queries.mediationQueue(mediator, {}, { before: 'bm90IGEgY3Vyc29y' }),
    ).rejects.toEqual(expect.objectContaining({ argument: 'before' }));
    await expect(queries.buyerDisputes(buyer, {}, { before: 'x' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});
