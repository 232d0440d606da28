import type { SqlConnection } from '@arbiter/platform';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Module,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HealthIndicators } from '@arbiter/platform/health.controller';
import { ShutdownState, shutdownStep } from '@arbiter/platform/shutdown';
import {
  createKurrentDbEventStore,
  KurrentDbEventStore,
  KurrentDbEventStoreOptions,
} from './kurrentdb/kurrentdb-event-store';
import { MemoryEventStore } from './memory/memory-event-store';
import { EventStore } from './port';
import { createSqlEventStore, SqlEventStore } from './sql/sql-event-store';
import type { EventSchemas } from './upcasting/event-schemas';
import {
  PersonalDataEventStore,
  type PersonalDataOptions,
} from './personal-data/personal-data-event-store';
import { storedEventsOf, UpcastingEventStore } from './upcasting/upcasting-event-store';

/** Injection token of the process's `EventStore`. */
export const EVENT_STORE = Symbol('EVENT_STORE');

export type EventStoreConfig = (
  | { kind: 'memory' }
  /** The connection is shared with the read models and owned (and closed) by its module. */
  | { kind: 'sql'; connection: SqlConnection; schema?: string }
  /** A `kurrentdb://` connection string; the store owns (and disposes of) its client. */
  | { kind: 'kurrentdb'; url: string; options?: KurrentDbEventStoreOptions }
) & {
  /**
   * Per-person keys of personal fields: reads open them (or show them erased), appends through
   * the command handler encrypt them. Without it, events are read as stored.
   */
  personalData?: PersonalDataOptions;
};

/**
 * The store of each running mode (`EVENT_STORE`): events in the shared SQL database, in process
 * memory, or in KurrentDB (whose read models still use the SQL connection).
 */
export function eventStoreConfigFor(
  mode: 'pglite' | 'postgres' | 'kurrentdb' | 'memory',
  connection: SqlConnection,
  kurrentDb: { url?: string; streamPrefix?: string } = {},
): EventStoreConfig {
  switch (mode) {
    case 'memory':
      return { kind: 'memory' };
    case 'kurrentdb':
      if (!kurrentDb.url)
        throw new Error('EVENT_STORE=kurrentdb needs a KurrentDB connection string');
      return {
        kind: 'kurrentdb',
        url: kurrentDb.url,
        options: { streamPrefix: kurrentDb.streamPrefix && `${kurrentDb.streamPrefix}.` },
      };
    default:
      return { kind: 'sql', connection };
  }
}

export interface EventStoreModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => EventStoreConfig | Promise<EventStoreConfig>;
  /**
   * The event types' schemas: every read hands out current shapes. Required, so no process can
   * forget them and read an old event with a newer reading of its fields.
   */
  schemas: EventSchemas;
}

/**
 * Builds a store from its configuration (the SQL store migrates its schema first), read through
 * `schemas` when given: the application always gives them; tools that only move bytes need not.
 */
export async function createEventStore(
  config: EventStoreConfig,
  schemas?: EventSchemas,
): Promise<EventStore> {
  const stored = await createStoredEventStore(config);
  const store = config.personalData
    ? new PersonalDataEventStore(stored, config.personalData)
    : stored;
  return schemas ? new UpcastingEventStore(store, schemas) : store;
}

/**
 * The database system behind a store, as tracing's `db.system.name` names it: PGlite speaks
 * PostgreSQL's SQL, so both are `postgresql`.
 */
export function dbSystemOf(store: EventStore): string {
  const stored = storedEventsOf(store);
  if (stored instanceof SqlEventStore) return 'postgresql';
  if (stored instanceof KurrentDbEventStore) return 'kurrentdb';
  return 'memory';
}

async function createStoredEventStore(config: EventStoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'memory':
      return new MemoryEventStore();
    case 'sql':
      return createSqlEventStore(config.connection, { schema: config.schema });
    case 'kurrentdb':
      return createKurrentDbEventStore(config.url, config.options);
    default: {
      const unknown: never = config;
      throw new Error(`Unknown event store kind ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * With events outside the shared SQL database (KurrentDB), `/health` also says whether the store
 * answers: its head position, or down with the reason, within a bounded wait.
 */
@Injectable()
class EventStoreHealthRegistration implements OnModuleInit {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(HealthIndicators) private readonly indicators?: HealthIndicators,
  ) {}

  onModuleInit(): void {
    const store = storedEventsOf(this.store);
    if (!(store instanceof KurrentDbEventStore)) return;
    this.indicators?.add(async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const head = await Promise.race([
          store.headPosition(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer within 2 s')), 2_000);
          }),
        ]);
        return { eventStore: { status: 'up', kind: 'kurrentdb', head: head.toString() } };
      } catch (error) {
        return {
          eventStore: {
            status: 'down',
            kind: 'kurrentdb',
            message: error instanceof Error ? error.message : String(error),
          },
        };
      } finally {
        clearTimeout(timer);
      }
    });
  }
}

@Injectable()
class EventStoreCloser implements BeforeApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() @Inject(ShutdownState) private readonly shutdown?: ShutdownState,
  ) {}

  // Before, not on, application shutdown: subscriptions and the LISTEN client must be released
  // while the shared connection (closed in onApplicationShutdown) is still open.
  async beforeApplicationShutdown(): Promise<void> {
    await shutdownStep(this.shutdown, 'event store', () => this.store.close());
  }
}

@Module({})
export class EventStoreModule {
  static forRootAsync(options: EventStoreModuleAsyncOptions): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: EVENT_STORE,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) =>
            createEventStore(await options.useFactory(...args), options.schemas),
        },
        EventStoreCloser,
        EventStoreHealthRegistration,
      ],
      exports: [EVENT_STORE],
    };
  }
}
