import {
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { openSqlConnection, SqlConnection, SqlConnectionOptions } from './database';
import { ShutdownState, shutdownStep } from './shutdown';

export const SQL_CONNECTION = Symbol('SQL_CONNECTION');

export interface DatabaseModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => SqlConnectionOptions | Promise<SqlConnectionOptions>;
}

@Injectable()
class SqlConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SQL_CONNECTION) private readonly connection: SqlConnection,
    @Optional() @Inject(ShutdownState) private readonly shutdown?: ShutdownState,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const name = this.connection.kind === 'postgres' ? 'PostgreSQL pool' : 'PGlite';
    await shutdownStep(this.shutdown, name, () => this.connection.close());
  }
}

/** Opens the one SQL connection (PostgreSQL pool or PGlite) the process shares, and closes it last. */
@Module({})
export class DatabaseModule {
  static forRootAsync(options: DatabaseModuleAsyncOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: SQL_CONNECTION,
          inject: options.inject ?? [],
          useFactory: async (...args: unknown[]) =>
            openSqlConnection(await options.useFactory(...args)),
        },
        SqlConnectionCloser,
      ],
      exports: [SQL_CONNECTION],
    };
  }
}
