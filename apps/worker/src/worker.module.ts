import { AnalyticsModule, analyticsSettingsFrom } from '@arbiter/analytics';
import { AuditModule, auditSettingsFrom } from '@arbiter/audit';
import { DynamicModule, Module } from '@nestjs/common';
import { DeadlinesModule, disputeDeadlinesFirer, TestClocksModule } from '@arbiter/deadlines';
import type { DisputePolicy } from '@arbiter/disputes';
import {
  ARBITER_EVENT_SCHEMAS,
  DISPUTE_POLICY,
  DisputeDeadlines,
  stateCacheLimitsOf,
  DisputesModule,
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
  DisputeProjectionsModule,
  projectionMonitorOptionsFrom,
  ReadModelsModule,
  personalDataFrom,
} from '@arbiter/read-models';

/** Projections, deadlines and stream forwarders without the public API, for scale-out; serves only /health. */
@Module({})
export class WorkerModule {
  /** `clock`: the one clock of the process (commands, deadlines); tests pass a FakeClock. */
  static forRoot(config: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(config, { clock: options.clock }),
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
        ReadModelsModule.forRootAsync({
          inject: [SQL_CONNECTION, EVENT_STORE],
          useFactory: (connection: SqlConnection, eventStore: EventStore) => ({
            connection,
            eventStore,
            runProjections: true,
            monitor: projectionMonitorOptionsFrom(config),
          }),
        }),
        DisputeProjectionsModule.forRoot(config.DISPUTE_POLICY),
        // The worker always runs the scheduler: claims are leased, so several workers (and an
        // inline gateway) may run it together. It fires through the command side, as the
        // gateway does, under the same configured policy.
        DeadlinesModule.forRootAsync({
          imports: [
            DisputesModule.forRoot({
              policy: config.DISPUTE_POLICY,
              stateCache: stateCacheLimitsOf(config),
            }),
          ],
          inject: [CLOCK, DISPUTE_POLICY, DisputeDeadlines],
          useFactory: (clock: Clock, policy: DisputePolicy, deadlines: DisputeDeadlines) => ({
            clock,
            policy,
            firer: disputeDeadlinesFirer(deadlines),
            runScheduler: true,
          }),
        }),
        // Disputes under a staging test clock are dated, and their deadlines fire, by that clock.
        TestClocksModule.forRoot({ enabled: config.TEST_CLOCKS }),
        // The periodic audit digest publisher (one at a time across processes: a lock).
        AuditModule.forRootAsync({
          useFactory: () => ({ ...auditSettingsFrom(config), runPublisher: true }),
        }),
        // With NATS_URL, the JetStream forwarder runs here (one holder across processes).
        AnalyticsModule.forRoot({ ...analyticsSettingsFrom(config), runForwarder: true }),
      ],
    };
  }
}
