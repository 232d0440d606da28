import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { validateConfig } from '@arbiter/platform';
import { type Projection, ProjectionRegistry, ProjectionRunner } from '@arbiter/read-models';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { createWorker } from '../../apps/worker/src/worker';
import {
  describeOnDatabases,
  startGateway,
  TEST_AUDIT_SIGNING_KEY,
  TEST_PERSONAL_DATA_KEY,
} from './support/gateway';
import { eventually, openDispute, people, ReadGateway, startReadGateway } from './read-helpers';

/** Fails on every dispute it is given: the runner must stop at that event, not skip it. */
const failing: Projection = {
  name: 'e2e-failing',
  eventTypes: ['DisputeOpened'],
  apply: async () => Promise.reject(new Error('cannot project this on purpose')),
};

interface Health {
  status: string;
  info?: Record<string, { status: string; projections?: Record<string, Record<string, unknown>> }>;
  error?: Record<
    string,
    {
      status: string;
      failed?: string[];
      unowned?: string[];
      lagging?: string[];
      projections?: Record<string, Record<string, unknown>>;
    }
  >;
}

const READ_MODELS = ['buyer-view', 'seller-view', 'mediator-view', 'timeline', 'stats'];

describeOnDatabases('projections in /health and /metrics', (database) => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway(database, { METRICS_ENABLED: 'true' });
  });
  afterAll(() => r?.close());

  it('reports every projection up, with checkpoint and lag', async () => {
    const response = await fetch(`${r.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Health;
    expect(body.info?.projections?.status).toBe('up');
    expect(Object.keys(body.info?.projections?.projections ?? {})).toEqual(
      expect.arrayContaining(['buyer-view', 'seller-view', 'mediator-view', 'timeline', 'stats']),
    );
    expect(body.info?.projections?.projections?.['buyer-view']).toMatchObject({
      lagEvents: 0,
      checkpoint: expect.any(String),
    });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/arbiter_projection_failed\{projection="buyer-view"\} 0/);
    expect(metrics).toMatch(/arbiter_projection_lag_events\{projection="timeline"\} 0/);
    expect(metrics).toMatch(/arbiter_projection_checkpoint\{projection="stats"\} -?\d+/);
  });

  it('shows a failed projection as down, with the position it stopped at and the error', async () => {
    // A projection that cannot apply dispute openings, added to the running app.
    r.gateway.app.get(ProjectionRegistry, { strict: false }).register(failing);
    const runner = r.gateway.app.get(ProjectionRunner, { strict: false });
    runner.start();
    const who = await people(r);
    await openDispute(r, who);

    // Five attempts with backoff (≈ 3 s), then it stops at the event: the worker stops first,
    // then records the failure in its checkpoint row, so a probe between the two sees the row
    // still active. Wait for both.
    const body = await eventually(async () => {
      const response = await fetch(`${r.url}/health`);
      expect(response.status).toBe(503);
      const health = (await response.json()) as Health;
      expect(health.error?.projections?.projections?.['e2e-failing']).toMatchObject({
        status: 'failed',
      });
      return health;
    }, 30_000);
    expect(body.status).toBe('error');
    expect(body.error?.projections).toMatchObject({
      status: 'down',
      failed: ['e2e-failing'],
      projections: {
        'e2e-failing': {
          state: 'failed',
          status: 'failed',
          failedPosition: expect.stringMatching(/^\d+$/),
          error: 'Error: cannot project this on purpose',
          lagEvents: 1,
        },
        'buyer-view': { status: 'active', lagEvents: 0 },
      },
    });
    const failedAt = runner.statusOf('e2e-failing').failedPosition;
    expect(body.error?.projections?.projections?.['e2e-failing'].failedPosition).toBe(
      String(failedAt),
    );

    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/arbiter_projection_failed\{projection="e2e-failing"\} 1/);
    expect(metrics).toMatch(/arbiter_projection_failed\{projection="buyer-view"\} 0/);
    expect(metrics).toMatch(/arbiter_projection_lag_events\{projection="e2e-failing"\} 1/);
    expect(metrics).toContain(
      `arbiter_projection_failed_position{projection="e2e-failing"} ${Number(failedAt)}`,
    );
  });
});

/**
 * Readiness tells the truth when nobody runs the projections: a gateway with WORKERS=off and no
 * worker stays live but turns unready, naming the projections, once none has had a runner for
 * PROJECTION_UNOWNED_AFTER_MS (shortened here), and ready again when a runner takes them. On
 * PostgreSQL the runner is a worker process on the same database, seen through `pg_locks`; PGlite
 * is one process's database, so there it is the gateway's own runner (as with WORKERS=inline).
 */
describeOnDatabases('projection runners and lag in /health/ready', (database) => {
  const settings = {
    WORKERS: 'off',
    METRICS_ENABLED: 'true',
    RATE_LIMIT_PER_MINUTE: '1000000',
    PROJECTION_UNOWNED_AFTER_MS: '1500',
    PROJECTION_MAX_LAG_EVENTS: '3',
  };
  let r: ReadGateway;
  let own: { url: string; drop(): Promise<void> } | undefined;
  let worker: INestApplication | undefined;

  beforeAll(async () => {
    if (database === 'pglite') {
      r = await startReadGateway('pglite', settings);
      return;
    }
    own = await createPostgresTestDatabase(process.env.DATABASE_URL ?? '', 'e2e_health');
    const gateway = await startGateway({ ...settings, DATABASE_URL: own.url }, 'postgres');
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    r = {
      gateway,
      url: gateway.url,
      id: (prefix) => `${prefix}-${run}-${++counter}`,
      close: () => gateway.close(),
    };
  });
  afterAll(async () => {
    await worker?.close();
    await r?.close();
    await own?.drop();
  });

  async function startRunner(): Promise<void> {
    if (database === 'pglite') {
      r.gateway.app.get(ProjectionRunner, { strict: false }).start();
      return;
    }
    const config = validateConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      EVENT_STORE: 'postgres',
      DATABASE_URL: own?.url,
      // The deployment's keys, as every process of one has: the worker opens the personal fields
      // the gateway's commands encrypted, and signs digests with the same key.
      PERSONAL_DATA_KEY: TEST_PERSONAL_DATA_KEY,
      AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    });
    worker = await createWorker(config);
    await worker.init();
  }

  async function stopRunner(): Promise<void> {
    if (database === 'pglite') {
      await r.gateway.app.get(ProjectionRunner, { strict: false }).stop();
      return;
    }
    await worker?.close();
    worker = undefined;
  }

  const ready = async () => {
    const response = await fetch(`${r.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as Health };
  };
  const metrics = async () => (await fetch(`${r.url}/metrics`)).text();
  const expectLive = async () => {
    const response = await fetch(`${r.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  };

  it('turns unready naming the projections nobody runs, and ready again once a runner takes them', async () => {
    await expectLive();
    const down = await eventually(async () => {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body.error?.projections?.unowned).toEqual(expect.arrayContaining(READ_MODELS));
      return answer.body;
    }, 30_000);
    expect(down.error?.projections?.projections?.['buyer-view']).toMatchObject({
      runner: false,
      unownedSeconds: expect.any(Number),
      down: expect.stringMatching(/^no process has run it for \d+ s \(limit 1500 ms\)/),
    });
    // The full report says the same.
    expect((await fetch(`${r.url}/health`)).status).toBe(503);
    await expectLive();
    const scraped = await metrics();
    expect(scraped).toMatch(/arbiter_projection_runner_present\{projection="buyer-view"\} 0/);
    const unowned = /arbiter_projection_unowned_seconds\{projection="timeline"\} ([\d.e+-]+)/.exec(
      scraped,
    );
    expect(Number(unowned?.[1])).toBeGreaterThan(1.5);

    await startRunner();
    const up = await eventually(async () => {
      const answer = await ready();
      expect(answer.status).toBe(200);
      return answer.body;
    }, 30_000);
    expect(up.info?.projections?.projections?.['buyer-view']).toMatchObject({ runner: true });
    const after = await metrics();
    expect(after).toMatch(/arbiter_projection_runner_present\{projection="buyer-view"\} 1/);
    expect(after).toMatch(/arbiter_projection_unowned_seconds\{projection="buyer-view"\} 0/);
    await expectLive();
  });

  it('turns unready when a read model falls PROJECTION_MAX_LAG_EVENTS behind, ready once caught up', async () => {
    await stopRunner();
    const who = await people(r);
    // Each opening is a DisputeOpened (and more) for every dispute view: three reach the limit.
    for (let i = 0; i < 3; i++) await openDispute(r, who);
    const down = await eventually(async () => {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body.error?.projections?.lagging).toEqual(
        expect.arrayContaining(['buyer-view', 'timeline']),
      );
      return answer.body;
    }, 30_000);
    const buyerView = down.error?.projections?.projections?.['buyer-view'];
    expect(buyerView?.lagEvents).toBeGreaterThanOrEqual(3);
    expect(buyerView?.down).toMatch(/\d+ events behind \(limit 3\)/);
    await expectLive();

    await startRunner();
    await eventually(async () => {
      const answer = await ready();
      expect(answer.status).toBe(200);
      expect(answer.body.info?.projections?.projections?.['buyer-view']).toMatchObject({
        lagEvents: 0,
        runner: true,
      });
    }, 30_000);
    await expectLive();
  });
});
