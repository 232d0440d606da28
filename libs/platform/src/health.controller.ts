import { Controller, Get, Injectable, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorResult } from '@nestjs/terminus';
import { SqlHealthIndicator } from './sql-health';

export type HealthIndicatorCheck = () => Promise<HealthIndicatorResult>;

/**
 * Checks other modules add to `/health` while the app initialises (e.g. the projections, from
 * the read-models lib); the database is always checked.
 */
@Injectable()
export class HealthIndicators {
  private readonly checks: HealthIndicatorCheck[] = [];

  add(check: HealthIndicatorCheck): void {
    this.checks.push(check);
  }

  all(): HealthIndicatorCheck[] {
    return [...this.checks];
  }
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sql: SqlHealthIndicator,
    private readonly indicators: HealthIndicators,
  ) {}

  /**
   * 200 with every indicator, or 503 with the same body naming what is down. Answered here rather
   * than thrown: an app's exception filter may (rightly) hide the body of any 5xx it catches, and
   * a probe or an operator needs to see which check failed and why.
   */
  @Get()
  @HealthCheck()
  async check(@Res() res: { status(code: number): { json(body: unknown): void } }): Promise<void> {
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
