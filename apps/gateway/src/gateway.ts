import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, Clock, createApp } from '@arbiter/platform';
import { GatewayModule } from './app.module';

/**
 * Creates the gateway (not yet listening); used by main.ts (system clock) and the end-to-end
 * suites, which may pass a FakeClock: it dates commands and fires deadlines alike.
 */
export async function createGateway(
  config: AppConfig,
  options: { writeSchemaFile?: boolean; clock?: Clock } = {},
): Promise<INestApplication> {
  const app = await createApp(GatewayModule.forRoot(config, options));
  // Replaces the default 100kb JSON parser (applied once: Nest skips its own when one is present).
  (app as NestExpressApplication).useBodyParser('json', { limit: config.REQUEST_BODY_LIMIT });
  return app;
}
