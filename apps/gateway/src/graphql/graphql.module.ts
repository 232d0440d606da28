import { join } from 'node:path';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, GraphQLSchemaHost } from '@nestjs/graphql';
import { ThrottlerStorage } from '@nestjs/throttler';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { Pseudonyms } from '@arbiter/analytics';
import { TokenVerifier } from '@arbiter/auth';
import type { AppConfig } from '@arbiter/platform';
import { INTERNAL, logServerFailure, toApiError } from '../errors/error-mapping';
import { MetricsService } from '../metrics/metrics';
import { graphQLContextFactory, webSocketAuthenticator, WsConnectionContext } from './context';
import { DateTimeScalar } from './date-time.scalar';
import { EdgeRateLimits, refusedRequestPlugin } from './edge-rate-limit';
import { httpOperationRulesPlugin, MAX_TOKENS, QueryLimits, queryLimitsPlugin } from './limits';
import { MeResolver } from './me.resolver';
import { graphqlTracingPlugin, tracedExecute } from './tracing';
import { bodyLimitBytes, WEBSOCKET_LIMITS, WebSocketLimits } from './websocket-limits';
import { webSocketOperationHooks, withoutSuggestions } from './websocket-operations';

const queryLimitsOf = (config: AppConfig): QueryLimits => ({
  maxDepth: config.GRAPHQL_MAX_DEPTH,
  maxComplexity: config.GRAPHQL_MAX_COMPLEXITY,
  maxAliases: config.GRAPHQL_MAX_ALIASES,
  maxDirectives: config.GRAPHQL_MAX_DIRECTIVES,
});

/** Where the committed schema lives; `npm run schema` (or a development start) rewrites it. */
export const SCHEMA_FILE = join(process.cwd(), 'apps/gateway/schema.gql');

/**
 * GraphQL over HTTP (`POST /graphql`, Apollo Server) and WebSocket (graphql-ws, same path),
 * code first. Feature modules add resolvers; this module owns the transport, the context and the
 * limits.
 */
@Module({})
export class GatewayGraphQLModule {
  static forRoot(config: AppConfig, options: { writeSchemaFile?: boolean } = {}): DynamicModule {
    const production = config.NODE_ENV === 'production';
    const writeSchemaFile = options.writeSchemaFile ?? config.NODE_ENV === 'development';
    const logger = new Logger('GraphQL');
    // One per gateway: HTTP's middlewares (gateway.ts) and the WebSocket's connect share counts.
    const edgeLimits = new EdgeRateLimits({
      anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      failedPerMinute: config.RATE_LIMIT_FAILED_PER_MINUTE,
    });
    return {
      module: GatewayGraphQLModule,
      imports: [
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [TokenVerifier, MetricsService, ThrottlerStorage, GraphQLSchemaHost, Pseudonyms],
          useFactory: (
            verifier: TokenVerifier,
            metrics: MetricsService,
            storage: ThrottlerStorage,
            schemaHost: GraphQLSchemaHost,
            pseudonyms: Pseudonyms,
          ): ApolloDriverConfig => ({
            path: '/graphql',
            autoSchemaFile: writeSchemaFile ? SCHEMA_FILE : true,
            sortSchema: true,
            // Instants are range-checked where they enter (date-time.scalar.ts).
            buildSchemaOptions: { scalarsMap: [{ type: Date, scalar: DateTimeScalar }] },
            introspection: !production,
            // No "Did you mean …?" naming the schema's fields to a client that cannot introspect it.
            hideSchemaDetailsFromClientErrors: production,
            graphiql: config.NODE_ENV === 'development',
            csrfPrevention: true,
            // Stack traces name the server's files and code: only when asked for (GRAPHQL_DEBUG),
            // never merely because NODE_ENV is development (the default).
            includeStacktraceInErrorResponses: config.GRAPHQL_DEBUG,
            // Errors are mapped once by ApiExceptionFilter; Nest's own HTTP-error translation would
            // overwrite the codes.
            autoTransformHttpErrors: false,
            parseOptions: { maxTokens: MAX_TOKENS },
            // Analysts read people's ids as the feeds' pseudonyms (person-ids.ts).
            context: graphQLContextFactory(verifier, pseudonyms.of),
            subscriptions: {
              'graphql-ws': {
                path: '/graphql',
                onConnect: webSocketAuthenticator(verifier, edgeLimits) as never,
                // graphql-ws's own option (Nest's type omits it): queries and mutations in a span.
                ...({ execute: tracedExecute } as object),
                // Apollo's plugins and formatError do not run over the socket; these hooks do their work.
                ...(webSocketOperationHooks({
                  ...queryLimitsOf(config),
                  perMinute: config.RATE_LIMIT_PER_MINUTE,
                  storage,
                  schema: () => schemaHost.schema,
                  // The socket follows HTTP: no introspection and no suggestions in production.
                  hideSchema: production,
                }) as object),
              },
            },
            // No automatic persisted queries: no client uses them, and a hash mismatch surfaced as
            // INTERNAL_SERVER_ERROR; a persisted-query request now gets PERSISTED_QUERY_NOT_SUPPORTED.
            persistedQueries: false,
            plugins: [
              httpOperationRulesPlugin(),
              refusedRequestPlugin(),
              queryLimitsPlugin(queryLimitsOf(config)),
              metrics.graphqlPlugin(),
              graphqlTracingPlugin(),
            ],
            formatError: (
              formatted: GraphQLFormattedError,
              error: unknown,
            ): GraphQLFormattedError => {
              // Errors that bypassed the filter (thrown outside a resolver) must not leak details
              // either; a database outage still says so (retryable), as it does from a resolver.
              const unavailable = toApiError(unwrapResolverError(error), undefined);
              if (
                formatted.extensions?.code === INTERNAL.code &&
                unavailable.code === 'SERVICE_UNAVAILABLE'
              ) {
                logServerFailure(logger, unavailable.code, unwrapResolverError(error));
                return {
                  message: unavailable.message,
                  path: formatted.path,
                  extensions: { ...unavailable.extensions, code: unavailable.code },
                };
              }
              if (
                formatted.extensions?.code === INTERNAL.code &&
                formatted.message !== INTERNAL.message
              ) {
                logger.error({ err: unwrapResolverError(error) }, 'Unexpected GraphQL error');
                return {
                  message: INTERNAL.message,
                  path: formatted.path,
                  extensions: { code: INTERNAL.code },
                };
              }
              // Apollo hides suggestions in validation errors only; a variable's unknown input
              // field ("Field "statuss" … Did you mean "status"?") would still name the schema's.
              if (production && formatted.message.includes(' Did you mean')) {
                return { ...formatted, message: withoutSuggestions(formatted.message) };
              }
              return formatted;
            },
          }),
        }),
      ],
      providers: [
        MeResolver,
        { provide: EdgeRateLimits, useValue: edgeLimits },
        WebSocketLimits,
        {
          provide: WEBSOCKET_LIMITS,
          useValue: { maxPayloadBytes: bodyLimitBytes(config.REQUEST_BODY_LIMIT) },
        },
      ],
    };
  }
}

export type { WsConnectionContext };
