import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { EventStore } from '@arbiter/event-store';
// The sql module itself, not the barrel: the barrel's Nest module is ESM, which Jest cannot require.
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import { inSpan } from '@arbiter/platform/tracing';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { ProjectionRegistry } from '@arbiter/read-models/projection';
import { ProjectionRunner } from '@arbiter/read-models/runner';
import {
  type ReadTestDatabase,
  readTestDatabases,
} from '@arbiter/read-models/testing/read-databases';
import { Pseudonyms } from '../pseudonyms';
import { NATS_FORWARDER, NatsForwarder } from './nats-forwarder';
import { NatsLink } from './nats-link';
import {
  describeWithNats,
  NatsAdmin,
  testForwarderSettings,
  uniqueNatsNames,
} from './testing/nats';
import { Stories, TEST_PSEUDONYM_KEY } from './testing/stories';

jest.setTimeout(120_000);

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The forwarder under a tracer provider: each batch it sends is a producer span inside the
 * runner's projection span, both linked to the trace of the commands whose events they carry,
 * and each message carries that trace's `traceparent` header.
 */
describeWithNats('NATS forwarder tracing', (natsUrl) => {
  const [[, openDatabase]] = readTestDatabases();
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  let admin: NatsAdmin;
  let database: ReadTestDatabase;
  let store: EventStore;
  let link: NatsLink;
  let runner: ProjectionRunner;
  const names = uniqueNatsNames();

  beforeAll(async () => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    admin = await NatsAdmin.open(natsUrl);
    database = await openDatabase();
    await migrateReadModels(database.connection);
    store = await createSqlEventStore(database.connection);
  });

  afterAll(async () => {
    await runner?.stop();
    await link?.close();
    await store?.close();
    await database?.dispose();
    await admin?.deleteStream(names.stream);
    await admin?.close();
    await provider?.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('sends in a producer span linked to the commands, with their traceparent on each message', async () => {
    const stories = new Stories(store);
    // The story's commands run inside one "request" span: its trace is the one to link back to.
    const traceId = await inSpan('request', {}, async (span) => {
      await stories.add(1);
      return span.spanContext().traceId;
    });

    link = new NatsLink(testForwarderSettings(natsUrl, names));
    const forwarder = new NatsForwarder({ link, pseudonym: new Pseudonyms(TEST_PSEUDONYM_KEY).of });
    runner = new ProjectionRunner(store, database.connection, new ProjectionRegistry([forwarder]), {
      logger: quiet,
    });
    runner.start();
    expect(
      await runner.waitForPosition(stories.scenario.lastPosition, 30_000, NATS_FORWARDER),
    ).toBe(true);

    const spans = exporter.getFinishedSpans();
    const send = spans.find((span) => span.name === `send ${names.stream}`);
    expect(send?.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.destination.name': names.stream,
    });
    expect(send?.links.map((l) => l.context.traceId)).toContain(traceId);
    const batch = spans.find(
      (span) => span.spanContext().spanId === send?.parentSpanContext?.spanId,
    );
    expect(batch?.name).toBe(`projection ${NATS_FORWARDER}`);
    expect(batch?.links.map((l) => l.context.traceId)).toContain(traceId);

    const messages = await admin.messages(names.stream);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages)
      expect(message.header.get('traceparent')).toMatch(
        new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`),
      );
  });
});
