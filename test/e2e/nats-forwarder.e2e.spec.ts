import {
  describeWithNats,
  NatsAdmin,
  TcpProxy,
  uniqueNatsNames,
} from '@arbiter/analytics/nats/testing/nats';
import { NatsForwarder } from '@arbiter/analytics';
import { validateConfig } from '@arbiter/platform';
import { createWorker } from '../../apps/worker/src/worker';
import { describeOnDatabases } from './support/gateway';
import {
  eventually,
  openDispute,
  people,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';

interface Health {
  status: string;
  info?: Record<string, Record<string, unknown>>;
  error?: Record<string, Record<string, unknown>>;
}

async function health(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as Health };
}

const metrics = async (url: string) => (await fetch(`${url}/metrics`)).text();

/**
 * The forwarder wired into the gateway: it runs with WORKERS=inline, shows on /health and
 * /metrics, and neither its broker's outage nor its mere registration holds up read-your-writes.
 */
describeWithNats('NATS forwarder in the gateway', (natsUrl) => {
  let admin: NatsAdmin;
  beforeAll(async () => {
    admin = await NatsAdmin.open(natsUrl);
  });
  afterAll(async () => {
    await admin?.close();
  });

  describeOnDatabases('WORKERS=inline', (database) => {
    const names = uniqueNatsNames();
    let r: ReadGateway;
    beforeAll(async () => {
      r = await startReadGateway(database, {
        METRICS_ENABLED: 'true',
        NATS_URL: natsUrl,
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.subjectPrefix,
      });
    });
    afterAll(async () => {
      await r?.close();
      await admin.deleteStream(names.stream);
    });

    it('publishes what the API records, in the analyst form, and reports it on /health and /metrics', async () => {
      const who = await people(r);
      const answer = await openDispute(r, who);
      expect(answer.readYourWrites.map((note) => note.consistent)).toEqual([true]);
      const { disputeId } = answer.dispute;

      const [message] = await eventually(async () => {
        const messages = await admin.messages(names.stream);
        expect(messages).toHaveLength(1);
        return messages;
      });
      expect(message.subject).toBe(`${names.subjectPrefix}.DisputeOpened`);
      const body = Buffer.from(message.data).toString('utf8');
      expect(JSON.parse(body)).toMatchObject({
        type: 'DisputeOpened',
        disputeId,
        actorRole: 'buyer',
        data: { description: '[redacted]', reason: 'NOT_AS_DESCRIBED' },
      });
      expect(body).not.toContain('Not what the listing showed');
      expect(body).not.toContain(who.buyer.id);
      expect(body).not.toContain(who.seller.id);
      expect(message.header.get('Nats-Msg-Id')).toBe(JSON.parse(body).id);

      const { status, body: report } = await eventually(async () => {
        const result = await health(r.url);
        expect(result.body.info?.projections?.projections).toMatchObject({
          'analytics-nats': { lagEvents: 0 },
        });
        return result;
      });
      expect(status).toBe(200);
      expect(report.info?.natsForwarder).toMatchObject({
        status: 'up',
        connection: 'connected',
        stream: names.stream,
        streamReady: true,
        published: 1,
      });
      const scraped = await metrics(r.url);
      expect(scraped).toMatch(/^arbiter_event_forwarder_published_total 1$/m);
      expect(scraped).toMatch(/^arbiter_event_forwarder_failures_total\{stage="publish"\} 0$/m);
      expect(scraped).toMatch(/^arbiter_event_forwarder_connected 1$/m);
      expect(scraped).toMatch(/^arbiter_projection_lag_events\{projection="analytics-nats"\} 0$/m);
    });
  });

  describe('WORKERS=inline, the broker unreachable', () => {
    const names = uniqueNatsNames();
    const proxy = TcpProxy.toNats(natsUrl);
    let r: ReadGateway;
    beforeAll(async () => {
      await proxy.start(); // only to learn a free port: nothing listens there afterwards
      await proxy.stop();
      r = await startReadGateway('pglite', {
        METRICS_ENABLED: 'true',
        NATS_URL: proxy.url,
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.subjectPrefix,
      });
    });
    afterAll(async () => {
      await r?.close();
      await proxy.stop();
      await admin.deleteStream(names.stream);
    });

    it('answers mutations consistently at once, stays healthy, says why nothing is published, and catches up', async () => {
      const who = await people(r);
      const started = Date.now();
      const answer = await openDispute(r, who);
      expect(answer.readYourWrites.map((note) => note.consistent)).toEqual([true]);
      expect(Date.now() - started).toBeLessThan(5_000);

      const { status, body } = await eventually(async () => {
        const result = await health(r.url);
        expect(result.body.info?.projections?.projections).toMatchObject({
          'analytics-nats': { error: expect.stringContaining('cannot connect to NATS') },
        });
        return result;
      }, 20_000);
      expect(status).toBe(200);
      expect(body.info?.projections?.status).toBe('up');
      expect(body.info?.natsForwarder).toMatchObject({
        status: 'up',
        connection: 'unreachable',
        lastError: expect.any(String),
      });
      const scraped = await metrics(r.url);
      expect(scraped).toMatch(/^arbiter_event_forwarder_failures_total\{stage="connect"\} [1-9]/m);
      expect(scraped).toMatch(/^arbiter_event_forwarder_connected 0$/m);
      expect(scraped).toMatch(/^arbiter_projection_failed\{projection="analytics-nats"\} 0$/m);

      // The broker comes back: the event recorded meanwhile goes out.
      await proxy.start();
      const messages = await eventually(async () => {
        const found = await admin.messages(names.stream);
        expect(found).toHaveLength(1);
        return found;
      }, 30_000);
      expect(JSON.parse(Buffer.from(messages[0].data).toString('utf8'))).toMatchObject({
        type: 'DisputeOpened',
        disputeId: answer.dispute.disputeId,
      });
    });
  });

  describe('WORKERS=off', () => {
    const names = uniqueNatsNames();
    let r: ReadGateway;
    beforeAll(async () => {
      r = await startReadGateway('pglite', {
        WORKERS: 'off',
        METRICS_ENABLED: 'true',
        NATS_URL: natsUrl,
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.subjectPrefix,
      });
    });
    afterAll(async () => {
      await r?.close();
      await admin.deleteStream(names.stream);
    });

    it('registers the forwarder for its lag, but never connects nor publishes here', async () => {
      const { body } = await health(r.url);
      expect(Object.keys(body.info?.projections?.projections ?? {})).toContain('analytics-nats');
      expect(body.info?.natsForwarder ?? body.error?.natsForwarder).toBeUndefined();
      const scraped = await metrics(r.url);
      expect(scraped).toMatch(/arbiter_projection_lag_events\{projection="analytics-nats"\}/);
      expect(scraped).not.toMatch(/arbiter_event_forwarder_/);
      await expect(admin.jsm.streams.info(names.stream)).rejects.toThrow(/not found/);
    });
  });

  describe('the worker', () => {
    const names = uniqueNatsNames();
    afterAll(async () => {
      await admin.deleteStream(names.stream);
    });

    it('runs the forwarder: sets the stream up at start, reports it on /health, closes on shutdown', async () => {
      const app = await createWorker(
        validateConfig({
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          EVENT_STORE: 'memory',
          NATS_URL: natsUrl,
          NATS_STREAM: names.stream,
          NATS_SUBJECT_PREFIX: names.subjectPrefix,
          NATS_STREAM_MAX_AGE_HOURS: '48',
        }),
      );
      let closed = false;
      try {
        await app.listen(0, '127.0.0.1');
        const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
        const { status, body } = await eventually(async () => {
          const result = await health(url);
          expect(result.body.info?.natsForwarder).toMatchObject({ streamReady: true });
          return result;
        });
        expect(status).toBe(200);
        expect(body.info?.natsForwarder).toMatchObject({ status: 'up', connection: 'connected' });
        expect(Object.keys(body.info?.projections?.projections ?? {})).toContain('analytics-nats');
        const { config } = await admin.jsm.streams.info(names.stream);
        expect(config).toMatchObject({
          subjects: [`${names.subjectPrefix}.>`],
          max_age: 48 * 3_600 * 1e9,
          duplicate_window: 600 * 1e9,
        });
        const forwarder = app.get(NatsForwarder, { strict: false });
        await app.close();
        closed = true;
        expect(forwarder.link.status().state).toBe('closed');
      } finally {
        if (!closed) await app.close();
      }
    });
  });
});
