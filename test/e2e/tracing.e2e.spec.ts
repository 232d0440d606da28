import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { DeadlineScheduler } from '@arbiter/deadlines';
import { verifyChain } from '@arbiter/disputes/application';
import { EVENT_STORE, type EventStore, storedEventsOf } from '@arbiter/event-store';
import { FakeClock } from '@arbiter/platform';
import { ProjectionRunner, READ_DB, type ReadDb } from '@arbiter/read-models';
import { sql } from 'drizzle-orm';
import { caller, eur, mutate, ok } from './disputes-helpers';
import { graphqlOverWebSocket } from './support/clients';
import { Database, describeOnAllStores, RunningGateway, startGateway } from './support/gateway';

/**
 * One mutation followed through the event log with the SDK's in-memory exporter: the GraphQL span
 * of `openDispute`, its command and append spans as children, the W3C context written into the
 * events' metadata, the projection batches that apply those events linking back to it, and the
 * deadline the opening armed, fired later on the moved clock, linking back to it too. On every
 * store: the context is metadata like any other, KurrentDB keeps it as PostgreSQL does.
 */
const DAY = 86_400_000;

async function openDispute(gateway: RunningGateway, clock: FakeClock, run: string) {
  const platform = await caller('platform', 'marketplace');
  const buyer = await caller('buyer', `buyer-${run}`);
  const seller = await caller('seller', `seller-${run}`);
  const orderId = `order-${run}`;
  await ok(gateway.url, platform, 'placeOrder', {
    orderId,
    buyerId: buyer.id,
    sellerId: seller.id,
    total: eur(10_000),
    items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
  });
  await ok(gateway.url, platform, 'shipOrder', {
    orderId,
    carrier: 'DHL',
    trackingNumber: 'JD014600',
    deliveryDeadline: new Date(clock.now().getTime() + 10 * DAY).toISOString(),
  });
  clock.advance(DAY);
  const { disputeId } = await ok(gateway.url, buyer, 'openDispute', {
    orderId,
    reason: 'DAMAGED',
    description: 'Arrived cracked',
    claim: { kind: 'FULL_REFUND' },
  });
  return { disputeId, buyer };
}

async function caughtUp(gateway: RunningGateway): Promise<void> {
  const head = await gateway.app.get<EventStore>(EVENT_STORE).headPosition();
  if (!(await gateway.app.get(ProjectionRunner).waitForPosition(head, 60_000)))
    throw new Error('the projections did not catch up');
}

