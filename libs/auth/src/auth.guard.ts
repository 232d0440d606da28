import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ActorRole } from './actor';
import { IS_PUBLIC, ROLES } from './decorators';
import {
  getRequestContext,
  idempotencyKeyFrom,
  REQUEST_CONTEXT,
  RequestContext,
} from './request-context';
import { AuthenticationError, TokenVerifier } from './token-verifier';

/**
 * The global guard: every GraphQL operation and HTTP route needs an authenticated actor unless it
 * is `@Public()`. GraphQL contexts arrive already authenticated (the context factory verified the
 * token once per request or WebSocket connection); HTTP requests are verified here.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const requestContext = getRequestContext(context) ?? (await this.authenticateHttp(context));
    if (requestContext.authError) throw new UnauthorizedException(requestContext.authError);
    if (!requestContext.actor) throw new UnauthorizedException('Authentication required');

    const roles = this.reflector.getAllAndOverride<ActorRole[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(requestContext.actor.role)) {
      throw new ForbiddenException(`Not allowed for role ${requestContext.actor.role}`);
    }
    return true;
  }

  private async authenticateHttp(context: ExecutionContext): Promise<RequestContext> {
    if (context.getType() !== 'http') throw new UnauthorizedException('Authentication required');
    const req = context.switchToHttp().getRequest();
    const requestContext = await authenticateRequest(this.verifier, {
      correlationId: String(req.id ?? ''),
      authorization: req.headers?.authorization,
      idempotencyKey: req.headers?.['idempotency-key'],
    });
    req[REQUEST_CONTEXT] = requestContext;
    return requestContext;
  }
}

/** Builds a request context from transport-neutral parts; never throws on bad credentials. */
export async function authenticateRequest(
  verifier: TokenVerifier,
  parts: { correlationId: string; authorization?: unknown; idempotencyKey?: unknown },
): Promise<RequestContext> {
  const base = {
    correlationId: parts.correlationId,
    idempotencyKey: idempotencyKeyFrom(parts.idempotencyKey),
  };
  try {
    const authorization = typeof parts.authorization === 'string' ? parts.authorization : undefined;
    return { ...base, actor: await verifier.authenticate(authorization) };
  } catch (error) {
    if (error instanceof AuthenticationError)
      return { ...base, actor: null, authError: error.message };
    throw error;
  }
}
