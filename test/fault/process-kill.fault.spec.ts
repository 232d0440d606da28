import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import {
  describeSessions,
  openStores,
  readModelsAndRebuild,
  tallyEffects,
  type Tally,
} from './support/checks';
import { Figures, Load, printFigures } from './support/load';
import {
  ChildApp,
  disposeAll,
  projectionHealth,
  sleep,
  trace,
  waitForNoLag,
} from './support/processes';

/**
 * Processes killed with SIGKILL under concurrent load: the gateway on PostgreSQL, the worker that
 * holds the projections, the gateway on PGlite. Clients retry every command that was not
 * acknowledged with its own idempotency key; then every command's effect must be in the event
 * log exactly once and the read models must equal a rebuild from that log.
 *
 * CI runs one round of each with 16 clients; `FAULT_ROUNDS`, `FAULT_CLIENTS` and
 * `FAULT_SECONDS` (load before each kill) make longer runs.
 */
const ROUNDS = positive('FAULT_ROUNDS', 1);
const CLIENTS = positive('FAULT_CLIENTS', 16);
const SECONDS = positive('FAULT_SECONDS', 3);
/** Generous bounds for a loaded 2-core machine; the figures show the real times. */
const RETRY_WITHIN_MS = 120_000;
const LAG_WITHIN_MS = 60_000;
const TAKEOVER_WITHIN_MS = 30_000;

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

// A start takes 5–45 s on a busy 2-core machine (the first one transpiles the apps' sources).
jest.setTimeout(300_000 + ROUNDS * 90_000);

const POSTGRES_URL = postgresTestUrl();
const onPostgres = POSTGRES_URL ? describe : describe.skip;

/**
 * The end of every test: retry what was not acknowledged, let the projections catch up and stop
 * the apps (`stopApps`), then count each command's effect in the log and compare the read models
 * with a rebuild. Prints the figures (`extra` is read after `stopApps`, which may add to it).
 */
async function settle(
  test: string,
  load: Load,
  stores: Record<string, string>,
  stopApps: () => Promise<void>,
  extra: Record<string, unknown> = {},
): Promise<Figures> {
  const acknowledged = load.commands.filter((c) => c.acknowledged).length;
  trace(`${test}: retrying ${load.commands.length - acknowledged} unacknowledged commands`);
  const retried = await load.retryUnacknowledged(RETRY_WITHIN_MS);
  trace(`${test}: waiting for the projections, stopping the apps`);
  await stopApps();
  trace(`${test}: counting effects, rebuilding the read models`);
  const { incremental, rebuilt, events } = await readModelsAndRebuild(stores);
  const opened = await openStores(stores);
  let tally: Tally;
  try {
    tally = await tallyEffects(opened.eventStore, load.run, load.commands);
  } finally {
    await opened.close();
  }
  const equal = JSON.stringify(incremental) === JSON.stringify(rebuilt);
  const figures: Figures = {
    test,
    sent: load.commands.length,
    acknowledged,
    lost: tally.lost,
    duplicated: tally.duplicated,
    retried,
    unresolved: tally.unresolved,
    recoveryMs: load.recoveryMs.length > 0 ? load.recoveryMs : undefined,
    events,
    readModelsEqualRebuild: equal,
    failures: load.failureCodes(),
    ...extra,
  };
  printFigures(figures);
  expect(tally).toEqual({ lost: 0, duplicated: 0, unresolved: 0, strangers: 0 });
  // On a mismatch, Jest's diff shows the rows that differ.
  if (!equal) expect(incremental).toEqual(rebuilt);
  return figures;
}

/**
 * A gateway (projections in process) on `stores` under the clients' load, SIGKILLed and restarted
 * `ROUNDS` times, then settled. `started` hands the app and the load to the test's cleanup.
 */
async function killGatewayUnderLoad(
  test: string,
  stores: Record<string, string>,
  started: (gateway: ChildApp, load: Load) => void,
  diagnose?: () => Promise<string>,
): Promise<Figures> {
  const gateway = await ChildApp.create('gateway', {
    name: 'gateway',
    settings: { ...stores, WORKERS: 'inline' },
    ...(diagnose ? { diagnose } : {}),
  });
  const load = new Load(gateway.url);
  started(gateway, load);
  await gateway.start();
  await load.setUp(CLIENTS);
  load.start();
  const restarts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(SECONDS * 1_000);
    await gateway.kill('SIGKILL');
    load.markFault();
    const restartedAt = Date.now();
    await gateway.start();
    restarts.push(Date.now() - restartedAt);
  }
  // Some load on the restarted gateway before the clients stop.
  await sleep(Math.min(SECONDS, 2) * 1_000);
  await load.stop();
  const figures = await settle(
    test,
    load,
    stores,
    async () => {
      await waitForNoLag(gateway, LAG_WITHIN_MS);
      // The test process opens the stores next (PGlite is one process's database).
      await gateway.stop();
    },
    { clients: CLIENTS, rounds: ROUNDS, restartMs: restarts },
  );
  // The kill hit the load: commands went unanswered and were retried.
  expect(figures.retried).toBeGreaterThan(0);
  expect(figures.acknowledged).toBeGreaterThan(0);
  return figures;
}

