import { Controller, Get, Injectable, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { ShutdownState } from './shutdown';
import { DATABASE_HEALTH_TIMEOUT_MS, SqlHealthIndicator } from './sql-health';

export type HealthIndicatorCheck = () => Promise<HealthIndicatorResult>;

/**
 * Checks other modules add to `/health` while the app initialises (e.g. the projections, from
 * the read-models lib); the database is always checked.
 */
@Injectable()
export class HealthIndicators {
  private readonly checks: HealthIndicatorCheck[] = [];

  /**
   * With `key` (the key the check reports under), a check that has not answered within
   * `timeoutMs` reports its previous result marked `stale` (or `down` before it ever answered):
   * one slow dependency (a database in a partition) must not hold up the whole probe.
   */
  add(check: HealthIndicatorCheck, key?: string, timeoutMs = DATABASE_HEALTH_TIMEOUT_MS): void {
    this.checks.push(key === undefined ? check : withDeadline(check, key, timeoutMs));
  }

  all(): HealthIndicatorCheck[] {
    return [...this.checks];
  }
}

/**
 * The check raced against a timer. A late check answers with its previous result, marked
 * `stale` (a busy database makes a lag reading slow without anything being down); with none yet,
 * `down`. The late reading still completes and is kept for the next probe.
 */
function withDeadline(
  check: HealthIndicatorCheck,
  key: string,
  timeoutMs: number,
): HealthIndicatorCheck {
  let last: HealthIndicatorResult | undefined;
  return async () => {
    const reading = check().then((result) => (last = result));
    reading.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<HealthIndicatorResult>((resolve) => {
      timer = setTimeout(() => {
        const message = `did not answer within ${timeoutMs} ms`;
        resolve(
          last && key in last
            ? { [key]: { ...last[key], stale: message } }
            : { [key]: { status: 'down', message } },
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([reading, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}

type Reply = { status(code: number): { json(body: unknown): void } };

/**
 * `/health/live`: the process is up and serving (no database call: a liveness probe must never
 * restart a healthy process because a database, a worker or the network is down).
 * `/health/ready` and `/health`: every check — the database, the read-model migrations, the
 * projections (owned, within lag, not failed) and whatever other modules add — and 503 without
 * asking any of them once the process is shutting down, so load balancers stop sending to it.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sql: SqlHealthIndicator,
    private readonly indicators: HealthIndicators,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The full report; the same checks and answer as `/health/ready`. */
  @Get()
  @HealthCheck()
  check(@Res() res: Reply): Promise<void> {
    return this.report(res);
  }

  /** Readiness: 200 when every check passes, else 503 naming what is down and why. */
  @Get('ready')
  @HealthCheck()
  ready(@Res() res: Reply): Promise<void> {
    return this.report(res);
  }

  /** Liveness: 200 while the process serves requests; never touches a database. */
  @Get('live')
  live(@Res() res: Reply): void {
    res.status(200).json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  }

  /**
   * 200 with every indicator, or 503 with the same body naming what is down. Answered here rather
   * than thrown: an app's exception filter may (rightly) hide the body of any 5xx it catches, and
   * a probe or an operator needs to see which check failed and why.
   */
  private async report(res: Reply): Promise<void> {
    if (this.shutdown.shuttingDown) {
      const shutdown = {
        status: 'down',
        message: `shutting down (${this.shutdown.reason}): finishing the requests in flight`,
      };
      res
        .status(503)
        .json({ status: 'error', info: {}, error: { shutdown }, details: { shutdown } });
      return;
    }
    try {
      res
        .status(200)
        .json(await this.health.check([() => this.sql.check(), ...this.indicators.all()]));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503).json(error.getResponse());
    }
  }
}
