import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import proxyaddr from 'proxy-addr';
import { authenticateRequest, type TokenVerifier } from '@arbiter/auth';

export interface EdgeRateLimitOptions {
  /** Requests per minute per IP address without valid credentials. */
  anonymousPerMinute: number;
  /** Refused requests (malformed, invalid, over a limit, unauthenticated) per minute per IP. */
  failedPerMinute: number;
}

/** Set on `res.locals` by `refusedRequestPlugin` when GraphQL refused the whole request. */
const REFUSED = 'arbiterRequestRefused';

type Trust = (address: string, hop: number) => boolean;

/**
 * Per-IP limits that run before the body is parsed, so neither anonymous callers nor a flood of
 * malformed requests reach the GraphQL parser, validation or authentication work once over budget:
 *
 * - `anonymous`: requests without valid credentials. The per-actor limit cannot count them: the
 *   authentication guard refuses them before it runs, and parse or validation failures never
 *   reach a guard at all.
 * - `failed`: every refused request, whoever sends it (HTTP status 400 or more, or a GraphQL answer
 *   with errors and no data), and every GraphQL WebSocket refused at `connection_init`. An address
 *   that keeps sending what is refused is cut off for the rest of the window, on both transports,
 *   even with a token; the per-actor limit keeps counting valid work.
 *
 * Over either: 429 with `Retry-After` (a WebSocket: closed with 4429). Counts are per gateway
 * process. Behind a proxy, set TRUST_PROXY so the address is the client's.
 */
export class EdgeRateLimits {
  private readonly failed = new MemoryStore();
  private readonly anonymous = new MemoryStore();
  private trust: Trust = () => false;

  constructor(private readonly options: EdgeRateLimitOptions) {}

  /** The HTTP middlewares, in order; `trust` is Express's compiled `trust proxy`. */
  /**
   * `signedLink`: whether a request carries credentials of its own instead of a token (a valid
   * evidence download link): not anonymous, or a page of images would exhaust its address's
   * budget, and a video, fetched range by range, even more so.
   */
  middlewares(
    verifier: TokenVerifier,
    trust: Trust,
    signedLink: (request: Request) => boolean = () => false,
  ): RequestHandler[] {
    this.trust = trust;
    const common = {
      windowMs: WINDOW_MS,
      standardHeaders: 'draft-8' as const,
      legacyHeaders: false,
      handler: tooManyRequests,
    };
    const failed = rateLimit({
      ...common,
      store: this.failed,
      identifier: 'failed',
      limit: this.options.failedPerMinute,
      skipSuccessfulRequests: true,
      // A 429 is this gate's own answer: counting it would turn an anonymous flood into a cut-off
      // of the callers with tokens at the same address.
      requestWasSuccessful: (_request: Request, response: Response) =>
        response.statusCode === 429 ||
        (response.statusCode < 400 && response.locals[REFUSED] !== true),
    });
    const anonymous = rateLimit({
      ...common,
      store: this.anonymous,
      identifier: 'anonymous',
      limit: this.options.anonymousPerMinute,
      skip: async (request: Request) => {
        if (signedLink(request)) return true;
        const authorization = request.headers.authorization;
        if (typeof authorization !== 'string') return false;
        const context = await authenticateRequest(verifier, {
          correlationId: 'edge-rate-limit',
          authorization,
        });
        return context.actor !== null;
      },
    });
    return [failed, anonymous];
  }

  /** Whether a WebSocket from this address may try to authenticate (not over its refusals). */
  async admitsSocket(request: IncomingMessage): Promise<boolean> {
    const hits = await this.failed.get(this.keyOf(request));
    return (hits?.totalHits ?? 0) < this.options.failedPerMinute;
  }

  /** A WebSocket from this address was refused at `connection_init`. */
  async socketRefused(request: IncomingMessage): Promise<void> {
    await this.failed.increment(this.keyOf(request));
  }

  /** As express-rate-limit keys a request: the client's address (IPv6 by its /56). */
  private keyOf(request: IncomingMessage): string {
    return ipKeyGenerator(proxyaddr(request, this.trust));
  }
}

const WINDOW_MS = 60_000;

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
  const message = `Too many requests from this address; retry in ${seconds} s`;
  response.status(options.statusCode).set('Retry-After', String(seconds));
  // Each path answers in its own shape: REST errors for uploads, GraphQL errors for /graphql.
  if (request.baseUrl.startsWith('/evidence')) {
    response.json({ statusCode: options.statusCode, code: 'RATE_LIMITED', message });
    return;
  }
  response.json({
    errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds } }],
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
