import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { NatsForwarder } from './nats-forwarder';

/**
 * `/health`'s `natsForwarder` entry in a process that runs the forwarder: the connection's state,
 * the server, the stream, and the last error. Always `up`: a broker outage stops only the
 * analytics feed (the forwarder retries, and resumes where it stopped), never the API or the other
 * projections, so it must not make a probe fail. Whether the feed is behind, and by how much, is
 * the `projections` entry's `analytics-nats` (lag, and `error` while it retries).
 */
export function natsForwarderHealth(
  forwarder: NatsForwarder,
  key = 'natsForwarder',
): HealthIndicatorResult {
  const link = forwarder.link.status();
  const stats = forwarder.stats();
  return {
    [key]: {
      status: 'up',
      connection: link.state,
      server: link.server,
      stream: link.stream,
      streamReady: link.streamReady,
      published: stats.published,
      failures: stats.failures,
      ...(link.lastError
        ? { lastError: link.lastError.message, lastErrorAt: link.lastError.at.toISOString() }
        : {}),
    },
  };
}
