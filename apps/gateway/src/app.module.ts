import { AnalyticsModule, analyticsSettingsFrom } from '@arbiter/analytics';
import { AuditModule, auditSettingsFrom } from '@arbiter/audit';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { SkipThrottle, ThrottlerModule } from '@nestjs/throttler';
import { AuthGuard, AuthModule, AuthOptions, DEVELOPMENT_JWT_SECRET, Public } from '@arbiter/auth';
import { DeadlinesModule, disputeDeadlinesFirer, TestClocksModule } from '@arbiter/deadlines';
import type { DisputePolicy } from '@arbiter/disputes';
import {
  ARBITER_EVENT_SCHEMAS,
  DISPUTE_POLICY,
  DisputeDeadlines,
  stateCacheLimitsOf,
} from '@arbiter/disputes/application';
import {
  EVENT_STORE,
  EventStore,
  EventStoreModule,
  eventStoreConfigFor,
} from '@arbiter/event-store';
import {
  AppConfig,
  CLOCK,
  Clock,
  PlatformModule,
  SQL_CONNECTION,
  SqlConnection,
} from '@arbiter/platform';
import {
  projectionMonitorOptionsFrom,
  ReadModelsModule,
  personalDataFrom,
} from '@arbiter/read-models';
import { HealthController } from '@arbiter/platform/health.controller';
import { DeadlinesGatewayModule } from './deadlines/next-deadline.resolver';
import { DisputesGatewayModule } from './disputes/disputes-gateway.module';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { InputValidationPipe } from './errors/input-validation';
import { EvidenceModule } from './evidence/evidence.module';
import { GatewayGraphQLModule } from './graphql/graphql.module';
import { ActorThrottlerGuard } from './graphql/throttler.guard';
import { AnalyticsGatewayModule } from './analytics/analytics-gateway.module';
import { MetricsModule, MetricsService } from './metrics/metrics';
import { ReadModule } from './read/read.module';
import { TestClocksGatewayModule } from './test-clocks/test-clocks.resolver';
import { PersonalDataGatewayModule } from './personal-data/forget-person.resolver';

// /health lives in the platform lib, which knows nothing of authentication; probes call it anonymously.
Public()(HealthController);
SkipThrottle()(HealthController);

export function authOptionsFrom(config: AppConfig): AuthOptions {
  if (!config.JWT_JWKS_URL && !config.JWT_SECRET) {
    new Logger('Auth').warn(
      'JWT_SECRET is not set: using the public development secret (never in production)',
    );
  }
  return {
    jwksUrl: config.JWT_JWKS_URL,
    secret: config.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeSeconds: config.JWT_MAX_TOKEN_LIFETIME_SECONDS,
    clockToleranceSeconds: config.JWT_CLOCK_SKEW_SECONDS,
  };
}

