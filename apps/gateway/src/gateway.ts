import { INestApplication } from '@nestjs/common';
import { AppConfig, createApp } from '@arbiter/platform';
import { GatewayModule } from './app.module';

/** Creates the gateway (not yet listening); used by main.ts and the end-to-end suites. */
export function createGateway(config: AppConfig): Promise<INestApplication> {
  return createApp(GatewayModule.forRoot(config));
}
