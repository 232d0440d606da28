import { Counter, Gauge, type Registry } from 'prom-client';
import type { NatsForwarderMetrics } from './nats-forwarder';
import type { NatsLink } from './nats-link';

/**
 * The forwarder's counters (this process's publishes) and its connection gauge, in the gateway's
 * `/metrics` registry. How far behind it is comes from the projection gauges
 * (`arbiter_projection_lag_events{projection="analytics-nats"}`, `_lag_seconds`, `_failed`).
 */
export function registerNatsForwarderMetrics(
  registry: Registry,
  link: NatsLink,
): NatsForwarderMetrics {
  const published = new Counter({
    name: 'arbiter_event_forwarder_published_total',
    help: 'Dispute events this process published to NATS JetStream and the stream stored (repeats the server dropped as duplicates not counted)',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'arbiter_event_forwarder_failures_total',
    help: 'Attempts of this process to reach NATS (connect, stream set-up) or to publish a batch that failed; each is retried',
    labelNames: ['stage'] as const,
    registers: [registry],
  });
  // Both series from the start, at 0: a rate() over them needs no special case.
  failures.inc({ stage: 'connect' }, 0);
  failures.inc({ stage: 'publish' }, 0);
  new Gauge({
    name: 'arbiter_event_forwarder_connected',
    help: '1 while this process is connected to NATS for the event forwarder, else 0',
    registers: [registry],
    collect() {
      this.set(link.status().state === 'connected' ? 1 : 0);
    },
  });
  return {
    published: (count) => published.inc(count),
    failed: (stage) => failures.inc({ stage }),
  };
}
