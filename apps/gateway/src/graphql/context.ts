import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Actor, authenticateRequest, REQUEST_CONTEXT, TokenVerifier } from '@arbiter/auth';
import type { Pseudonymizer } from '@arbiter/disputes';
import type { PseudonymisingContext } from './person-ids';

/** What graphql-ws hands to `onConnect` and `context`; only the fields used here. */
export interface WsConnectionContext {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: {
    request: IncomingMessage;
    socket: { close(code: number, reason: string): void };
    actor?: Actor;
  };
}

/**
 * The GraphQL context factory for both transports. It never throws: refused credentials are
 * recorded in the request context and the guard answers UNAUTHENTICATED for non-public operations.
 */
export function graphQLContextFactory(verifier: TokenVerifier, analystPseudonym?: Pseudonymizer) {
  return async (
    arg: { req?: Record<string, unknown> & IncomingMessage; res?: unknown } | WsConnectionContext,
  ): Promise<PseudonymisingContext> => {
    if ('extra' in arg && arg.extra?.socket) {
      // WebSocket: the connection was authenticated once in onConnect; each operation gets its own id.
      return {
        requestContext: {
          correlationId: `ws-${randomUUID()}`,
          actor: arg.extra.actor ?? null,
          idempotencyKey: undefined,
        },
        analystPseudonym,
      };
    }
    const { req, res } = arg as {
      req: Record<string | symbol, unknown> & IncomingMessage;
      res?: unknown;
    };
    const requestContext = await authenticateRequest(verifier, {
      correlationId: String(req.id ?? randomUUID()),
      authorization: req.headers.authorization,
      idempotencyKey: req.headers['idempotency-key'],
    });
    // The rate limiter tracks the request by actor; it sees the request, not the GraphQL context.
    req[REQUEST_CONTEXT] = requestContext;
    return { requestContext, req, res, analystPseudonym };
  };
}

export const WS_UNAUTHORIZED = 4401;

/**
 * graphql-ws `onConnect`: the client sends `{ authorization: 'Bearer <jwt>' }` as connection
 * params. Without valid credentials the socket closes with 4401 before any operation runs.
 */
export function webSocketAuthenticator(verifier: TokenVerifier) {
  return async (ctx: WsConnectionContext): Promise<boolean> => {
    const authorization =
      ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
    const requestContext = await authenticateRequest(verifier, {
      correlationId: '',
      authorization,
    });
    if (!requestContext.actor) {
      ctx.extra.socket.close(WS_UNAUTHORIZED, requestContext.authError ?? 'Unauthorized');
      return false;
    }
    ctx.extra.actor = requestContext.actor;
    return true;
  };
}
