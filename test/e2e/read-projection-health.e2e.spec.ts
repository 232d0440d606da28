import { type Projection, ProjectionRegistry, ProjectionRunner } from '@arbiter/read-models';
import { describeOnDatabases } from './support/gateway';
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
    { status: string; failed?: string[]; projections?: Record<string, Record<string, unknown>> }
  >;
}

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

    // Five attempts with backoff (≈ 3 s), then it stops at the event.
    const body = await eventually(async () => {
      const response = await fetch(`${r.url}/health`);
      expect(response.status).toBe(503);
      return (await response.json()) as Health;
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