/** The public edge: GraphQL over HTTP and WebSocket, evidence uploads, health and metrics. */
@Module({})
export class GatewayModule {
  /** `clock`: the one clock of the process (commands, deadlines); tests pass a FakeClock. */
  static forRoot(
    config: AppConfig,
    options: { writeSchemaFile?: boolean; clock?: Clock } = {},
  ): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot(config, { clock: options.clock }),
        AuthModule.forRootAsync({ useFactory: () => authOptionsFrom(config) }),
        ThrottlerModule.forRoot({
          throttlers: [{ name: 'default', ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }],
        }),
        MetricsModule.forRoot({ enabled: config.METRICS_ENABLED, token: config.METRICS_TOKEN }),
        GatewayGraphQLModule.forRoot(config, options),
        EvidenceModule.forRoot(
          {
            directory: config.EVIDENCE_DIR,
            maxBytes: config.EVIDENCE_MAX_BYTES,
            uploadTimeoutMs: config.EVIDENCE_UPLOAD_TIMEOUT_MS,
            quotas: {
              filesPerDispute: config.EVIDENCE_QUOTA_FILES_PER_DISPUTE,
              bytesPerDispute: config.EVIDENCE_QUOTA_BYTES_PER_DISPUTE,
              filesPerUser: config.EVIDENCE_QUOTA_FILES_PER_USER,
              bytesPerUser: config.EVIDENCE_QUOTA_BYTES_PER_USER,
              userWindowMs: config.EVIDENCE_QUOTA_USER_WINDOW_HOURS * 3_600_000,
            },
          },
          {
            secret: config.EVIDENCE_URL_SECRET,
            ttlSeconds: config.EVIDENCE_URL_TTL_SECONDS,
            baseUrl: config.EVIDENCE_URL_BASE,
          },
        ),
        EventStoreModule.forRootAsync({
          inject: [SQL_CONNECTION],
          useFactory: (connection: SqlConnection) => ({
            ...eventStoreConfigFor(config.EVENT_STORE, connection, {
              url: config.KURRENTDB_URL,
              streamPrefix: config.KURRENTDB_STREAM_PREFIX,
            }),
            // Personal fields encrypted per person, keys in the shared SQL database.
            personalData: personalDataFrom(config, connection),
          }),
          schemas: ARBITER_EVENT_SCHEMAS,
        }),
        DisputesGatewayModule.forRoot(config.DISPUTE_POLICY, stateCacheLimitsOf(config)),
        ReadModelsModule.forRootAsync({
          inject: [SQL_CONNECTION, EVENT_STORE],
          useFactory: (connection: SqlConnection, eventStore: EventStore) => ({
            connection,
            eventStore,
            runProjections: config.WORKERS === 'inline',
            monitor: projectionMonitorOptionsFrom(config),
          }),
        }),
        // Signed digests of the whole log: the queries and the key set here, the periodic
        // publisher where background work runs (WORKERS=inline).
        AuditModule.forRootAsync({
          inject: [MetricsService],
          useFactory: (metrics: MetricsService) => ({
            ...auditSettingsFrom(config),
            runPublisher: config.WORKERS === 'inline',
            metricsRegistry: metrics.registry,
          }),
        }),
        ReadModule.forRoot(config.DISPUTE_POLICY, {
          capacity: config.LIVE_LIST_BUFFER,
          stallMs: config.LIVE_LIST_STALL_MS,
        }),
        AnalyticsGatewayModule,
        // The process manager is a projection (runs with them); the scheduler runs here with
        // WORKERS=inline and fires through the command side, under its policy. Its due/overdue
        // gauges are read from the shared table on every scrape.
        DeadlinesModule.forRootAsync({
          inject: [CLOCK, DISPUTE_POLICY, DisputeDeadlines, MetricsService],
          useFactory: (
            clock: Clock,
            policy: DisputePolicy,
            deadlines: DisputeDeadlines,
            metrics: MetricsService,
          ) => ({
            clock,
            policy,
            firer: disputeDeadlinesFirer(deadlines),
            runScheduler: config.WORKERS === 'inline',
            metricsRegistry: metrics.registry,
          }),
        }),
        DeadlinesGatewayModule,
        // Staging's test clocks (config TEST_CLOCKS, never in production): the command side dates
        // orders placed under one by it, and the scheduler here wakes when one is advanced.
        TestClocksModule.forRoot({ enabled: config.TEST_CLOCKS }),
        TestClocksGatewayModule,
        // The platform's erasure of a person's personal data (forgetPerson).
        PersonalDataGatewayModule,
        // With NATS_URL, the JetStream forwarder: a projection, so it runs (and connects) only
        // where projections run, WORKERS=inline here; otherwise it is only registered, so /health
        // and /metrics show its lag from the checkpoint the worker commits.
        AnalyticsModule.forRootAsync({
          inject: [MetricsService],
          useFactory: (metrics: MetricsService) => ({
            ...analyticsSettingsFrom(config),
            runForwarder: config.WORKERS === 'inline',
            metricsRegistry: metrics.registry,
          }),
        }),
      ],
      providers: [
        // Order matters: the rate limiter tracks the actor that authentication established.
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useClass: ActorThrottlerGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useClass: InputValidationPipe },
      ],
    };
  }
}
