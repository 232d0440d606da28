import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Arbiter's tracer (looked up on each use, so a provider registered later is the one used),
 * through the OpenTelemetry API only. Until `startTracing` (tracing-sdk.ts)
 * registers a provider, the API's no-op tracer answers: no span is recorded, no context is
 * propagated and nothing is written into event metadata.
 */
export const tracer = (): Tracer => trace.getTracer('arbiter');

/**
 * Attribute names. `error.type` and `db.*` are stable semantic conventions; `graphql.*` and
 * `messaging.*` are still incubating, so they are spelt here (as the conventions' package advises)
 * rather than imported from its unstable entry. `arbiter.*` are this product's own.
 */
export const ATTR = {
  errorType: 'error.type',
  dbSystem: 'db.system.name',
  graphqlOperationName: 'graphql.operation.name',
  graphqlOperationType: 'graphql.operation.type',
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingDestination: 'messaging.destination.name',
  messagingBatchCount: 'messaging.batch.message_count',
  commandType: 'arbiter.command.type',
  commandOutcome: 'arbiter.command.outcome',
  disputeId: 'arbiter.dispute.id',
  streamId: 'arbiter.stream.id',
  eventCount: 'arbiter.event.count',
  revision: 'arbiter.stream.revision',
  position: 'arbiter.log.position',
  firstPosition: 'arbiter.log.position.first',
  lastPosition: 'arbiter.log.position.last',
  projection: 'arbiter.projection.name',
  deadlineKind: 'arbiter.deadline.kind',
  deadlineOutcome: 'arbiter.deadline.outcome',
} as const;

/**
 * A trace context as it travels in an event's metadata (`metadata.trace`): the W3C
 * `traceparent` (and `tracestate` when there is one) of the span that appended the event. Ids and
 * flags only, never personal data.
 */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/**
 * The active span's context as a carrier, when it is sampled (a link to a trace that was not
 * recorded leads nowhere, so unsampled requests store nothing); undefined when tracing is off.
 */
export function activeTraceCarrier(): TraceCarrier | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  if ((spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (typeof carrier.traceparent !== 'string') return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

/** A link to the span a carrier names (read from event metadata), or undefined if it names none. */
export function linkTo(carrier: unknown, attributes?: Attributes): Link | undefined {
  if (!carrier || typeof carrier !== 'object') return undefined;
  const { traceparent, tracestate } = carrier as Partial<TraceCarrier>;
  if (typeof traceparent !== 'string') return undefined;
  const headers: Record<string, string> = { traceparent };
  if (typeof tracestate === 'string') headers.tracestate = tracestate;
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers));
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return attributes ? { context: spanContext, attributes } : { context: spanContext };
}

/** Links to the distinct spans named by events' `metadata.trace`, at most `max` of them. */
export function linksToEvents(
  events: readonly { metadata: Record<string, unknown>; position?: bigint }[],
  max = 64,
): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (links.length >= max) break;
    const carrier = event.metadata.trace as TraceCarrier | undefined;
    if (!carrier || seen.has(carrier.traceparent)) continue;
    const link = linkTo(
      carrier,
      event.position === undefined ? undefined : { [ATTR.position]: event.position.toString() },
    );
    if (!link) continue;
    seen.add(carrier.traceparent);
    links.push(link);
  }
  return links;
}

export interface SpanSettings {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; default the active context. */
  parent?: Context;
}

/**
 * Runs `work` in a new active span and ends it. A throw marks the span failed with the error's
 * stable code (`error.type`); the message is not recorded, since it may quote user input.
 */
export function inSpan<T>(
  name: string,
  settings: SpanSettings,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent, ...options } = settings;
  return tracer().startActiveSpan(name, options, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed with the error's stable code, or its class name when it has none. */
export function markFailed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const code = errorCodeOf(error);
  span.setAttribute(ATTR.errorType, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** A thrown value's stable `code` (DomainError, GraphQL extensions) or else its class name. */
export function errorCodeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, extensions, name } = error as {
      code?: unknown;
      extensions?: { code?: unknown };
      name?: unknown;
    };
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    if (typeof extensions?.code === 'string') return extensions.code;
    if (typeof name === 'string' && name) return name;
  }
  return 'Error';
}
