import { ExecutionContext } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import { Actor } from './actor';

/**
 * Who is asking and under which request, as commands need it for event metadata
 * (correlationId, actor) and for idempotent retries (idempotencyKey).
 */
export interface RequestContext {
  /** pino-http's request id, also echoed in the `x-correlation-id` response header. */
  correlationId: string;
  /** `null` until authenticated, or on a `@Public()` operation called anonymously. */
  actor: Actor | null;
  /** The `Idempotency-Key` header, when the client sent one. */
  idempotencyKey?: string;
  /** Set when credentials were presented and refused; the guard answers UNAUTHENTICATED with it. */
  authError?: string;
}

/** The GraphQL context object built per operation (HTTP) or per message (WebSocket). */
export interface GraphQLContext {
  requestContext: RequestContext;
  req?: unknown;
  res?: unknown;
}

/** Where the guard leaves the context on a plain HTTP request (controllers). */
export const REQUEST_CONTEXT = Symbol.for('arbiter.requestContext');

const IDEMPOTENCY_KEY = /^[\w.:-]{1,128}$/;

export function idempotencyKeyFrom(value: unknown): string | undefined {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value) ? value : undefined;
}

export function getRequestContext(context: ExecutionContext): RequestContext | undefined {
  if (context.getType<GqlContextType>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<GraphQLContext>().requestContext;
  }
  if (context.getType() === 'http') {
    return context.switchToHttp().getRequest()[REQUEST_CONTEXT];
  }
  return undefined;
}
