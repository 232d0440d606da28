import type { FieldMiddleware, MiddlewareContext, NextFn } from '@nestjs/graphql';
import type { GraphQLContext } from '@arbiter/auth';
import type { Pseudonymizer } from '@arbiter/disputes';

/** The GraphQL context with the deployment's analyst pseudonyms (the feeds' `Pseudonyms.of`). */
export interface PseudonymisingContext extends GraphQLContext {
  analystPseudonym?: Pseudonymizer;
}

/**
 * On every field that holds a person's id (buyer, seller, order, mediator, author, actor): an
 * analyst reads the same pseudonym the analytics feeds carry, never the id itself, so no query
 * links a pseudonym back to a person. Everyone else reads the id. The system's own id (deadlines)
 * is kept, as in the feeds. Fails closed: without pseudonyms in the context, an analyst reads
 * REDACTED-like `anon_unavailable`.
 */
export const personIdForAnalysts: FieldMiddleware = async (
  ctx: MiddlewareContext<Record<string, unknown>, PseudonymisingContext>,
  next: NextFn,
) => {
  const value: unknown = await next();
  if (ctx.context.requestContext?.actor?.role !== 'analyst') return value;
  if (typeof value !== 'string') return value;
  const source = ctx.source ?? {};
  if (source.actorRole === 'system' || source.authorRole === 'system') return value;
  return ctx.context.analystPseudonym?.(value) ?? 'anon_unavailable';
};
