import { context, propagation, trace } from '@opentelemetry/api';
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
  started = {
    async shutdown() {
      started = undefined;
      await provider.shutdown();
      // Back to the API's no-op tracer: nothing is handed to a provider that no longer exports.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  return started;
}

/** Flushes and stops what `startTracing` started; nothing when tracing is off. */
export async function shutdownTracing(): Promise<void> {
  await started?.shutdown();
}
