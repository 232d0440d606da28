import { timingSafeEqual } from 'node:crypto';
import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Headers,
  Inject,
  Injectable,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
  UnauthorizedException,
} from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLSchema, Kind, type OperationDefinitionNode } from 'graphql';
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
    help: 'GraphQL operations by type, root field and outcome (ok or the first error code)',
    labelNames: ['type', 'name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: 'arbiter_graphql_operation_duration_seconds',
    help: 'GraphQL operation execution time by type and root field',
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
          async willSendResponse({ operation, errors, schema }) {
            const type = operation?.operation ?? 'unknown';
            const name = operationLabel(schema, operation);
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

/**
 * The `name` label of an operation: the schema's root field it asks for first (`dispute`,
 * `openDispute`…), never the client-chosen operation name, so the series stay as few as the
 * schema's fields whatever clients send; `other` for anything else (no operation, unknown field).
 */
export function operationLabel(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode | undefined,
): string {
  if (!operation) return 'other';
  const first = operation.selectionSet.selections.find(
    (selection) => selection.kind === Kind.FIELD,
  );
  const field = first?.kind === Kind.FIELD ? first.name.value : undefined;
  if (field === undefined || field.startsWith('__')) return field ? 'introspection' : 'other';
  return schema.getRootType(operation.operation)?.getFields()[field] ? field : 'other';
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

const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');

interface MetricsOptions {
  enabled: boolean;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
}

@Controller('metrics')
@Public()
@SkipThrottle()
class MetricsController {
  private readonly expected: Buffer | undefined;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(METRICS_OPTIONS) options: MetricsOptions,
  ) {
    this.expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (this.expected) {
      const given = Buffer.from(authorization ?? '');
      if (given.length !== this.expected.length || !timingSafeEqual(given, this.expected))
        throw new UnauthorizedException({
          code: 'UNAUTHENTICATED',
          message: 'Metrics need the METRICS_TOKEN bearer token',
        });
    }
    return this.metrics.registry.metrics();
  }
}

/**
 * Prometheus metrics at `/metrics`, absent when `enabled` is false. Without a `token` it is open
 * to anyone who reaches the port (keep it inside the network); with one, scrapers send it.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: options.enabled ? [MetricsController] : [],
      providers: [MetricsService, { provide: METRICS_OPTIONS, useValue: options }],
      exports: [MetricsService],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
