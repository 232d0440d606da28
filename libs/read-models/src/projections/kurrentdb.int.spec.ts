import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type Actor, addDays, type Money } from '@arbiter/disputes';
import { createKurrentDbEventStore, type KurrentDbEventStore } from '@arbiter/event-store';
import {
  type KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import { NestFactory } from '@nestjs/core';
import { runProjectionsCli } from '../cli/projections';
import { checkpointsBeyondLog } from '../lag';
import { ProjectionMonitor } from '../monitor';
import { CheckpointsBeyondLogError, ReadModelsModule } from '../read-models.module';
import { type ReadDb, readDbFor } from '../database';
import { migrateReadModels } from '../migrate';
import { ProjectionRegistry } from '../projection';
import { ProjectionRunner } from '../runner';
import { openPgliteTestDatabase, type ReadTestDatabase } from '../testing/read-databases';
import { readModelSnapshot } from '../testing/snapshot';
import { disputeProjections } from '.';
import { DisputeScenario, mediatedStory } from './testing/scenario';

// Events in KurrentDB (the protocol stand-in: no server can run on every machine), read models in
// PGlite: the runner, its checkpoints and the projections CLI above the KurrentDB adapter.
jest.setTimeout(120_000);

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
  'timeline_entries',
  'dispute_stats',
  'projection_checkpoints',
];
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('projections on KurrentDB (stand-in) with read models in PGlite', () => {
  let standIn: KurrentDbStandIn;
  let database: ReadTestDatabase;
  let db: ReadDb;
  let store: KurrentDbEventStore;
  let runner: ProjectionRunner;
  let scenario: DisputeScenario;
  const registry = () => new ProjectionRegistry(disputeProjections());

  beforeEach(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
    database = await openPgliteTestDatabase();
    await migrateReadModels(database.connection);
    db = readDbFor(database.connection);
    store = createKurrentDbEventStore(standIn.url, {
      streamPrefix: `p${randomUUID().slice(0, 8)}.`,
      idlePollMs: 500,
      maxRetryDelayMs: 300,
    });
    runner = new ProjectionRunner(store, database.connection, registry(), {
      batchSize: 7,
      waitPollMs: 10,
      lockRetryMs: 50,
      logger: quiet,
    });
    scenario = new DisputeScenario(store);
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await database.dispose();
    await standIn.stop();
  });

  const snapshot = () =>
    readModelSnapshot(db, TABLES, { projection_checkpoints: 'name, position, status' });

  async function story(i: number): Promise<void> {
    await scenario.placeShippedOrder({
      orderId: `o-${i}`,
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      at: day(0),
    });
    await mediatedStory(
      scenario,
      { disputeId: `d-${i}`, orderId: `o-${i}` },
      { buyer, seller, mediator },
      day(6 + i),
      (['escalated', 'decided', 'closed', 'closed'] as const)[(i - 1) % 4],
    );
  }

  async function cli(...argv: string[]): Promise<{ code: number; output: string }> {
    const out = new PassThrough();
    let output = '';
    out.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await runProjectionsCli(argv, {
      registry: registry(),
      connection: database.connection,
      eventStore: store,
      out,
      progressBars: false,
    });
    return { code, output };
  }

  it('projects, survives the server going away mid-subscription, and rebuilds to the same rows', async () => {
    runner.start();
    await story(1);
    await story(2);
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);

    // The server goes away under the running projections, then comes back; more events follow.
    await standIn.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await standIn.restart();
    const probe = { id: randomUUID(), type: 'ConnectionProbed', data: {} };
    await eventually(() => store.append('probe', [probe]).then(() => undefined));
    await story(3);
    await story(4);
    expect(await runner.waitForPosition(scenario.lastPosition, 60_000)).toBe(true);
    const incremental = await snapshot();
    expect(incremental.buyer_disputes).toHaveLength(4);
    // Each event applied once: the timeline has one row per dispute event, nothing twice.
    const timeline = incremental.timeline_entries as { dispute_id: string; revision: number }[];
    const keys = timeline.map((row) => JSON.stringify(row));
    expect(new Set(keys).size).toBe(keys.length);

    await runner.stop();
    const rebuilt = await cli('rebuild', 'all');
    expect(rebuilt.code).toBe(0);
    expect(await snapshot()).toEqual(incremental);

    const status = await cli('status');
    expect(status.code).toBe(0);
    for (const name of ['buyer-view', 'seller-view', 'mediator-view', 'timeline', 'stats'])
      expect(status.output).toContain(name);
  });

  it('an emptied or replaced store under existing read models: reported, and projections refuse to start', async () => {
    runner.start();
    await story(1);
    expect(await runner.waitForPosition(scenario.lastPosition, 30_000)).toBe(true);
    await runner.stop();
    expect(await checkpointsBeyondLog(store, db)).toBeUndefined();

    // The operator points the application at a new, empty server; the read models stay.
    const replaced = await startKurrentDbStandIn({ port: 0 });
    const empty = createKurrentDbEventStore(replaced.url, { streamPrefix: 'fresh.' });
    try {
      expect(await checkpointsBeyondLog(empty, db)).toMatch(
        /the event log ends at position 0, but projection .* has passed \d+/,
      );
      const monitor = new ProjectionMonitor(empty, db, registry(), runner);
      const health = (await monitor.health()).projections as {
        status: string;
        failed: string[];
        projections: Record<string, { error?: string }>;
      };
      expect(health.status).toBe('down');
      expect(health.failed).toContain('buyer-view');
      expect(health.projections['buyer-view'].error).toMatch(/emptied or replaced/);
      await expect(
        NestFactory.createApplicationContext(
          ReadModelsModule.forRootAsync({
            useFactory: () => ({
              connection: { ...database.connection, close: async () => undefined },
              eventStore: empty,
              runProjections: true,
            }),
          }),
          { logger: false, abortOnError: false },
        ),
      ).rejects.toBeInstanceOf(CheckpointsBeyondLogError);
    } finally {
      await empty.close();
      await replaced.stop();
    }
  });
});

/** The first write after the server returns may meet a connection still being re-established. */
async function eventually(action: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
