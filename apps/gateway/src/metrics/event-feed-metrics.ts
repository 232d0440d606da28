import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { EventFeed } from '@arbiter/analytics';
import { MetricsService } from './metrics';

/**
 * The analytics event feed's live subscriptions (GraphQL `disputeEvents`), read from
 * `EventFeed.stats()` on every scrape. No labels: subscribers are not worth a series each.
 */
@Injectable()
export class EventFeedMetrics implements OnModuleInit {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(EventFeed) private readonly feed: EventFeed,
  ) {}

  onModuleInit(): void {
    const { feed } = this;
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'arbiter_event_feed_subscriptions',
      help: 'Live event feed subscriptions',
      registers,
      collect() {
        this.set(feed.stats().subscriptions);
      },
    });
    new Gauge({
      name: 'arbiter_event_feed_buffered_events',
      help: 'Events waiting in the buffers of all event feed subscriptions (each at most ANALYTICS_SUBSCRIPTION_BUFFER)',
      registers,
      collect() {
        this.set(feed.stats().bufferedEvents);
      },
    });
    // The feed counts since the process started; the counter catches up with it on each scrape.
    let counted = 0;
    new Counter({
      name: 'arbiter_event_feed_overflows_total',
      help: 'Event feed subscriptions ended with SUBSCRIBER_TOO_SLOW because their buffer filled',
      registers,
      collect() {
        const overflows = feed.stats().overflows;
        if (overflows > counted) this.inc(overflows - counted);
        counted = overflows;
      },
    });
  }
}
