import type { DisputePolicy } from '@arbiter/disputes/read-side';
import {
  CLOCK,
  type Clock,
  SQL_CONNECTION,
  type SqlConnection,
  TEST_CLOCKS,
} from '@arbiter/platform';
import { ProjectionRegistry, READ_DB, type ReadDb } from '@arbiter/read-models';
import { EVENT_STORE, type EventStore, storedEventsOf } from '@arbiter/event-store';
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
import type { Registry } from 'prom-client';
import type { DeadlineFirer } from './firing';
import { registerDeadlineMetrics } from './metrics';
import { deadlinesProcessManager } from './process-manager';
import { deadlinesOf, nextDeadlineOf, type ScheduledDeadline } from './queries';
import { ShutdownState, shutdownStep } from '@arbiter/platform/shutdown';
import { DeadlineScheduler, type DeadlineSchedulerOptions } from './scheduler';
import { listenForAdvances } from './test-clock-wakeups';
import { TestClocks } from './test-clocks';

export interface DeadlinesModuleOptions {
  /** The process's clock (the platform's `CLOCK`): due deadlines are those due by it. */
  clock: Clock;
  /** The policy the command side decides by (its `DISPUTE_POLICY`): it arms the same deadlines. */
  policy: DisputePolicy;
  /** Run the scheduler in this process: the worker always, the gateway with WORKERS=inline. */
  runScheduler: boolean;
  scheduler?: Pick<
    DeadlineSchedulerOptions,
    'pollIntervalMs' | 'leaseMs' | 'batchSize' | 'retry' | 'owner'
  >;
  /** How the system command is sent: `disputeDeadlinesFirer(DisputeDeadlines)` in the apps. */
  firer: DeadlineFirer;
  /** Where the due / overdue gauges go (the gateway's `/metrics` registry); none: no metrics. */
  metricsRegistry?: Registry;
  /** A due deadline counts as overdue after this long; default 60 s. */
  overdueAfterMs?: number;
}

export interface DeadlinesModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => DeadlinesModuleOptions | Promise<DeadlinesModuleOptions>;
}

const DEADLINES_OPTIONS = Symbol('DEADLINES_OPTIONS');

/** What views and resolvers ask about deadlines. */
@Injectable()
export class DeadlinesQueries {
  constructor(@Inject(READ_DB) private readonly db: ReadDb) {}

  /** Every armed deadline of the dispute, earliest first (fired ones until their event is projected). */
  forDispute(disputeId: string): Promise<ScheduledDeadline[]> {
    return deadlinesOf(this.db, disputeId);
  }

  /** Per dispute, the earliest deadline still to fire. */
  nextFor(disputeIds: readonly string[]): Promise<Map<string, ScheduledDeadline>> {
    return nextDeadlineOf(this.db, disputeIds);
  }
}

@Injectable()
class DeadlinesLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(DEADLINES_OPTIONS) private readonly options: DeadlinesModuleOptions,
    @Inject(ProjectionRegistry) private readonly registry: ProjectionRegistry,
    @Inject(DeadlineScheduler) private readonly scheduler: DeadlineScheduler,
    @Inject(SQL_CONNECTION) private readonly connection: SqlConnection,
    @Optional() @Inject(TestClocks) private readonly testClocks?: TestClocks,
    @Optional() @Inject(ShutdownState) private readonly shutdown?: ShutdownState,
  ) {}

  private stopWaking: (() => Promise<void>) | undefined;

  // Registered everywhere (status, rebuild and read-your-writes see it); ReadModelsModule runs it
  // where projections run.
  onModuleInit(): void {
    this.registry.register(deadlinesProcessManager(this.options.policy));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.runScheduler) return;
    this.scheduler.start();
    // A test clock advanced makes its deadlines due now: look at once, not at the next poll;
    // advanced here (in-process), or in another process (the database's notice).
    if (this.testClocks?.enabled) {
      const stopLocal = this.testClocks.onAdvance(() => this.scheduler.wake());
      const stopListening = await listenForAdvances(this.connection, () =>
        this.scheduler.wake(),
      ).catch((error: unknown) => {
        new Logger('Deadlines').warn(
          `Not listening for test clock advances (the scheduler's poll finds them): ${error instanceof Error ? error.message : String(error)}`,
        );
        return async () => undefined;
      });
      this.stopWaking = async () => {
        stopLocal();
        await stopListening();
      };
    }
  }

  // Before the event store and the connection close.
  async onModuleDestroy(): Promise<void> {
    await this.stopWaking?.();
    // The deadlines claimed are fired before it stops; the rest stay due for the next process.
    await shutdownStep(this.shutdown, 'deadline scheduler', () => this.scheduler.stop());
  }
}

/**
 * Deadlines (docs/domain.md#deadlines-and-automatic-actions): the process manager (a projection
 * keeping `read_models.deadlines` equal to what the domain has armed), the scheduler that fires
 * them as system commands, their gauges, and `DeadlinesQueries`. Needs `ReadModelsModule` (READ_DB,
 * ProjectionRegistry).
 */
/** The event at `position` as stored (no decryption: only its metadata is wanted). */
const eventAt = (store: EventStore) => async (position: bigint) => {
  const [event] = await store.readAll({ after: position - 1n, maxCount: 1 });
  return event?.position === position ? event : undefined;
};

@Module({})
export class DeadlinesModule {
  static forRootAsync(options: DeadlinesModuleAsyncOptions): DynamicModule {
    return {
      module: DeadlinesModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: DEADLINES_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        {
          provide: DeadlineScheduler,
          inject: [DEADLINES_OPTIONS, READ_DB, { token: EVENT_STORE, optional: true }],
          useFactory: (config: DeadlinesModuleOptions, db: ReadDb, store?: EventStore) => {
            const metrics = config.metricsRegistry
              ? registerDeadlineMetrics(config.metricsRegistry, {
                  db,
                  clock: config.clock,
                  overdueAfterMs: config.overdueAfterMs ?? 60_000,
                })
              : undefined;
            return new DeadlineScheduler({
              ...config.scheduler,
              db,
              clock: config.clock,
              firer: config.firer,
              eventAt: store && eventAt(storedEventsOf(store)),
              logger: new Logger('Deadlines'),
              onFired: metrics?.onFired,
            });
          },
        },
        DeadlinesQueries,
        DeadlinesLifecycle,
      ],
      exports: [DeadlineScheduler, DeadlinesQueries],
    };
  }
}

/**
 * Staging's test clocks (`TestClocks`), and the platform's `TEST_CLOCKS` port the command side
 * dates test-clock streams by; global, so `DisputeStreams` finds it. `enabled`: the config's
 * `TEST_CLOCKS` (never in production); disabled, every operation is refused with
 * TEST_CLOCKS_DISABLED. Needs `ReadModelsModule` (READ_DB) and the platform's `CLOCK`.
 */
@Module({})
export class TestClocksModule {
  static forRoot(options: { enabled: boolean }): DynamicModule {
    return {
      module: TestClocksModule,
      global: true,
      providers: [
        {
          provide: TestClocks,
          inject: [READ_DB, CLOCK],
          useFactory: (db: ReadDb, clock: Clock) =>
            new TestClocks({ db, clock, enabled: options.enabled }),
        },
        { provide: TEST_CLOCKS, useExisting: TestClocks },
      ],
      exports: [TestClocks, TEST_CLOCKS],
    };
  }
}
