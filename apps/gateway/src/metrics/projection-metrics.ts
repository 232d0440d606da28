import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ProjectionMonitor } from '@arbiter/read-models';
import { MetricsService } from './metrics';

/**
 * Projection gauges, read on every scrape from the shared checkpoint table (ProjectionMonitor),
 * so a gateway without inline workers reports the worker's projections too. A failed projection
 * shows as `arbiter_projection_failed 1` with the position it stopped at; a projection no process
 * runs as `arbiter_projection_runner_present 0`, with `arbiter_projection_unowned_seconds` growing.
 */
@Injectable()
export class ProjectionMetrics implements OnModuleInit {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(ProjectionMonitor) private readonly monitor: ProjectionMonitor,
  ) {}

  onModuleInit(): void {
    const { monitor } = this;
    const registers = [this.metrics.registry];
    const labelNames = ['projection'] as const;
    const gauge = (
      name: string,
      help: string,
      value: (p: Awaited<ReturnType<ProjectionMonitor['snapshot']>>[number]) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          for (const projection of await monitor.snapshot().catch(() => [])) {
            const v = value(projection);
            if (v !== null) this.set({ projection: projection.name }, v);
          }
        },
      });
    gauge('arbiter_projection_checkpoint', 'Last committed position of each projection', (p) =>
      Number(p.checkpoint),
    );
    // Absent until the event store has answered a first lag reading (not 0: that would be a claim).
    gauge(
      'arbiter_projection_lag_events',
      'Matching events not yet applied (capped at the larger of 10000 and PROJECTION_MAX_LAG_EVENTS)',
      (p) => (p.lagAgeSeconds === null ? null : p.lagEvents),
    );
    gauge(
      'arbiter_projection_lag_seconds',
      'Age of the oldest event not yet applied; 0 when caught up',
      (p) => (p.lagAgeSeconds === null ? null : p.lagSeconds),
    );
    gauge(
      'arbiter_projection_runner_present',
      '1 when some process (a worker or a WORKERS=inline gateway) holds the projection and runs it',
      (p) => (p.runnerPresent ? 1 : 0),
    );
    gauge(
      'arbiter_projection_unowned_seconds',
      'Seconds this process has seen the projection without a runner anywhere; 0 while one runs it',
      (p) => p.unownedSeconds,
    );
    gauge(
      'arbiter_projection_failed',
      '1 when the projection stopped at an event it cannot apply',
      (p) => (p.failed ? 1 : 0),
    );
    gauge(
      'arbiter_projection_failed_position',
      'The position a failed projection stopped at',
      (p) => (p.failed && p.failedPosition !== null ? Number(p.failedPosition) : null),
    );
  }
}
