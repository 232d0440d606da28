import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SqlConnection } from './database';
import { SQL_CONNECTION } from './database.module';

@Injectable()
export class SqlHealthIndicator {
  constructor(
    @Inject(SQL_CONNECTION) private readonly connection: SqlConnection,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'database') {
    const indicator = this.health.check(key);
    try {
      if (this.connection.kind === 'postgres') await this.connection.pool.query('select 1');
      else await this.connection.db.query('select 1');
      return indicator.up({ kind: this.connection.kind });
    } catch (error) {
      return indicator.down({ kind: this.connection.kind, message: (error as Error).message });
    }
  }
}
