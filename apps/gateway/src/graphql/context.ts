import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Actor,
  type AuthenticatedSession,
  AuthenticationError,
  authenticateRequest,
  REQUEST_CONTEXT,
  TokenVerifier,
} from '@arbiter/auth';
import type { Pseudonymizer } from '@arbiter/disputes';
import type { PseudonymisingContext } from './person-ids';

/** What graphql-ws hands to `onConnect` and `context`; only the fields used here. */
export interface WsConnectionContext {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: {
    request: IncomingMessage;
    socket: {
      close(code: number, reason: string): void;
      once?(event: 'close', listener: () => void): unknown;
    };
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
export const WS_TOO_MANY_REQUESTS = 4429;

/** The per-IP limits as the WebSocket's connect sees them (EdgeRateLimits). */
export interface SocketGate {
  admitsSocket(request: IncomingMessage): Promise<boolean>;
  socketRefused(request: IncomingMessage): Promise<void>;
}

/** Longest a timer may wait in Node (about 24.8 days); a later expiry is re-armed from there. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * graphql-ws `onConnect`: the client sends `{ authorization: 'Bearer <jwt>' }` as connection
 * params. Without valid credentials the socket closes with 4401 before any operation runs; with
 * them, it closes with 4401 "Token expired" when the token expires, so a session never outlives
 * its token (the client reconnects with a fresh one and resumes its subscriptions).
 */
export function webSocketAuthenticator(verifier: TokenVerifier, limits?: SocketGate) {
  return async (ctx: WsConnectionContext): Promise<boolean> => {
    // An address over its refusals is turned away before its token is even checked.
    if (limits && !(await limits.admitsSocket(ctx.extra.request))) {
      ctx.extra.socket.close(WS_TOO_MANY_REQUESTS, 'Too many refused requests from this address');
      return false;
    }
    const refuse = async (reason: string): Promise<false> => {
      await limits?.socketRefused(ctx.extra.request);
      ctx.extra.socket.close(WS_UNAUTHORIZED, reason);
      return false;
    };
    const authorization =
      ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
    let session: AuthenticatedSession | null;
    try {
      session = await verifier.authenticateSession(
        typeof authorization === 'string' ? authorization : undefined,
      );
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      return refuse(error.message);
    }
    if (!session) return refuse('Unauthorized');
    ctx.extra.actor = session.actor;
    closeWhenExpired(ctx.extra.socket, session.expiresAt);
    return true;
  };
}

function closeWhenExpired(socket: WsConnectionContext['extra']['socket'], expiresAt: number): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) {
      socket.close(WS_UNAUTHORIZED, 'Token expired');
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  socket.once?.('close', () => clearTimeout(timer));
}
