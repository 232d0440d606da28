import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { authenticateRequest, TokenVerifier } from '@arbiter/auth';

export interface EdgeRateLimitOptions {
  /** Requests per minute per IP address without valid credentials. */
  anonymousPerMinute: number;
  /** Refused requests (malformed, invalid, over a limit, unauthenticated) per minute per IP. */
  failedPerMinute: number;
  verifier: TokenVerifier;
}

/** Set on `res.locals` by `refusedRequestPlugin` when GraphQL refused the whole request. */
const REFUSED = 'arbiterRequestRefused';

/**
 * Per-IP limits that run before the body is parsed, so neither anonymous callers nor a flood of
 * malformed requests reach the GraphQL parser, validation or authentication work once over budget:
 *
 * - `anonymous`: requests without valid credentials. The per-actor limit cannot count them: the
 *   authentication guard refuses them before it runs, and parse or validation failures never
 *   reach a guard at all.
 * - `failed`: every refused request, whoever sends it (HTTP status 400 or more, or a GraphQL answer
 *   with errors and no data). An address that keeps sending what is refused is cut off for the
 *   rest of the window, even with a token; the per-actor limit keeps counting valid work.
 *
 * Over either: 429 with `Retry-After` and a GraphQL-shaped body (code RATE_LIMITED). Counts are
 * per gateway process. Behind a proxy, set TRUST_PROXY so the address is the client's.
 */
export function edgeRateLimits(options: EdgeRateLimitOptions): RequestHandler[] {
  const common = {
    windowMs: 60_000,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    handler: tooManyRequests,
  };
  const failed = rateLimit({
    ...common,
    identifier: 'failed',
    limit: options.failedPerMinute,
    skipSuccessfulRequests: true,
    // A 429 is this gate's own answer: counting it would turn an anonymous flood into a cut-off
    // of the callers with tokens at the same address.
    requestWasSuccessful: (_request: Request, response: Response) =>
      response.statusCode === 429 ||
      (response.statusCode < 400 && response.locals[REFUSED] !== true),
  });
  const anonymous = rateLimit({
    ...common,
    identifier: 'anonymous',
    limit: options.anonymousPerMinute,
    skip: async (request: Request) => {
      const authorization = request.headers.authorization;
      if (typeof authorization !== 'string') return false;
      const context = await authenticateRequest(options.verifier, {
        correlationId: 'edge-rate-limit',
        authorization,
      });
      return context.actor !== null;
    },
  });
  return [failed, anonymous];
}

function tooManyRequests(
  request: Request,
  response: Response,
  _next: NextFunction,
  options: { statusCode: number },
): void {
  const resetTime = (request as Request & { rateLimit?: { resetTime?: Date } }).rateLimit
    ?.resetTime;
  const seconds = resetTime
    ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
    : 60;
  response
    .status(options.statusCode)
    .set('Retry-After', String(seconds))
    .json({
      errors: [
        {
          message: `Too many requests from this address; retry in ${seconds} s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
        },
      ],
    });
}

/**
 * Marks an HTTP GraphQL answer that has errors and no data (a refused request, whatever its
 * status) for the `failed` limit; partial answers with field errors are not refusals.
 */
export function refusedRequestPlugin(): ApolloServerPlugin<{ res?: unknown }> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const res = contextValue?.res as Response | undefined;
          if (!res?.locals || response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (errors?.length && (data === undefined || data === null)) res.locals[REFUSED] = true;
        },
      };
    },
  };
}
