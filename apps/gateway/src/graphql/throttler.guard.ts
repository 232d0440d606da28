import { ExecutionContext, Injectable } from '@nestjs/common';
import { GqlContextType, GqlExecutionContext } from '@nestjs/graphql';
import { ThrottlerGuard } from '@nestjs/throttler';
import { GraphQLContext, REQUEST_CONTEXT, RequestContext } from '@arbiter/auth';

/**
 * Per-actor rate limits for GraphQL and HTTP: an authenticated caller is tracked by actor id
 * (whatever its IP), an anonymous one by IP. Each guarded resolver call counts once.
 */
@Injectable()
export class ActorThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    // Operations over WebSocket have no HTTP request/response pair to count against; they are
    // counted per actor in graphql-ws's onSubscribe (websocket-operations.ts) instead.
    return (
      context.getType<GqlContextType>() === 'graphql' &&
      !GqlExecutionContext.create(context).getContext<GraphQLContext>().res
    );
  }

  protected override getRequestResponse(context: ExecutionContext) {
    if (context.getType<GqlContextType>() === 'graphql') {
      const { req, res } = GqlExecutionContext.create(context).getContext<GraphQLContext>();
      return { req: req as Record<string, unknown>, res: res as Record<string, unknown> };
    }
    return super.getRequestResponse(context);
  }

  protected override async getTracker(req: Record<string | symbol, unknown>): Promise<string> {
    const actor = (req[REQUEST_CONTEXT] as RequestContext | undefined)?.actor;
    return actor ? `actor:${actor.id}` : `ip:${String(req.ip ?? 'unknown')}`;
  }
}
