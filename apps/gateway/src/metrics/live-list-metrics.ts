import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { LiveListStats } from '../read/live-list-stats';
import { MetricsService } from './metrics';

/**
 * The live lists' subscriptions (`myDisputesUpdated`, `sellerDisputesUpdated`,
 * `mediationQueueUpdated`, `disputeChanged`), read from LiveListStats on every scrape. No labels:
 * subscribers are not worth a series each.
 */
@Injectable()
export class LiveListMetrics implements OnModuleInit {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(LiveListStats) private readonly lists: LiveListStats,
  ) {}

  onModuleInit(): void {
    const { lists } = this;
    const registers = [this.metrics.registry];
    new Gauge({
      name: 'arbiter_live_list_subscriptions',
      help: 'Live list subscriptions open (each reads the event log from its own position)',
      registers,
      collect() {
        this.set(lists.stats().subscriptions);
      },
    });
    new Gauge({
      name: 'arbiter_live_list_waiting_disputes',
      help: 'Changed disputes waiting to be sent, over all live lists (each at most LIVE_LIST_BUFFER)',
      registers,
      collect() {
        this.set(lists.stats().waitingDisputes);
      },
    });
    // The stats count since the process started; the counter catches up with them on each scrape.
    let counted = 0;
    new Counter({
      name: 'arbiter_live_list_overflows_total',
      help: 'Live list subscriptions ended with SUBSCRIBER_TOO_SLOW because their buffer filled',
      registers,
      collect() {
        const overflows = lists.stats().overflows;
        if (overflows > counted) this.inc(overflows - counted);
        counted = overflows;
      },
    });
  }
}
