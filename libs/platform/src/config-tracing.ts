import { z } from 'zod';
import { emptyAsUndefined } from './config-values';

const otlpUrl = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .url('must be a URL, e.g. http://collector:4318')
    .refine((value) => /^https?:\/\//i.test(value), 'must be an http:// or https:// URL')
    .optional(),
);

/**
 * The standard OpenTelemetry settings the SDK reads itself (tracing-sdk.ts), checked here too so
 * a typo stops the process with one line instead of sending traces elsewhere or nowhere: the SDK
 * falls back to its defaults (localhost, always on) without a word.
 */
export const tracingSettings = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  OTEL_SDK_DISABLED: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
  OTEL_TRACES_SAMPLER: z.preprocess(
    emptyAsUndefined,
    z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .optional(),
  ),
  /** The ratio of the `traceidratio` samplers. */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().min(0).max(1).optional(),
  ),
};
