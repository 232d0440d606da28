import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Injectable,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
} from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { Public } from '@arbiter/auth';

/**
 * One registry per app instance (tests start several gateways in one process; prom-client's
 * global registry would refuse the second set of metrics). Later features add their gauges here.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'arbiter_http_request_duration_seconds',
    help: 'HTTP requests by route family, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly graphqlOperations = new Counter({
    name: 'arbiter_graphql_operations_total',
    help: 'GraphQL operations by type, name and outcome (ok or the first error code)',
    labelNames: ['type', 'name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'arbiter_graphql_operation_duration_seconds',
    help: 'GraphQL operation execution time by type and name',
    labelNames: ['type', 'name'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  graphqlPlugin(): ApolloServerPlugin {
    const { graphqlOperations, graphqlDuration } = this;
    return {
      async requestDidStart() {
        const stop = process.hrtime.bigint();
        return {
          async willSendResponse({ operation, operationName, errors }) {
            const type = operation?.operation ?? 'unknown';
            // Only named operations of the schema's documents get their own series; the rest share one.
            const name =
              operationName && /^\w{1,64}$/.test(operationName) ? operationName : 'anonymous';
            const code = errors?.[0]?.extensions?.code;
            graphqlOperations.inc({
              type,
              name,
              outcome: errors?.length ? String(code ?? 'ERROR') : 'ok',
            });
            graphqlDuration.observe({ type, name }, Number(process.hrtime.bigint() - stop) / 1e9);
          },
        };
      },
    };
  }
}

const ROUTE_FAMILIES = ['/graphql', '/evidence', '/health', '/metrics'];

@Injectable()
class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(
    req: { method: string; originalUrl?: string; url: string },
    res: NodeJS.EventEmitter & { statusCode: number },
    next: () => void,
  ): void {
    const started = process.hrtime.bigint();
    const path = req.originalUrl ?? req.url;
    // Route families, not raw paths: label values must stay few whatever clients request.
    const route =
      ROUTE_FAMILIES.find(
        (family) =>
          path === family || path.startsWith(`${family}/`) || path.startsWith(`${family}?`),
      ) ?? 'other';
    res.once('finish', () => {
      this.metrics.httpDuration.observe(
        { route, method: req.method, status: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}

@Controller('metrics')
@Public()
@SkipThrottle()
class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** Prometheus metrics; `/metrics` is unauthenticated (scrapers) and absent when `enabled` is false. */
@Module({})
export class MetricsModule {
  static forRoot(options: { enabled: boolean }): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: options.enabled ? [MetricsController] : [],
      providers: [MetricsService],
      exports: [MetricsService],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