async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() - started > 20_000) throw new Error(`${what} not seen in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const settingsFor = (database: Database): Record<string, string> => ({
  WORKERS: 'inline',
  RATE_LIMIT_PER_MINUTE: '1000000',
  ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
});

describeOnAllStores('tracing across the event log', (database) => {
  describe('with a tracer provider', () => {
    const exporter = new InMemorySpanExporter();
    let provider: NodeTracerProvider;
    let gateway: RunningGateway;
    const clock = new FakeClock('2020-01-06T00:00:00.000Z');
    const run = randomBytes(4).toString('hex');
    let disputeId: string | undefined;

    beforeAll(async () => {
      provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      provider.register();
      gateway = await startGateway(settingsFor(database), database, { clock });
      await caughtUp(gateway);
    }, 300_000);

    afterAll(async () => {
      if (disputeId)
        await gateway?.app
          .get<ReadDb>(READ_DB)
          .execute(sql`DELETE FROM read_models.deadlines WHERE dispute_id = ${disputeId}`)
          .catch(() => undefined);
      await gateway?.close();
      await provider?.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    const spans = () => exporter.getFinishedSpans();
    const linksTo = (span: ReadableSpan, traceId: string) =>
      span.links.some((link) => link.context.traceId === traceId);

    it('links the projections and the deadline fire to the mutation that opened the dispute', async () => {
      const opened = await openDispute(gateway, clock, run);
      disputeId = opened.disputeId;

      // The mutation's span, named by operation type and root field, with the command under it.
      const mutation = await eventually(
        () => spans().find((span) => span.name === 'mutation openDispute'),
        'the openDispute span',
      );
      expect(mutation.attributes).toMatchObject({
        'graphql.operation.type': 'mutation',
        'graphql.operation.name': 'Run',
      });
      const traceId = mutation.spanContext().traceId;
      const inTrace = spans().filter((span) => span.spanContext().traceId === traceId);
      const command = inTrace.find((span) => span.name === 'command OpenDispute');
      expect(command?.attributes).toMatchObject({
        'arbiter.command.type': 'OpenDispute',
        'arbiter.dispute.id': disputeId,
        'arbiter.command.outcome': 'appended',
      });
      const append = inTrace.find(
        (span) =>
          span.name === 'append' && span.attributes['arbiter.stream.id'] === `dispute-${disputeId}`,
      );
      expect(append?.attributes).toMatchObject({
        'db.system.name': database === 'kurrentdb' ? 'kurrentdb' : 'postgresql',
        'arbiter.event.count': 1,
        'arbiter.stream.revision': '0',
      });
      expect(append?.parentSpanContext?.spanId).toBe(command?.spanContext().spanId);

      // The event carries the command span's context; the audit chain over it is intact.
      const store = storedEventsOf(gateway.app.get<EventStore>(EVENT_STORE));
      const events = await store.readStream(`dispute-${disputeId}`);
      expect(events[0].metadata.trace).toEqual({
        traceparent: `00-${traceId}-${command?.spanContext().spanId}-01`,
      });
      expect(verifyChain(events).intact).toBe(true);

      // Projection batches start traces of their own and link to the mutation's.
      for (const projection of ['mediator-view', 'deadlines']) {
        const batch = await eventually(
          () =>
            spans().find(
              (span) => span.name === `projection ${projection}` && linksTo(span, traceId),
            ),
          `the ${projection} batch span`,
        );
        expect(batch.spanContext().traceId).not.toBe(traceId);
        expect(batch.attributes['arbiter.projection.name']).toBe(projection);
      }

      // The deadline the opening armed, fired once the clock passed it.
      await caughtUp(gateway);
      const rows = await gateway.app
        .get<ReadDb>(READ_DB)
        .execute<{ kind: string; due_at: string | Date }>(
          sql`SELECT kind, due_at FROM read_models.deadlines WHERE dispute_id = ${disputeId}`,
        );
      expect(rows.rows.map((row) => row.kind)).toEqual(['SELLER_RESPONSE']);
      clock.set(new Date(new Date(rows.rows[0].due_at).getTime() + 60_000));
      await gateway.app.get(DeadlineScheduler).tick();
      const fire = await eventually(
        () =>
          spans().find(
            (span) =>
              span.name === 'deadline SELLER_RESPONSE' &&
              span.attributes['arbiter.dispute.id'] === disputeId,
          ),
        'the deadline span',
      );
      expect(linksTo(fire, traceId)).toBe(true);
      expect(fire.spanContext().traceId).not.toBe(traceId);
      expect(fire.attributes['arbiter.deadline.outcome']).toBe('fired');
      const fired = spans().find(
        (span) =>
          span.name === 'command FireDeadline' &&
          span.parentSpanContext?.spanId === fire.spanContext().spanId,
      );
      expect(fired?.attributes['arbiter.command.outcome']).toBe('appended');
    }, 120_000);

    it('records the stable code of a refused mutation', async () => {
      const buyer = await caller('buyer', `buyer-${run}-refused`);
      const refused = await mutate(gateway.url, buyer, 'openDispute', {
        orderId: `order-${run}-missing`,
        reason: 'DAMAGED',
        description: 'Never came',
        claim: { kind: 'FULL_REFUND' },
      });
      expect(refused.code).toBeDefined();
      const span = await eventually(
        () =>
          spans().find(
            (candidate) =>
              candidate.name === 'mutation openDispute' &&
              candidate.attributes['error.type'] === refused.code,
          ),
        'the refused mutation span',
      );
      expect(span.attributes['arbiter.graphql.error_codes']).toEqual([refused.code]);
    }, 60_000);

    it('traces a mutation sent over the WebSocket like one over HTTP', async () => {
      const platform = await caller('platform', 'marketplace');
      const orderId = `order-${run}-ws`;
      const outcome = await graphqlOverWebSocket(
        gateway.wsUrl,
        `mutation PlaceOverSocket($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }`,
        platform.token,
        {
          input: {
            orderId,
            buyerId: `buyer-${run}-ws`,
            sellerId: `seller-${run}-ws`,
            total: eur(10_000),
            items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
          },
        },
      );
      expect(outcome).toMatchObject({
        kind: 'result',
        result: { data: { placeOrder: { orderId } } },
      });
      const span = await eventually(
        () =>
          spans().find(
            (candidate) =>
              candidate.name === 'mutation placeOrder' &&
              candidate.attributes['graphql.operation.name'] === 'PlaceOverSocket',
          ),
        'the WebSocket mutation span',
      );
      const command = spans().find(
        (candidate) =>
          candidate.name === 'command PlaceOrder' &&
          candidate.attributes['arbiter.stream.id'] === `order-${orderId}` &&
          candidate.parentSpanContext?.spanId === span.spanContext().spanId,
      );
      expect(command?.attributes['arbiter.command.outcome']).toBe('appended');
    }, 60_000);
  });

  describe('without a tracer provider (tracing off)', () => {
    let gateway: RunningGateway;
    const clock = new FakeClock('2020-01-06T00:00:00.000Z');

    beforeAll(async () => {
      gateway = await startGateway(settingsFor(database), database, { clock });
    }, 300_000);
    afterAll(() => gateway?.close());

    it('writes no trace context into event metadata', async () => {
      const { disputeId } = await openDispute(gateway, clock, randomBytes(4).toString('hex'));
      const store = storedEventsOf(gateway.app.get<EventStore>(EVENT_STORE));
      const [event] = await store.readStream(`dispute-${disputeId}`);
      expect(event.metadata).not.toHaveProperty('trace');
      expect(trace.getActiveSpan()).toBeUndefined();
      await gateway.app
        .get<ReadDb>(READ_DB)
        .execute(sql`DELETE FROM read_models.deadlines WHERE dispute_id = ${disputeId}`);
    }, 120_000);
  });
});
