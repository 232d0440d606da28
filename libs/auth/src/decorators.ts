import {
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Actor, ActorRole } from './actor';
import { getRequestContext, RequestContext } from './request-context';

export const IS_PUBLIC = 'arbiter:isPublic';
export const ROLES = 'arbiter:roles';

/** Skips authentication (health, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only these roles may call the operation; others get FORBIDDEN. */
export const Roles = (...roles: ActorRole[]) => SetMetadata(ROLES, roles);

/** The authenticated caller, in a resolver or a controller. */
export const CurrentActor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Actor => {
    const actor = getRequestContext(context)?.actor;
    // The guard has run already; reaching here without an actor means @Public() and @CurrentActor() were combined.
    if (!actor) throw new UnauthorizedException('Authentication required');
    return actor;
  },
);

/** The whole request context: actor, correlation id, idempotency key. */
export const CurrentRequestContext = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => {
    const requestContext = getRequestContext(context);
    if (!requestContext)
      throw new Error('No request context: the auth guard did not run for this call');
    return requestContext;
  },
);
