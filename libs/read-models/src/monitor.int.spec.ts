import { randomUUID } from 'node:crypto';
import type { EventStore } from '@arbiter/event-store';
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import type { SqlConnection } from '@arbiter/platform';
import { migrateReadModels } from './migrate';
import { ProjectionMonitor, ProjectionMonitorOptions } from './monitor';
import { Projection, ProjectionRegistry } from './projection';
import { readDbFor } from './database';
import { ProjectionRunner } from './runner';
import { ReadTestDatabase, readTestDatabases } from './testing/read-databases';

const noop: Projection = {
  name: 'noop',
  eventTypes: ['ItemAdded'],
  apply: async () => undefined,
};

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Check = Record<string, { status: string; [key: string]: unknown }>;

describe.each(readTestDatabases())('projection monitor on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let store: EventStore;
  let others: SqlConnection[];
  let runners: ProjectionRunner[];

  beforeEach(async () => {
    database = await openDatabase();
    await migrateReadModels(database.connection);
    store = await createSqlEventStore(database.connection);
    others = [];
    runners = [];
  });

  afterEach(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await store.close();
    await Promise.all(others.map((connection) => connection.close()));
    await database.dispose();
  });

  function runnerOn(connection: SqlConnection, eventStore = store): ProjectionRunner {
    const runner = new ProjectionRunner(eventStore, connection, new ProjectionRegistry([noop]), {
      lockRetryMs: 50,
      logger: quiet,
    });
    runners.push(runner);
    return runner;
  }

  function monitorOf(
    runner: ProjectionRunner,
    options: ProjectionMonitorOptions,
    eventStore = store,
  ) {
    return new ProjectionMonitor(
      eventStore,
      readDbFor(database.connection),
      runner.registry,
      runner,
      { cacheMs: 0, ...options },
    );
  }

  it('sees a runner in another process, and turns down once none has held the projection past the limit', async () => {
    // This process runs nothing; the runner lives on another connection (PostgreSQL: another
    // session, as another process; PGlite: the same instance, the only one a process can share).
    const monitor = monitorOf(runnerOn(database.connection), { unownedAfterMs: 200 });
    const health = async () => (await monitor.health()).projections as Check[string];

    await eventually(async () => (await health()).status === 'down');
    const down = await health();
    expect(down).toMatchObject({
      unowned: ['noop'],
      projections: {
        noop: { runner: false, down: expect.stringMatching(/no process has run it/) },
      },
    });

    const other = await database.connectAgain();
    others.push(other);
    const elsewhere = runnerOn(other);
    elsewhere.start();
    await eventually(async () => (await health()).status === 'up');
    expect((await monitor.snapshot())[0]).toMatchObject({ runnerPresent: true, unownedSeconds: 0 });

    await elsewhere.stop();
    await eventually(async () => (await health()).status === 'down');
    expect(await health()).toMatchObject({ unowned: ['noop'] });
  });

  it('answers within its timeout while the event store does not (a stalled read fence), with the last lag it read', async () => {
    await store.append('order-1', [
      { id: randomUUID(), type: 'ItemAdded', data: {} },
      { id: randomUUID(), type: 'ItemAdded', data: {} },
    ]);
    let release: () => void = () => undefined;
    let stalled: Promise<void> | undefined;
    const stalling = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'headPosition' && property !== 'readAll') return value;
        return async (...args: unknown[]) => {
          await stalled;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const runner = runnerOn(database.connection, stalling);
    const monitor = monitorOf(runner, { maxLagEvents: 2, timeoutMs: 300 }, stalling);
    const fresh = monitorOf(runner, { maxLagEvents: 2, timeoutMs: 300 }, stalling);
    try {
      // On a shared server another database's open transaction may hold the read fence a while.
      await eventually(async () => (await monitor.snapshot())[0].lagEvents === 2, 60_000);
      expect((await monitor.health()).projections).toMatchObject({
        status: 'down',
        lagging: ['noop'],
        projections: { noop: { lagEvents: 2, down: '2 events behind (limit 2)' } },
      });

      stalled = new Promise((resolve) => (release = resolve));
      const started = Date.now();
      const during = (await monitor.health()).projections;
      const unknown = (await fresh.health()).projections;
      const elapsed = Date.now() - started;
      console.log(`two health checks while the store stalls: ${elapsed} ms (timeout 300 ms each)`);
      expect(elapsed).toBeLessThan(5_000);
      // The last reading stands in; a monitor that never read one says so and is not down for it.
      expect(during).toMatchObject({ lagging: ['noop'], projections: { noop: { lagEvents: 2 } } });
      expect(unknown).toMatchObject({
        status: 'up',
        projections: { noop: { lag: expect.stringMatching(/^unknown/), runner: false } },
      });
    } finally {
      release();
    }
  });
});
