import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { ATTR, tracer } from '@arbiter/platform';
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  getOperationAST,
  type GraphQLFormattedError,
} from 'graphql';
import { operationLabel } from '../metrics/metrics';

/** Codes that are the server's fault; every other code is the client's and leaves the span OK. */
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/**
 * The span of one GraphQL request over HTTP, a server span continuing the caller's W3C
 * `traceparent` when it sent one. It is made active around the rest of the request (the body
 * parser's events included), so the commands, appends and reads the resolvers cause are its
 * children. Named and described by `graphqlTracingPlugin` once the operation is known. With
 * tracing off the API's no-op tracer answers and this costs a few calls.
 */
export function graphqlTracingMiddleware() {
  return (request: Request, response: Response, next: NextFunction): void => {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer().startSpan(
      'graphql',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method } },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.end();
    };
    response.once('finish', end);
    response.once('close', end);
    const active = trace.setSpan(parent, span);
    context.bind(active, request);
    context.bind(active, response);
    context.with(active, next);
  };
}

/**
 * Names the request's span after its operation (`mutation openDispute`: the type and the root
 * field, as few names as the schema has fields) with `graphql.operation.type/name`, and records
 * the stable codes of the errors it answered (`error.type`, `arbiter.graphql.error_codes`).
 */
export function graphqlTracingPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      if (!span?.isRecording()) return;
      return {
        async didResolveOperation({ operation, schema }) {
          if (!operation) return;
          span.updateName(`${operation.operation} ${operationLabel(schema, operation)}`);
          span.setAttribute(ATTR.graphqlOperationType, operation.operation);
          if (operation.name) span.setAttribute(ATTR.graphqlOperationName, operation.name.value);
        },
        async willSendResponse({ response, errors }) {
          const sent =
            response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          recordErrorCodes(span, sent ?? errors);
        },
      };
    },
  };
}

/** The errors' stable codes on the span; ERROR status only for the server's own faults. */
function recordErrorCodes(
  span: Span,
  errors: readonly Pick<GraphQLFormattedError, 'extensions'>[] | undefined,
): void {
  const codes = [
    ...new Set(
      (errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')),
    ),
  ];
  if (codes.length === 0) return;
  span.setAttribute(ATTR.errorType, codes[0]);
  span.setAttribute('arbiter.graphql.error_codes', codes);
  if (codes.some((code) => SERVER_FAULTS.has(code)))
    span.setStatus({ code: SpanStatusCode.ERROR, message: codes[0] });
}

/**
 * graphql-ws's `execute` for queries and mutations sent over the WebSocket: the same span as over
 * HTTP (`mutation openDispute`, its type, name and error codes), active around the execution so
 * that the commands are its children. Subscriptions (long-lived) get none.
 */
export async function tracedExecute(args: ExecutionArgs): Promise<ExecutionResult> {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return execute(args);
  return tracer().startActiveSpan(
    `${operation.operation} ${operationLabel(args.schema, operation)}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR.graphqlOperationType]: operation.operation,
        ...(operation.name ? { [ATTR.graphqlOperationName]: operation.name.value } : {}),
      },
    },
    async (span) => {
      try {
        const result = await execute(args);
        recordErrorCodes(span, result.errors);
        return result;
      } finally {
        span.end();
      }
    },
  );
}
