import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, Clock, createApp } from '@arbiter/platform';
import { TokenVerifier } from '@arbiter/auth';
import { GatewayModule } from './app.module';
import { EVIDENCE_LINKS, EvidenceLinks } from './evidence/evidence-links';
import { EdgeRateLimits } from './graphql/edge-rate-limit';
import { graphqlTracingMiddleware } from './graphql/tracing';

/**
 * Creates the gateway (not yet listening); used by main.ts (system clock) and the end-to-end
 * suites, which may pass a FakeClock: it dates commands and fires deadlines alike.
 */
export async function createGateway(
  config: AppConfig,
  options: { writeSchemaFile?: boolean; clock?: Clock } = {},
): Promise<INestApplication> {
  const app = await createApp(GatewayModule.forRoot(config, options));
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.TRUST_PROXY);
  // First, so that what follows (limits, parsing, resolvers) runs inside the request's span.
  express.use('/graphql', graphqlTracingMiddleware());
  // Per-IP limits on anonymous and refused requests, before the body is read or parsed.
  const links = app.get<EvidenceLinks>(EVIDENCE_LINKS);
  const limits = app
    .get(EdgeRateLimits)
    .middlewares(
      app.get(TokenVerifier),
      express.getHttpAdapter().getInstance().get('trust proxy fn'),
      (request) => links.verifyUrl(request.originalUrl) === 'valid',
    );
  for (const path of ['/graphql', '/evidence']) express.use(path, ...limits);
  // Replaces the default 100kb JSON parser (applied once: Nest skips its own when one is present).
  express.useBodyParser('json', { limit: config.REQUEST_BODY_LIMIT });
  return app;
}
