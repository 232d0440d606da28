import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SqlConnection } from './database';
import { SQL_CONNECTION } from './database.module';

/** The database check answers within this, whatever state the database or the pool is in. */
export const DATABASE_HEALTH_TIMEOUT_MS = 1_000;

@Injectable()
export class SqlHealthIndicator {
  constructor(
    @Inject(SQL_CONNECTION) private readonly connection: SqlConnection,
    private readonly health: HealthIndicatorService,
  ) {}

  /**
   * `select 1` raced against a timer: during a partition the query (or the wait for a pooled
   * connection, all of them stuck on unanswered statements) would otherwise hold the probe for as
   * long as the pool's timeouts, and a liveness probe would give up before learning why.
   */
  async check(key = 'database', timeoutMs = DATABASE_HEALTH_TIMEOUT_MS) {
    const indicator = this.health.check(key);
    const { kind } = this.connection;
    const name = kind === 'postgres' ? 'PostgreSQL' : 'PGlite';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    const probe =
      kind === 'postgres'
        ? this.connection.pool.query('select 1')
        : this.connection.db.query('select 1');
    // Settles later on its own (the pool's timeouts); nobody waits for it.
    probe.catch(() => undefined);
    try {
      await Promise.race([probe, timedOut]);
      return indicator.up({ kind });
    } catch (error) {
      return indicator.down({ kind, message: `${name}: ${(error as Error).message}` });
    } finally {
      clearTimeout(timer);
    }
  }
}
