import { DynamicModule, Logger, Module } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import type { AppConfig } from '@arbiter/platform';
import { EventFeed } from './event-feed';
import { DEVELOPMENT_PSEUDONYM_KEY, Pseudonyms } from './pseudonyms';

export interface AnalyticsSettings {
  /** ANALYTICS_PSEUDONYM_KEY; without it (never in production) a public development key. */
  pseudonymKey?: string;
  /** ANALYTICS_SUBSCRIPTION_BUFFER. */
  subscriptionBuffer: number;
  /** ANALYTICS_SUBSCRIPTION_STALL_MS: how long a full buffer waits for its consumer. */
  subscriptionStallMs?: number;
}

/** Injection token of the AnalyticsSettings. */
export const ANALYTICS_SETTINGS = Symbol('ANALYTICS_SETTINGS');

export function analyticsSettingsFrom(config: AppConfig): AnalyticsSettings {
  return {
    pseudonymKey: config.ANALYTICS_PSEUDONYM_KEY,
    subscriptionBuffer: config.ANALYTICS_SUBSCRIPTION_BUFFER,
    subscriptionStallMs: config.ANALYTICS_SUBSCRIPTION_STALL_MS,
  };
}

/**
 * The analytics feeds of one process: `Pseudonyms` and the `EventFeed` (pages and live
 * subscriptions over the event store). Needs EventStoreModule in the app.
 */
@Module({})
export class AnalyticsModule {
  static forRoot(settings: AnalyticsSettings): DynamicModule {
    return {
      module: AnalyticsModule,
      global: true,
      providers: [
        { provide: ANALYTICS_SETTINGS, useValue: settings },
        {
          provide: Pseudonyms,
          useFactory: () => {
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
      ],
      exports: [ANALYTICS_SETTINGS, Pseudonyms, EventFeed],
    };
  }
}