onPostgres('SIGKILL of the gateway under load [postgres]', () => {
  let database: { url: string; drop(): Promise<void> };
  let gateway: ChildApp | undefined;
  let load: Load | undefined;
  afterAll(async () => {
    await load?.stop();
    await disposeAll([gateway]);
    await database?.drop();
  });

  it('loses no acknowledged command and applies none twice; read models equal a rebuild', async () => {
    database = await createPostgresTestDatabase(POSTGRES_URL as string, 'fault');
    const url = database.url;
    await killGatewayUnderLoad(
      'gateway-sigkill-postgres',
      { EVENT_STORE: 'postgres', DATABASE_URL: url },
      (app, clients) => ((gateway = app), (load = clients)),
      () => describeSessions(url),
    );
  });
});

onPostgres('SIGKILL of the worker holding the projections [postgres]', () => {
  let database: { url: string; drop(): Promise<void> };
  let gateway: ChildApp | undefined;
  const workers: ChildApp[] = [];
  let load: Load | undefined;
  afterAll(async () => {
    await load?.stop();
    await disposeAll([gateway, ...workers]);
    await database?.drop();
  });

  /** The worker whose projections run (not standby), once one does. */
  async function holder(withinMs: number): Promise<ChildApp> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      for (const worker of workers) {
        if (worker.pid === undefined) continue;
        const projections = Object.values(await projectionHealth(worker));
        if (projections.length > 0 && projections.every((p) => holding(p.state))) return worker;
      }
      await sleep(100);
    }
    throw new Error(`no worker holds every projection:\n${workers.map((w) => w.log()).join('\n')}`);
  }

  it('the standby takes over within seconds and every event is projected', async () => {
    database = await createPostgresTestDatabase(POSTGRES_URL as string, 'fault');
    const stores = { EVENT_STORE: 'postgres', DATABASE_URL: database.url };
    for (const name of ['worker-a', 'worker-b'])
      workers.push(
        await ChildApp.create('worker', {
          name,
          settings: stores,
          diagnose: () => describeSessions(database.url),
        }),
      );
    gateway = await ChildApp.create('gateway', {
      name: 'gateway',
      settings: { ...stores, WORKERS: 'off' },
      diagnose: () => describeSessions(database.url),
    });
    // worker-a first, so it takes the projections; worker-b then waits as the standby.
    await workers[0].start();
    await holder(30_000);
    await Promise.all([workers[1].start(), gateway.start()]);

    load = new Load(gateway.url);
    await load.setUp(CLIENTS);
    load.start();
    const takeovers: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(SECONDS * 1_000);
      const victim = await holder(5_000);
      const standby = workers.find((w) => w !== victim) as ChildApp;
      await victim.kill('SIGKILL');
      const killedAt = Date.now();
      const taker = await holder(TAKEOVER_WITHIN_MS);
      takeovers.push(Date.now() - killedAt);
      expect(taker).toBe(standby);
      // The killed worker comes back as the next round's standby.
      if (round < ROUNDS - 1) await victim.start();
    }
    await sleep(1_000);
    await load.stop();
    const app = gateway;
    const extra: Record<string, unknown> = {
      clients: CLIENTS,
      rounds: ROUNDS,
      takeoverMs: takeovers,
    };
    const figures = await settle(
      'worker-sigkill-postgres',
      load,
      stores,
      async () => {
        // Every event projected by the standby, within a generous bound (not a speed check).
        extra.lagZeroMs = await waitForNoLag(app, TAKEOVER_WITHIN_MS);
        await Promise.all([app.stop(), ...workers.map((w) => w.stop())]);
      },
      extra,
    );
    // The gateway never went down: a worker's death costs the API nothing.
    expect(figures.retried).toBe(0);
  });
});

const holding = (state: string) => state === 'live' || state === 'catching-up';

describe('SIGKILL of the gateway on PGlite during writes', () => {
  let dataDir: string;
  let gateway: ChildApp | undefined;
  let load: Load | undefined;
  afterAll(async () => {
    await load?.stop();
    await disposeAll([gateway]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reopens the same directory with every acknowledged command, exactly once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'arbiter-fault-pglite-'));
    await killGatewayUnderLoad(
      'gateway-sigkill-pglite',
      { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: join(dataDir, 'data') },
      (app, clients) => ((gateway = app), (load = clients)),
    );
  });
});
