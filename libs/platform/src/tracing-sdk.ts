import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** What `startTracing` started: flush and stop it when the process ends. */
export interface Tracing {
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/**
 * Tracing is on when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and `OTEL_SDK_DISABLED` is not `true`; every other
 * `OTEL_*` setting is read by the SDK itself (service name, resource attributes, sampler,
 * exporter headers, timeouts, batch sizes).
 */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return Boolean(
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim(),
  );
}

/**
 * Starts the OpenTelemetry SDK when `tracingConfigured(env)`: a Node tracer provider (W3C trace
 * context, async-hooks context) exporting in batches over OTLP/HTTP (protobuf). Called first in
 * each app's `main.ts`. Off, it loads none of the SDK and the API's no-op tracer stays in place.
 * `exporter` replaces OTLP (tests).
 */
export function startTracing(
  env: NodeJS.ProcessEnv,
  options: { exporter?: SpanExporter } = {},
): Tracing | undefined {
  if (started) return started;
  if (!tracingConfigured(env) && !options.exporter) return undefined;
  // Loaded only when on: a process without tracing never requires the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const { detectResources, envDetector, processDetector, hostDetector, resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } =
    require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the default name.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'arbiter' }).merge(
    detectResources({ detectors: [processDetector, hostDetector, envDetector] }),
  );
  const provider = new NodeTracerProvider({
    resource,
    // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS/TIMEOUT, the processor
    // OTEL_BSP_*, the provider OTEL_TRACES_SAMPLER(_ARG) and the span limits.
    spanProcessors: [new BatchSpanProcessor(options.exporter ?? new OTLPTraceExporter())],
  });
  provider.register();
  // The SDK reports failed exports (a collector down, a refused request) through `diag`, which is
  // silent unless given a logger: warnings and errors go to stderr as JSON lines.
  diag.setLogger(
    {
      error: (message, ...args) => logLine(50, message, args),
      warn: (message, ...args) => logLine(40, message, args),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  if (!options.exporter) {
    const endpoint =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() ||
      `${env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim().replace(/\/$/, '')}/v1/traces`;
    logLine(30, `Tracing on: spans go over OTLP/HTTP to ${endpoint}`, []);
  }
  started = {
    async shutdown() {
      started = undefined;
      // A collector that is down must not turn a clean shutdown into a failed one: said, not thrown.
      await provider.shutdown().catch((error: unknown) => {
        logLine(40, 'Tracing: the last spans could not be sent:', [error]);
      });
      // Back to the API's no-op tracer: nothing is handed to a provider that no longer exports.
      trace.disable();
      context.disable();
      propagation.disable();
      diag.disable();
    },
  };
  return started;
}

/** Flushes and stops what `startTracing` started; nothing when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  await started?.shutdown();
}

/** One JSON line on stderr in pino's shape (the app's logger is not up yet when tracing starts). */
function logLine(level: number, message: string, args: unknown[]): void {
  const detail = args.length ? ` ${args.map(describe).join(' ')}` : '';
  process.stderr.write(
    `${JSON.stringify({ level, time: Date.now(), context: 'Tracing', msg: `${message}${detail}` })}\n`,
  );
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
