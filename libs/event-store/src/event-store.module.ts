import type { SqlConnection } from '@arbiter/platform';
import {
  BeforeApplicationShutdown,
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
import { MemoryEventStore } from './memory/memory-event-store';
import { EventStore } from './port';
import { createSqlEventStore } from './sql/sql-event-store';

/** Injection token of the process's `EventStore`. */
export const EVENT_STORE = Symbol('EVENT_STORE');

export type EventStoreConfig =
  | { kind: 'memory' }
  /** The connection is shared with the read models and owned (and closed) by its module. */
  | { kind: 'sql'; connection: SqlConnection; schema?: string };

export interface EventStoreModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => EventStoreConfig | Promise<EventStoreConfig>;
}

/** Builds a store from its configuration; the SQL store migrates its schema first. */
export async function createEventStore(config: EventStoreConfig): Promise<EventStore> {
  switch (config.kind) {
    case 'memory':
      return new MemoryEventStore();
    case 'sql':
      return createSqlEventStore(config.connection, { schema: config.schema });
    default: {
      const unknown: never = config;
      throw new Error(`Unknown event store kind ${JSON.stringify(unknown)}`);
    }
  }
}

@Injectable()
class EventStoreCloser implements BeforeApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  // Before, not on, application shutdown: subscriptions and the LISTEN client must be released
  // while the shared connection (closed in onApplicationShutdown) is still open.
  async beforeApplicationShutdown(): Promise<void> {
    await this.store.close();
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
            createEventStore(await options.useFactory(...args)),
        },
        EventStoreCloser,
      ],
      exports: [EVENT_STORE],
    };
  }
}
