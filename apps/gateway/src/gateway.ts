import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, createApp } from '@arbiter/platform';
import { GatewayModule } from './app.module';

/** Creates the gateway (not yet listening); used by main.ts and the end-to-end suites. */
export async function createGateway(
  config: AppConfig,
  options: { writeSchemaFile?: boolean } = {},
): Promise<INestApplication> {
  const app = await createApp(GatewayModule.forRoot(config, options));
  // Replaces the default 100kb JSON parser (applied once: Nest skips its own when one is present).
  (app as NestExpressApplication).useBodyParser('json', { limit: config.REQUEST_BODY_LIMIT });
  return app;
}
