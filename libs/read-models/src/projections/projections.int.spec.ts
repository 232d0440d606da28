import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { type Actor, addDays, DEFAULT_POLICY, definePolicy, type Money } from '@arbiter/disputes';
import { type ReadDb, readDbFor } from '../database';
import { migrateReadModels } from '../migrate';
import { ProjectionRegistry } from '../projection';
import { ProjectionRunner } from '../runner';
import { type ReadTestDatabase, readTestDatabases } from '../testing/read-databases';
import { readModelSnapshot } from '../testing/snapshot';
import {
  abuseSignal,
  DisputeQueries,
  disputeProjections,
  disputeStatistics,
  timelinePage,
} from '.';
import type { QueriedDispute } from './dispute-queries';
import { DisputeScenario, mediatedStory } from './testing/scenario';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const otherBuyer: Actor = { id: 'buyer-2', role: 'buyer' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const analyst: Actor = { id: 'analyst-1', role: 'analyst' };
const platform: Actor = { id: 'marketplace', role: 'platform' };
const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });
const T0 = '2026-03-01T00:00:00.000Z';
const day = (n: number) => addDays(T0, n);

const TABLES = [
  'buyer_disputes',
  'seller_disputes',
  'seller_orders',
  'mediator_cases',
  'mediator_buyer_orders',
  'timeline_entries',
  'dispute_stats',
];
jest.setTimeout(120_000);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(readTestDatabases())('dispute projections on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: EventStore;
  let runner: ProjectionRunner;
  let scenario: DisputeScenario;
  let queries: DisputeQueries;

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    store = await createSqlEventStore(database.connection);
    runner = new ProjectionRunner(
      store,
      database.connection,
      new ProjectionRegistry(disputeProjections()),
      {
        batchSize: 7,
        waitPollMs: 10,
        lockRetryMs: 50,
        logger: quiet,
      },
    );
    scenario = new DisputeScenario(store);
    queries = new DisputeQueries(db);
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await database.dispose();
  });

  const snapshot = () => readModelSnapshot(db, TABLES);

  async function order(orderId: string, who = buyer, at = day(0)): Promise<void> {
    await scenario.placeShippedOrder({
      orderId,
      buyerId: who.id,
      sellerId: seller.id,
      total: eur(10_000),
      at,
    });
  }

  async function settle(): Promise<void> {
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);
  }

  it('projects a mediated dispute into every view, each shaped for its audience', async () => {
    runner.start();
    await order('o-1');
    await mediatedStory(
      scenario,
      { disputeId: 'd-1', orderId: 'o-1' },
      { buyer, seller, mediator },
      day(6),
    );
    await settle();

    const asBuyer = await queries.dispute(buyer, 'd-1');
    expect(asBuyer).toMatchObject({
      status: 'CLOSED',
      outcome: { outcome: 'BUYER_PARTIAL_REFUND', reachedBy: 'MEDIATION' },
      refunded: eur(5000),
      staff: null,
    });
    const file = asBuyer as QueriedDispute;
    expect(file.messages.map((m) => m.body)).toEqual(['That is not enough']);
    expect(file.evidence.map((e) => e.submittedBy)).toEqual(['buyer', 'seller']);
    expect(file.internalNotes).toEqual([]);
    // A party sees that a mediator acted, never who.
    expect(file.evidenceRequests[0]).toMatchObject({
      status: 'ANSWERED',
      requestedBy: { role: 'mediator', id: '[redacted]' },
    });
    expect(file.decision).toMatchObject({
      rationale: 'Photos show a different colour',
      by: { id: '[redacted]' },
    });
    expect(JSON.stringify(asBuyer)).not.toContain('med-1');
    expect(JSON.stringify(asBuyer)).not.toContain('similar cases');

    const asSeller = await queries.dispute(seller, 'd-1');
    expect(asSeller?.internalNotes).toEqual([]);
    expect(await queries.dispute(otherBuyer, 'd-1')).toBeNull();
    expect(await queries.dispute({ id: 'seller-2', role: 'seller' }, 'd-1')).toBeNull();

    const asMediator = await queries.dispute(mediator, 'd-1');
    expect(asMediator?.internalNotes.map((n) => n.note)).toEqual([
      'Seller has several similar cases',
    ]);
    expect(asMediator?.staff).toMatchObject({
      mediatorId: 'med-1',
      abuseSignal: { flagged: false, disputes: 1, orders: 1 },
    });

    const asAnalyst = await queries.dispute(analyst, 'd-1');
    expect(asAnalyst?.messages[0].body).toBe('[redacted]');
    expect(asAnalyst?.description).toBe('[redacted]');
    expect(asAnalyst?.internalNotes).toEqual([]);

    // The platform: every dispute's facts, outcome and refunds, none of the conversation.
    const asPlatform = await queries.dispute(platform, 'd-1');
    expect(asPlatform).toMatchObject({
      buyerId: 'buyer-1',
      sellerId: 'seller-1',
      status: 'CLOSED',
      outcome: { outcome: 'BUYER_PARTIAL_REFUND' },
      refunded: eur(5000),
      staff: null,
    });
    const platformFile = asPlatform as QueriedDispute;
    expect(platformFile.description).toBe('[redacted]');
    expect(platformFile.messages.map((m) => m.body)).toEqual(['[redacted]']);
    expect(platformFile.evidence.map((e) => e.description)).toEqual(['[redacted]', '[redacted]']);
    expect(platformFile.decision).toMatchObject({ rationale: '[redacted]' });
    expect(platformFile.internalNotes).toEqual([]);
    for (const secret of ['med-1', 'not enough', 'different colour', 'similar cases'])
      expect(JSON.stringify(asPlatform)).not.toContain(secret);
    const platformTimeline = await timelinePage(db, platform, 'd-1', { first: 100 });
    expect(platformTimeline.edges.map((e) => e.node.type)).not.toContain('InternalNoteAdded');
    expect(platformTimeline.edges.find((e) => e.node.type === 'MessagePosted')?.node.summary).toBe(
      'The buyer wrote: “[redacted]”.',
    );
    for (const secret of ['med-1', 'not enough', 'different colour'])
      expect(JSON.stringify(platformTimeline)).not.toContain(secret);

    const staffTimeline = await timelinePage(db, mediator, 'd-1', { first: 100 });
    const partyTimeline = await timelinePage(db, buyer, 'd-1', { first: 100 });
    expect(staffTimeline.totalCount).toBe(partyTimeline.totalCount + 1);
    expect(partyTimeline.edges.map((e) => e.node.type)).not.toContain('InternalNoteAdded');
    expect(partyTimeline.edges[0].node).toMatchObject({
      sequence: 1,
      revision: null,
      actorRole: 'buyer',
      summary: expect.stringContaining('You opened a dispute'),
    });
    // Numbered over what each reader sees: the party's numbers skip the hidden note.
    expect(partyTimeline.edges.map((e) => e.node.sequence)).toEqual(
      partyTimeline.edges.map((_e, i) => i + 1),
    );
    expect(staffTimeline.edges.map((e) => [e.node.sequence, e.node.revision])).toEqual(
      staffTimeline.edges.map((_e, i) => [i + 1, i]),
    );
    const taken = partyTimeline.edges.find((e) => e.node.type === 'CaseTaken')?.node;
    expect(taken).toMatchObject({
      actorRole: 'mediator',
      actorId: '[redacted]',
      summary: 'A mediator took the case.',
    });
    const analystTimeline = await timelinePage(db, analyst, 'd-1', { first: 100 });
    expect(analystTimeline.edges.find((e) => e.node.type === 'MessagePosted')?.node.summary).toBe(
      'The buyer wrote: “[redacted]”.',
    );

    const stats = await disputeStatistics(db);
    expect(stats).toMatchObject({
      total: 1,
      byStatus: [{ key: 'CLOSED', count: 1 }],
      byOutcome: [{ key: 'BUYER_PARTIAL_REFUND', count: 1 }],
      resolvedCount: 1,
    });
    expect(stats.medianResolutionMs).toBe(9 * 86_400_000);
  });

  /** PER_WRITER disputes (order, opening, one message) per call, one after the other. */
  const PER_WRITER = 6;
  async function writeDisputes(into: EventStore, writer: number, round: number): Promise<bigint> {
    const scenario = new DisputeScenario(into, DEFAULT_POLICY, `writer-${writer}-${round}`);
    for (let i = 0; i < PER_WRITER; i++) {
      const id = `d-${writer}-${round}-${i}`;
      const who: Actor = { id: `buyer-${writer}-${i}`, role: 'buyer' };
      await scenario.placeShippedOrder({
        orderId: `o-${id}`,
        buyerId: who.id,
        sellerId: seller.id,
        total: eur(5_000),
        at: day(0),
      });
      await scenario.open(id, `o-${id}`, who, day(1));
      await scenario.run(id, who, day(1), 'PostMessage', { messageId: `m-${id}`, body: 'hello' });
    }
    return scenario.lastPosition;
  }

  /**
   * Disputes written before the runner starts (with a rebuild of every projection after them
   * when `rebuildFirst`), then eight writers at once while it catches up and goes live: every view
   * must end with every dispute, at its last revision, and no projection may stop.
   */
  async function writersThroughCatchUp(
    into: EventStore,
    running: ProjectionRunner,
    rebuildFirst: boolean,
  ): Promise<void> {
    const writers = 8;
    await writeDisputes(into, 0, 0);
    if (rebuildFirst) await running.rebuild('all');
    running.start();
    const lasts = await Promise.all(
      Array.from({ length: writers }, (_, writer) => writeDisputes(into, writer, 1)),
    );
    const last = lasts.reduce((a, b) => (a > b ? a : b));
    expect(await running.waitForPosition(last, 60_000)).toBe(true);
    expect(running.status().filter((s) => s.state === 'failed')).toEqual([]);

    const expected = [
      ...Array.from({ length: PER_WRITER }, (_, i) => `d-0-0-${i}`),
      ...Array.from(
        { length: writers * PER_WRITER },
        (_, n) => `d-${Math.floor(n / PER_WRITER)}-1-${n % PER_WRITER}`,
      ),
    ].sort();
    for (const table of ['buyer_disputes', 'seller_disputes', 'mediator_cases', 'dispute_stats']) {
      const rows = (await snapshot())[table] as { dispute_id: string; last_revision: number }[];
      expect({ table, ids: rows.map((row) => row.dispute_id).sort() }).toEqual({
        table,
        ids: expected,
      });
      // Opened, then one message: revision 1 everywhere.
      expect(rows.filter((row) => Number(row.last_revision) !== 1)).toEqual([]);
    }
  }

  it('misses no dispute in any view while writers append through the catch-up and the switch to live', async () => {
    // Small batches: many catch-up pages and switches.
    await writersThroughCatchUp(store, runner, false);
  });

  it('misses no dispute in any view with tiny shared windows, through a rebuild, the catch-up and the switch to live', async () => {
    // The windows over the log (the live tail's and the catch-up pages') a few events long: they
    // move, drop what a projection still needs and get read past at every turn, with every
    // projection rebuilt side by side first (as `projections rebuild all` before a start).
    const tinyStore = await createSqlEventStore(database.connection, {
      tailWindow: { events: 12, page: 3 },
    });
    const tiny = new ProjectionRunner(
      tinyStore,
      database.connection,
      new ProjectionRegistry(disputeProjections()),
      {
        // Batches larger than the catch-up window: every catch-up waits for pages.
        batchSize: 30,
        waitPollMs: 10,
        lockRetryMs: 50,
        logger: quiet,
        catchUpWindow: { events: 20, page: 5 },
      },
    );
    try {
      await writersThroughCatchUp(tinyStore, tiny, true);
    } finally {
      await tiny.stop();
      await tinyStore.close();
    }
  });

  it('shows each viewer what they must do next, by when', async () => {
    runner.start();
    await order('o-1');
    await scenario.open('d-1', 'o-1', buyer, day(6));
    await settle();
    const sellers = {
      actor: 'seller',
      action: 'RESPOND_TO_DISPUTE',
      dueAt: day(11),
      ifMissed: 'BUYER_PROPOSAL_ACCEPTED',
    };
    expect((await queries.dispute(seller, 'd-1'))?.nextAction).toEqual({ ...sellers, yours: true });
    // The buyer is told whom they wait for, and until when.
    expect((await queries.dispute(buyer, 'd-1'))?.nextAction).toEqual({ ...sellers, yours: false });
    await order('o-2');
    await mediatedStory(
      scenario,
      { disputeId: 'd-2', orderId: 'o-2' },
      { buyer, seller, mediator },
      day(6),
      'decided',
    );
    await settle();
    expect((await queries.dispute(buyer, 'd-2'))?.nextAction).toMatchObject({
      action: 'ACCEPT_OR_APPEAL_DECISION',
      ifMissed: 'DECISION_BECOMES_FINAL',
    });
  });

  it('leaves every row as it was when events are applied again (replay guard)', async () => {
    runner.start();
    await order('o-1');
    await mediatedStory(
      scenario,
      { disputeId: 'd-1', orderId: 'o-1' },
      { buyer, seller, mediator },
      day(6),
    );
    await order('o-2');
    await mediatedStory(
      scenario,
      { disputeId: 'd-2', orderId: 'o-2' },
      { buyer, seller, mediator },
      day(7),
      'decided',
    );
    await settle();
    const before = await snapshot();
    await runner.stop();
    const events = await store.readAll({ maxCount: 10_000 });
    // Every event again, in two shapes of batch: everything at once, and one at a time.
    for (const projection of disputeProjections()) {
      const mine = events.filter((event) => projection.eventTypes.includes(event.type));
      await db.transaction(async (tx) => {
        for (const event of mine) await projection.apply(event, tx);
      });
      for (const event of mine) await db.transaction((tx) => projection.apply(event, tx));
    }
    expect(await snapshot()).toEqual(before);
  });

  it('stops at an event that would skip revisions of its dispute, in every view of one row per dispute', async () => {
    await order('o-1');
    await scenario.open('d-1', 'o-1', buyer, day(1));
    for (let n = 0; n < 2; n++)
      await scenario.run('d-1', buyer, day(1), 'PostMessage', {
        messageId: `m-${n}`,
        body: `message ${n}`,
      });
    const events = (await store.readAll({})).filter((event) => event.streamId === 'dispute-d-1');
    expect(events.map((event) => Number(event.revision))).toEqual([0, 1, 2]);
    const views = disputeProjections().filter((projection) =>
      ['buyer-view', 'seller-view', 'mediator-view', 'stats'].includes(projection.name),
    );
    expect(views).toHaveLength(4);
    for (const view of views) {
      // Without its opening: no row to fold onto.
      await expect(db.transaction((tx) => view.apply(events[1], tx))).rejects.toThrow(
        'the view has no row for this dispute',
      );
      // The opening, then revision 2 without revision 1: in one batch, and in two.
      await expect(
        db.transaction((tx) => view.applyBatch!([events[0], events[2]], tx)),
      ).rejects.toThrow('the view is at revision 0, revisions 1 to 1 were never applied');
      await db.transaction((tx) => view.apply(events[0], tx));
      await expect(db.transaction((tx) => view.apply(events[2], tx))).rejects.toThrow(
        'revisions 1 to 1 were never applied',
      );
      // In order, it applies.
      await db.transaction((tx) => view.applyBatch!([events[1], events[2]], tx));
    }
    const revision = 'dispute_id, last_revision::text AS last_revision';
    const rows = await readModelSnapshot(
      db,
      ['buyer_disputes', 'seller_disputes', 'mediator_cases', 'dispute_stats'],
      {
        buyer_disputes: revision,
        seller_disputes: revision,
        mediator_cases: revision,
        dispute_stats: revision,
      },
    );
    for (const table of Object.values(rows))
      expect(table).toEqual([{ dispute_id: 'd-1', last_revision: '2' }]);
  });

  it('rebuilds exactly the rows incremental processing produced', async () => {
    runner.start();
    for (let i = 1; i <= 4; i++) {
      await order(`o-${i}`, i % 2 ? buyer : otherBuyer);
      await mediatedStory(
        scenario,
        { disputeId: `d-${i}`, orderId: `o-${i}` },
        { buyer: i % 2 ? buyer : otherBuyer, seller, mediator },
        day(6 + i),
        (['escalated', 'decided', 'closed', 'closed'] as const)[i - 1],
      );
    }
    await settle();
    const incremental = await snapshot();
    await runner.stop();
    const results = await runner.rebuild('all');
    expect(results.map((r) => r.projection)).toEqual([
      'buyer-view',
      'seller-view',
      'mediator-view',
      'timeline',
      'stats',
    ]);
    expect(await snapshot()).toEqual(incremental);
  });

  it('flags a buyer whose disputes reach the minimum and exceed the ratio of their orders', async () => {
    runner.start();
    // buyer-1: 5 orders, a dispute on each → the 5th dispute is flagged (5 ≥ 5 and 5 > 0.5 × 5).
    for (let i = 1; i <= 5; i++) {
      await order(`a-${i}`, buyer, day(i));
      await scenario.open(`da-${i}`, `a-${i}`, buyer, day(6 + i));
    }
    // buyer-2: 10 orders, 5 disputes → ratio exactly 0.5: not flagged.
    for (let i = 1; i <= 10; i++) await order(`b-${i}`, otherBuyer, day(i));
    for (let i = 1; i <= 5; i++) await scenario.open(`db-${i}`, `b-${i}`, otherBuyer, day(6 + i));
    await settle();
    const flags = async (prefix: string) =>
      Promise.all(
        [1, 2, 3, 4, 5].map(
          async (i) =>
            (await queries.dispute(mediator, `${prefix}-${i}`))?.staff?.abuseSignal.flagged,
        ),
      );
    expect(await flags('da')).toEqual([false, false, false, false, true]);
    expect(await flags('db')).toEqual([false, false, false, false, false]);
    expect((await queries.dispute(mediator, 'da-5'))?.staff?.abuseSignal).toEqual({
      flagged: true,
      disputes: 5,
      orders: 5,
    });
    // A party never sees the signal.
    expect((await queries.dispute(buyer, 'da-5'))?.staff).toBeNull();
    // Replayed in batches (of 7: openings and orders of one buyer in one batch, counted together
    // before the batch writes), the counts are the ones event by event gave.
    const signals = async () =>
      Promise.all(
        ['da', 'db'].flatMap((prefix) =>
          [1, 2, 3, 4, 5].map(
            async (i) => (await queries.dispute(mediator, `${prefix}-${i}`))?.staff?.abuseSignal,
          ),
        ),
      );
    const live = await signals();
    await runner.stop();
    await runner.rebuild('mediator-view');
    expect(await signals()).toEqual(live);
  });

  it('computes the 30-day seller metrics', async () => {
    runner.start();
    for (let i = 1; i <= 4; i++) await order(`o-${i}`, buyer, day(i));
    await mediatedStory(
      scenario,
      { disputeId: 'd-1', orderId: 'o-1' },
      { buyer, seller, mediator },
      day(6),
    ); // escalated, at fault
    await mediatedStory(
      scenario,
      { disputeId: 'd-2', orderId: 'o-2' },
      { buyer, seller, mediator },
      day(6),
      'escalated',
    );
    await scenario.open('d-3', 'o-3', buyer, day(6));
    await settle();
    const metrics = await queries.sellerMetrics(seller.id, new Date(day(20)));
    expect(metrics).toMatchObject({
      orders: 4,
      disputes: 3,
      escalated: 2,
      atFault: 1,
      disputeRate: 0.75,
      escalationRate: 2 / 3,
      sellerAtFaultRate: 1 / 3,
    });
    // Thirty days on, the window holds nothing.
    expect(await queries.sellerMetrics(seller.id, new Date(day(60)))).toMatchObject({
      orders: 0,
      disputes: 0,
      disputeRate: null,
    });
  });

  it('pages lists with cursors and filters by status, reason and dates', async () => {
    runner.start();
    for (let i = 1; i <= 5; i++) {
      await order(`o-${i}`, buyer, day(i));
      await scenario.open(`d-${i}`, `o-${i}`, buyer, day(6 + i), {
        reason: i % 2 ? 'DAMAGED' : 'WRONG_ITEM',
      });
    }
    await scenario.run('d-2', buyer, day(9), 'CancelDispute', { comment: 'Sorted it out' });
    await settle();
    const first = await queries.buyerDisputes(buyer, {}, { first: 2 });
    expect(first.edges.map((e) => e.node.disputeId)).toEqual(['d-5', 'd-4']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBe(5);
    const second = await queries.buyerDisputes(
      buyer,
      {},
      { first: 2, after: first.pageInfo.endCursor },
    );
    expect(second.edges.map((e) => e.node.disputeId)).toEqual(['d-3', 'd-2']);
    const last = await queries.buyerDisputes(
      buyer,
      {},
      { first: 2, after: second.pageInfo.endCursor },
    );
    expect(last.edges.map((e) => e.node.disputeId)).toEqual(['d-1']);
    expect(last.pageInfo.hasNextPage).toBe(false);

    expect(
      (await queries.buyerDisputes(buyer, { reason: ['DAMAGED'] }, {})).edges.map(
        (e) => e.node.disputeId,
      ),
    ).toEqual(['d-5', 'd-3', 'd-1']);
    expect(
      (await queries.buyerDisputes(buyer, { status: ['CANCELLED'] }, {})).edges.map(
        (e) => e.node.disputeId,
      ),
    ).toEqual(['d-2']);
    expect(
      (
        await queries.sellerDisputes(
          seller,
          { openedFrom: new Date(day(8)), openedTo: new Date(day(10)) },
          {},
        )
      ).edges.map((e) => e.node.disputeId),
    ).toEqual(['d-3', 'd-2']);
    expect((await queries.buyerDisputes(otherBuyer, {}, {})).totalCount).toBe(0);
  });

  it('orders the mediation queue by deadline, then by time waiting', async () => {
    runner.start();
    for (let i = 1; i <= 3; i++) {
      await order(`o-${i}`, buyer, day(i));
      await mediatedStory(
        scenario,
        { disputeId: `d-${i}`, orderId: `o-${i}` },
        { buyer, seller, mediator },
        day(5 + i),
        'escalated',
      );
    }
    // d-3 gets an evidence request: an armed deadline puts it first.
    await scenario.run('d-3', mediator, day(12), 'TakeCase', {});
    await scenario.run('d-3', mediator, day(12.5), 'RequestEvidence', {
      requestId: 'r-1',
      from: 'buyer',
      prompt: 'More photos',
    });
    await settle();
    const page1 = await queries.mediationQueue(mediator, {}, { first: 2 });
    expect(page1.edges.map((e) => e.node.disputeId)).toEqual(['d-3', 'd-1']);
    const page2 = await queries.mediationQueue(
      mediator,
      {},
      { first: 2, after: page1.pageInfo.endCursor },
    );
    expect(page2.edges.map((e) => e.node.disputeId)).toEqual(['d-2']);
    expect(
      (await queries.mediationQueue(mediator, { unassigned: true }, {})).edges.map(
        (e) => e.node.disputeId,
      ),
    ).toEqual(['d-1', 'd-2']);
    expect(page1.edges[0].node.staff?.mediatorId).toBe('med-1');
  });
});

describe('abuse signal thresholds', () => {
  it('needs both the minimum count and a ratio strictly above the policy', () => {
    expect(abuseSignal(4, 0, DEFAULT_POLICY).flagged).toBe(false);
    expect(abuseSignal(5, 10, DEFAULT_POLICY).flagged).toBe(false);
    expect(abuseSignal(5, 9, DEFAULT_POLICY).flagged).toBe(true);
    expect(abuseSignal(25, 30, DEFAULT_POLICY).flagged).toBe(true);
    expect(abuseSignal(3, 3, definePolicy({ abuseMinDisputes: 3 })).flagged).toBe(true);
  });
});
