import { DynamicModule, Module } from '@nestjs/common';
import { DeadlinesModule } from '@arbiter/deadlines';
import { EVENT_STORE, EventStore, EventStoreModule } from '@arbiter/event-store';
import { AppConfig, CLOCK, Clock, PlatformModule, SQL_CONNECTION, SqlConnection } from '@arbiter/platform';
import { DisputeProjectionsModule, ReadModelsModule } from '@arbiter/read-models';

/** Projections, deadlines and stream forwarders without the public API, for scale-out; serves only /health. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(config),
        EventStoreModule.forRootAsync({
          inject: [SQL_CONNECTION],
          useFactory: (connection: SqlConnection) =>
            config.EVENT_STORE === 'memory' ? { kind: 'memory' } : { kind: 'sql', connection },
        }),
        ReadModelsModule.forRootAsync({
          inject: [SQL_CONNECTION, EVENT_STORE],
          useFactory: (connection: SqlConnection, eventStore: EventStore) => ({ connection, eventStore, runProjections: true }),
        }),
        DisputeProjectionsModule,
        // The worker always runs the scheduler: claims are leased, so several workers (and an
        // inline gateway) may run it together.
        DeadlinesModule.forRootAsync({
          inject: [EVENT_STORE, CLOCK],
          useFactory: (eventStore: EventStore, clock: Clock) => ({ eventStore, clock, runScheduler: true }),
        }),
      ],
    };
  }
}
