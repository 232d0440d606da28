import type { EventStore } from '@arbiter/event-store';
import type { AppConfig, SqlConnection } from '@arbiter/platform';
import {
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HealthIndicators } from '@arbiter/platform/health.controller';
import { ShutdownState, shutdownStep } from '@arbiter/platform/shutdown';
import { readDbFor } from './database';
import { checkpointsBeyondLog } from './lag';
import { committedMigrations, migrateReadModels, migrationsHealth } from './migrate';
import type { ReadDb } from './database';
import { ProjectionMonitor, ProjectionMonitorOptions } from './monitor';
import { ProjectionRegistry } from './projection';
import { ProjectionRunner, ProjectionRunnerOptions } from './runner';

/** Injection token of the read DB (`ReadDb`), migrated before anyone receives it. */
export const READ_DB = Symbol('READ_DB');
const READ_MODELS_OPTIONS = Symbol('READ_MODELS_OPTIONS');

export interface ReadModelsModuleOptions {
  /** The read DB: the process's shared connection (also when events live in another store). */
  connection: SqlConnection;
  eventStore: EventStore;
  /** Run the projections in this process (the worker, or the gateway with inline workers). */
  runProjections: boolean;
  /** Apply the read-model migrations at start-up; default true. */
  migrate?: boolean;
  runner?: ProjectionRunnerOptions;
  /** Readiness thresholds of the `projections` health check (runner absent, lag). */
  monitor?: ProjectionMonitorOptions;
}

export interface ReadModelsModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => ReadModelsModuleOptions | Promise<ReadModelsModuleOptions>;
}

/** The readiness thresholds of the `projections` health check, from the settings. */
export function projectionMonitorOptionsFrom(config: AppConfig): ProjectionMonitorOptions {
  return {
    unownedAfterMs: config.PROJECTION_UNOWNED_AFTER_MS,
    maxLagEvents: config.PROJECTION_MAX_LAG_EVENTS,
    maxLagMs: config.PROJECTION_MAX_LAG_MS,
  };
}

/** Refuses to run projections over an event log that ends before their checkpoints. */
export class CheckpointsBeyondLogError extends Error {
  readonly code = 'CHECKPOINTS_BEYOND_EVENT_LOG';
  constructor(message: string) {
    super(`Read models are ahead of the event store: ${message}`);
    this.name = 'CheckpointsBeyondLogError';
  }
}

@Injectable()
class ProjectionWorkers implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(READ_MODELS_OPTIONS) private readonly options: ReadModelsModuleOptions,
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Optional() @Inject(ShutdownState) private readonly shutdown?: ShutdownState,
  ) {}

  // Bootstrap comes after every module's onModuleInit, where feature modules register projections.
  // Projections never start over a log that ends before their checkpoints: they would skip every
  // new event (see checkpointsBeyondLog); the process refuses to start instead.
  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.runProjections) return;
    const beyond = await checkpointsBeyondLog(
      this.options.eventStore,
      readDbFor(this.options.connection),
    );
    if (beyond) throw new CheckpointsBeyondLogError(beyond);
    this.runner.start();
  }

  // Before the event store (beforeApplicationShutdown) and the connection (onApplicationShutdown) close.
  // Each batch commits its writes with its checkpoint: a runner stops between two batches.
  async onModuleDestroy(): Promise<void> {
    await shutdownStep(this.shutdown, 'projection runners', () => this.runner.stop());
  }
}

/**
 * Adds the read-model migrations and the projections to `/health` when the app has the
 * platform's health endpoint.
 */
@Injectable()
class ProjectionsHealthRegistration implements OnModuleInit {
  constructor(
    @Inject(ProjectionMonitor) private readonly monitor: ProjectionMonitor,
    @Inject(READ_DB) private readonly db: ReadDb,
    @Optional() @Inject(HealthIndicators) private readonly indicators?: HealthIndicators,
  ) {}

  onModuleInit(): void {
    if (!this.indicators) return;
    const committed = committedMigrations();
    this.indicators.add(() => migrationsHealth(this.db, committed), 'migrations');
    this.indicators.add(() => this.monitor.health('projections'), 'projections');
  }
}

/**
 * The read side: the Drizzle read DB (`READ_DB`), the `ProjectionRegistry` feature modules add
 * their projections to (in `onModuleInit`), and the `ProjectionRunner` (status, waitForPosition,
 * rebuild), started on application bootstrap when `runProjections` is set, and the
 * `ProjectionMonitor` behind the `projections` health check (and the gateway's gauges).
 */
@Module({})
export class ReadModelsModule {
  static forRootAsync(options: ReadModelsModuleAsyncOptions): DynamicModule {
    return {
      module: ReadModelsModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: READ_MODELS_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        {
          provide: READ_DB,
          inject: [READ_MODELS_OPTIONS],
          useFactory: async (config: ReadModelsModuleOptions) => {
            if (config.migrate !== false) await migrateReadModels(config.connection);
            return readDbFor(config.connection);
          },
        },
        { provide: ProjectionRegistry, useFactory: () => new ProjectionRegistry() },
        {
          provide: ProjectionRunner,
          inject: [READ_MODELS_OPTIONS, ProjectionRegistry, READ_DB],
          useFactory: (
            config: ReadModelsModuleOptions,
            registry: ProjectionRegistry,
            db: ReturnType<typeof readDbFor>,
          ) =>
            new ProjectionRunner(config.eventStore, config.connection, registry, {
              logger: new Logger('Projections'),
              ...config.runner,
              db,
            }),
        },
        {
          provide: ProjectionMonitor,
          inject: [READ_MODELS_OPTIONS, READ_DB, ProjectionRegistry, ProjectionRunner],
          useFactory: (
            config: ReadModelsModuleOptions,
            db: ReturnType<typeof readDbFor>,
            registry: ProjectionRegistry,
            runner: ProjectionRunner,
          ) => new ProjectionMonitor(config.eventStore, db, registry, runner, config.monitor),
        },
        ProjectionWorkers,
        ProjectionsHealthRegistration,
      ],
      exports: [READ_DB, ProjectionRegistry, ProjectionRunner, ProjectionMonitor],
    };
  }
}
