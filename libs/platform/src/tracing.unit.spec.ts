import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  activeTraceCarrier,
  inSpan,
  linksToEvents,
  linkTo,
  shutdownTracing,
  startTracing,
  tracer,
  tracingConfigured,
} from './index';

const resetGlobals = () => {
  trace.disable();
  context.disable();
  propagation.disable();
};

describe('tracing settings', () => {
  it('is on only with an OTLP endpoint, and off with OTEL_SDK_DISABLED', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_SERVICE_NAME: 'arbiter' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(
      tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }),
    ).toBe(true);
    expect(
      tracingConfigured({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'true',
      }),
    ).toBe(false);
  });
});

describe('tracing off', () => {
  beforeAll(resetGlobals);

  it('starts nothing: the no-op tracer records no span and no context is stored', async () => {
    expect(startTracing({})).toBeUndefined();
    await inSpan('command', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(activeTraceCarrier()).toBeUndefined();
    });
    expect(linkTo({ traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` })).toBeUndefined();
  });
});

describe('tracing on', () => {
  // What reached the exporter, kept across shutdowns (the SDK's in-memory exporter clears on one).
  const exported: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (spans, done) => {
      exported.push(...spans);
      done({ code: 0 }); // ExportResultCode.SUCCESS
    },
    shutdown: async () => undefined,
  };

  beforeAll(() => {
    resetGlobals();
    startTracing({}, { exporter });
  });
  afterAll(async () => {
    await shutdownTracing();
    resetGlobals();
  });

  it('puts the active span in a carrier, links back to it, and flushes on shutdown', async () => {
    let carrier: ReturnType<typeof activeTraceCarrier>;
    let ids = { traceId: '', spanId: '' };
    await inSpan('command', {}, async (span) => {
      carrier = activeTraceCarrier();
      ids = span.spanContext();
    });
    expect(carrier).toEqual({ traceparent: `00-${ids.traceId}-${ids.spanId}-01` });
    const link = linkTo(carrier);
    expect(link?.context).toMatchObject({ traceId: ids.traceId, spanId: ids.spanId });

    const links = linksToEvents([
      { metadata: { trace: carrier }, position: 7n },
      { metadata: { trace: carrier }, position: 8n },
      { metadata: {}, position: 9n },
    ]);
    expect(links).toHaveLength(1);
    expect(links[0].attributes).toEqual({ 'arbiter.log.position': '7' });

    // Batched: nothing is exported until a flush; shutdown flushes.
    await shutdownTracing();
    expect(exported.map((span) => span.name)).toEqual(['command']);
  });

  it('marks a failed span with the stable code and never the message', async () => {
    startTracing({}, { exporter });
    const refusal = Object.assign(new Error('Ada Lovelace may not do this'), {
      code: 'NOT_A_PARTY',
    });
    await expect(inSpan('command', {}, () => Promise.reject(refusal))).rejects.toBe(refusal);
    await shutdownTracing();
    const failed = exported.at(-1);
    expect(failed?.attributes['error.type']).toBe('NOT_A_PARTY');
    expect(failed?.status.message).toBe('NOT_A_PARTY');
  });

  it('stores no context for a span that is not sampled', async () => {
    startTracing({}, { exporter });
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '3'.repeat(32),
      spanId: '4'.repeat(16),
      traceFlags: TraceFlags.NONE,
    });
    await context.with(unsampled, () =>
      tracer().startActiveSpan('child', async (span) => {
        expect(activeTraceCarrier()).toBeUndefined();
        span.end();
      }),
    );
    await shutdownTracing();
  });
});

describe('tracing to an OTLP endpoint', () => {
  beforeAll(resetGlobals);
  afterAll(resetGlobals);

  it('sends the spans over OTLP/HTTP (protobuf) when the process shuts down', async () => {
    const received: { url?: string; type?: string; bytes: number }[] = [];
    const collector = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ url: request.url, type: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    // The SDK's exporter reads its settings from the process environment, as in production.
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    try {
      expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toBeDefined();
      await inSpan('command', {}, async () => undefined);
      expect(received).toEqual([]);
      await shutdownTracing();
      expect(received).toEqual([
        { url: '/v1/traces', type: 'application/x-protobuf', bytes: expect.any(Number) },
      ]);
      expect(received[0].bytes).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      await new Promise((resolve) => collector.close(resolve));
    }
  });
  it('says it is on and where it sends, and logs an export that fails instead of dropping it silently', async () => {
    // A port nothing listens on: the collector is down.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const lines: string[] = [];
    const write = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    try {
      startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      await inSpan('command', {}, async () => undefined);
      await shutdownTracing();
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    }
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(logged[0]).toMatchObject({
      level: 30,
      msg: `Tracing on: spans go over OTLP/HTTP to ${endpoint}/v1/traces`,
    });
    expect(logged.some((line) => line.level >= 40)).toBe(true);
  });
});
