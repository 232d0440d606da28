import {
  BeforeApplicationShutdown,
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import type { AppConfig } from '@arbiter/platform';
import { HealthIndicators } from '@arbiter/platform/health.controller';
import { ProjectionRegistry } from '@arbiter/read-models';
import type { Registry } from 'prom-client';
import { EventFeed } from './event-feed';
import { natsForwarderHealth } from './nats/nats-health';
import { NatsForwarder } from './nats/nats-forwarder';
import { NatsLink } from './nats/nats-link';
import { registerNatsForwarderMetrics } from './nats/nats-metrics';
import { type NatsForwarderSettings, natsForwarderSettingsFrom } from './nats/nats-settings';
import { DEVELOPMENT_PSEUDONYM_KEY, Pseudonyms } from './pseudonyms';

export interface AnalyticsSettings {
  /** ANALYTICS_PSEUDONYM_KEY; without it (never in production) a public development key. */
  pseudonymKey?: string;
  /** ANALYTICS_SUBSCRIPTION_BUFFER. */
  subscriptionBuffer: number;
  /** ANALYTICS_SUBSCRIPTION_STALL_MS: how long a full buffer waits for its consumer. */
  subscriptionStallMs?: number;
  /** NATS_URL and the NATS_STREAM* settings; absent (no NATS_URL): no forwarder at all. */
  nats?: NatsForwarderSettings;
  /**
   * Run the NATS forwarder in this process: where projections run (the worker; the gateway with
   * WORKERS=inline). Elsewhere it is only registered, so `/health` and `/metrics` show its lag
   * from the shared checkpoint table, and it never connects.
   */
  runForwarder?: boolean;
  /** Where the forwarder's counters go (the gateway's `/metrics` registry); none: no metrics. */
  metricsRegistry?: Registry;
}

export interface AnalyticsModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => AnalyticsSettings | Promise<AnalyticsSettings>;
}

/** Injection token of the AnalyticsSettings. */
export const ANALYTICS_SETTINGS = Symbol('ANALYTICS_SETTINGS');

export function analyticsSettingsFrom(config: AppConfig): AnalyticsSettings {
  return {
    pseudonymKey: config.ANALYTICS_PSEUDONYM_KEY,
    subscriptionBuffer: config.ANALYTICS_SUBSCRIPTION_BUFFER,
    subscriptionStallMs: config.ANALYTICS_SUBSCRIPTION_STALL_MS,
    nats: natsForwarderSettingsFrom(config),
  };
}

/**
 * Registers the forwarder as a projection (the runner gives it its checkpoint and its lease, and
 * starts it where projections run), adds its `/health` entry, connects at start-up and closes
 * the connection on shutdown — after the runner stopped (ReadModelsModule's onModuleDestroy).
 */
@Injectable()
class NatsForwarderLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  constructor(
    @Inject(ANALYTICS_SETTINGS) private readonly settings: AnalyticsSettings,
    @Optional() @Inject(NatsForwarder) private readonly forwarder: NatsForwarder | null,
    @Optional() @Inject(ProjectionRegistry) private readonly registry?: ProjectionRegistry,
    @Optional() @Inject(HealthIndicators) private readonly indicators?: HealthIndicators,
  ) {}

  onModuleInit(): void {
    const forwarder = this.forwarder;
    if (!forwarder) return;
    if (!this.registry) throw new Error('The NATS forwarder needs ReadModelsModule in the app');
    this.registry.register(forwarder);
    if (this.settings.runForwarder)
      this.indicators?.add(async () => natsForwarderHealth(forwarder));
  }

  // Connecting early shows a wrong NATS_URL on /health at once; the stream is set up then too.
  // Never blocks start-up: the first publish waits for (or retries) the connection.
  onApplicationBootstrap(): void {
    if (this.forwarder && this.settings.runForwarder) this.forwarder.link.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.forwarder?.link.close();
  }
}

/**
 * The analytics feeds of one process: `Pseudonyms`, the `EventFeed` (pages and live
 * subscriptions over the event store) and, with NATS settings, the JetStream forwarder
 * (`NatsForwarder`, a projection). Needs EventStoreModule, and ReadModelsModule for the forwarder.
 */
@Module({})
export class AnalyticsModule {
  static forRoot(settings: AnalyticsSettings): DynamicModule {
    return AnalyticsModule.forRootAsync({ useFactory: () => settings });
  }

  static forRootAsync(options: AnalyticsModuleAsyncOptions): DynamicModule {
    return {
      module: AnalyticsModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: ANALYTICS_SETTINGS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        {
          provide: Pseudonyms,
          inject: [ANALYTICS_SETTINGS],
          useFactory: (settings: AnalyticsSettings) => {
            if (!settings.pseudonymKey) {
              new Logger('Analytics').warn(
                'ANALYTICS_PSEUDONYM_KEY is not set: pseudonyms use the public development key (never in production)',
              );
            }
            return new Pseudonyms(settings.pseudonymKey ?? DEVELOPMENT_PSEUDONYM_KEY);
          },
        },
        {
          provide: EventFeed,
          inject: [EVENT_STORE, Pseudonyms],
          useFactory: (store: EventStore, pseudonyms: Pseudonyms) =>
            new EventFeed(store, pseudonyms),
        },
        {
          provide: NatsForwarder,
          inject: [ANALYTICS_SETTINGS, Pseudonyms],
          useFactory: (settings: AnalyticsSettings, pseudonyms: Pseudonyms) => {
            if (!settings.nats) return null;
            const link = new NatsLink(settings.nats, new Logger('NatsForwarder'));
            return new NatsForwarder({
              link,
              pseudonym: pseudonyms.of,
              // Only where it runs: elsewhere the counters would stay 0 and the gauge say "down".
              metrics:
                settings.metricsRegistry && settings.runForwarder
                  ? registerNatsForwarderMetrics(settings.metricsRegistry, link)
                  : undefined,
            });
          },
        },
        NatsForwarderLifecycle,
      ],
      exports: [ANALYTICS_SETTINGS, Pseudonyms, EventFeed, NatsForwarder],
    };
  }
}
