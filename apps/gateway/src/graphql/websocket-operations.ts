import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import {
  DocumentNode,
  ExecutionArgs,
  getOperationAST,
  GraphQLError,
  GraphQLFormattedError,
  GraphQLSchema,
  parse,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import type { Actor } from '@arbiter/auth';
import { logServerFailure, toFormattedGraphQLError } from '../errors/error-mapping';
import { checkInputText, checkQueryLimits, MAX_TOKENS, QueryLimits } from './limits';

/** Operations one connection may have running at once (subscriptions, mostly). */
export const MAX_OPERATIONS_PER_CONNECTION = 50;

export interface WebSocketOperationOptions extends QueryLimits {
  /** Operations per minute per actor, the HTTP rate limit's budget. */
  perMinute: number;
  storage: ThrottlerStorage;
  /** The executable schema, known once the GraphQL module has started. */
  schema: () => GraphQLSchema;
  /** Refuse introspection and drop "Did you mean …?" suggestions (production), as over HTTP. */
  hideSchema?: boolean;
}

/** The part of graphql-ws's connection context these hooks read. */
interface WsContext {
  subscriptions: Record<string, unknown>;
  extra: { actor?: Actor };
}

interface WsPayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * graphql-ws hooks that hold operations sent over the socket to the rules of HTTP. Nest hands the
 * socket straight to graphql-ws, so Apollo's plugins (limits) and `formatError` never see these
 * operations, and the HTTP rate limiter has no request to count: each is applied here instead —
 * the token limit, validation, depth and complexity, a per-actor rate and a per-connection cap —
 * and every error sent back is mapped like HTTP's, so no internal message leaves the server.
 */
export function webSocketOperationHooks(options: WebSocketOperationOptions) {
  const logger = new Logger('GraphQLWebSocket');
  const format = (ctx: WsContext, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const { formatted, unexpected, code } = toFormattedGraphQLError(error, ctx.extra.actor);
      if (unexpected) logServerFailure(logger, code, error.originalError ?? error);
      return formatted;
    });

  return {
    onSubscribe: async (
      ctx: WsContext,
      _id: string,
      payload: WsPayload,
    ): Promise<ExecutionArgs | readonly GraphQLError[]> => {
      const refused = (message: string, code: string) => [
        new GraphQLError(message, { extensions: { code } }),
      ];
      // graphql-ws registers the operation before calling this hook, so it is counted here.
      if (Object.keys(ctx.subscriptions).length > MAX_OPERATIONS_PER_CONNECTION) {
        return refused(
          `At most ${MAX_OPERATIONS_PER_CONNECTION} operations may run at once on one connection`,
          'TOO_MANY_OPERATIONS',
        );
      }
      const actor = ctx.extra.actor;
      // onConnect refuses sockets without an actor, so every operation here has one.
      const { isBlocked } = await options.storage.increment(
        `graphql-ws:actor:${actor?.id ?? 'unknown'}`,
        60_000,
        options.perMinute,
        60_000,
        'graphql-ws',
      );
      if (isBlocked) return refused('Too many requests', 'RATE_LIMITED');

      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: MAX_TOKENS });
      } catch (error) {
        return refused((error as Error).message, 'GRAPHQL_PARSE_FAILED');
      }
      const schema = options.schema();
      const invalid = validate(
        schema,
        document,
        options.hideSchema ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules,
      );
      if (invalid.length) {
        return invalid.map(
          (error) =>
            new GraphQLError(
              options.hideSchema ? withoutSuggestions(error.message) : error.message,
              {
                nodes: error.nodes,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              },
            ),
        );
      }
      const variableValues = payload.variables ?? undefined;
      try {
        checkInputText(document, variableValues);
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const operation = getOperationAST(document, payload.operationName);
      if (operation) {
        // Variables are coerced before execution: a bad one is the caller's input (as over HTTP),
        // not an unexpected error of the resolver.
        const coerced = getVariableValues(
          schema,
          operation.variableDefinitions ?? [],
          variableValues ?? {},
          { maxErrors: 20 },
        );
        if (coerced.errors) {
          return coerced.errors.map(
            (error) =>
              new GraphQLError(
                options.hideSchema ? withoutSuggestions(error.message) : error.message,
                {
                  nodes: error.nodes,
                  extensions: { code: 'BAD_USER_INPUT' },
                },
              ),
          );
        }
        try {
          checkQueryLimits(options, schema, document, operation, variableValues);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
      }
      return { schema, document, operationName: payload.operationName, variableValues };
    },
    onNext: (
      ctx: WsContext,
      _id: string,
      _payload: unknown,
      _args: unknown,
      result: { data?: unknown; errors?: readonly GraphQLError[]; extensions?: unknown },
    ) => (result.errors ? { ...result, errors: format(ctx, result.errors) } : undefined),
    onError: (ctx: WsContext, _id: string, _payload: unknown, errors: readonly GraphQLError[]) =>
      format(ctx, errors),
  };
}

/**
 * graphql-js's "Did you mean …?" suffix names schema fields; Apollo strips it from validation
 * errors only, so this is applied to every error in production (variable coercion too).
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/ Did you mean(.+?)\?$/, '');
}
