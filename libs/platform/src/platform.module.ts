import { randomUUID } from 'node:crypto';
import { DynamicModule, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options } from 'pino-http';
import { CLOCK, Clock, systemClock } from './clock';
import { AppConfig, sqlConnectionOptionsFrom } from './config';
import { DatabaseModule } from './database.module';
import { HealthController, HealthIndicators } from './health.controller';
import { logDestination, logFormatForStdout } from './log-format';
import { ShutdownState } from './shutdown';
import { SqlHealthIndicator } from './sql-health';
import { shutdownTracing } from './tracing-sdk';

export const CORRELATION_HEADER = 'x-correlation-id';

/** Exports the spans still buffered when the process stops (nothing when tracing is off). */
@Injectable()
class TracingFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }
}

/**
 * What every Arbiter process needs: its validated configuration, structured logs, the shared SQL
 * database and `/health`. The gateway and the worker both start from it.
 */
@Module({})
export class PlatformModule {
  /** `clock` lets end-to-end tests run the whole app on a fake clock. */
  static forRoot(config: AppConfig, options: { clock?: Clock } = {}): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: [
        // Validated before the app is created (apps/*/main.ts); the ConfigService serves the typed values.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: () => config }),
        LoggerModule.forRoot({
          pinoHttp: withDestination(logDestination(logFormatForStdout(config.LOG_FORMAT)), {
            level: config.LOG_LEVEL,
            // One id follows a request from the HTTP edge into the metadata of the events it causes.
            genReqId: (req, res) => {
              const given = req.headers[CORRELATION_HEADER];
              const id =
                typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
              res.setHeader(CORRELATION_HEADER, id);
              return id;
            },
            customProps: (req) => ({ correlationId: req.id }),
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            autoLogging: { ignore: (req) => /^\/health(\/(live|ready))?$/.test(req.url ?? '') },
          }),
        }),
        DatabaseModule.forRootAsync({ useFactory: () => sqlConnectionOptionsFrom(config) }),
        TerminusModule,
      ],
      controllers: [HealthController],
      providers: [
        SqlHealthIndicator,
        HealthIndicators,
        ShutdownState,
        TracingFlush,
        { provide: CLOCK, useValue: options.clock ?? systemClock },
      ],
      exports: [SqlHealthIndicator, HealthIndicators, ShutdownState, CLOCK],
    };
  }
}

/** pino's own JSON to stdout unless LOG_FORMAT chose another destination (log-format.ts). */
function withDestination(
  destination: DestinationStream | undefined,
  options: Options,
): Options | [Options, DestinationStream] {
  return destination ? [options, destination] : options;
}
