import { INestApplication } from '@nestjs/common';
import { AppConfig, Clock, createApp } from '@arbiter/platform';
import { WorkerModule } from './worker.module';

/** Creates the worker (not yet listening); tests may pass a FakeClock, main.ts the system clock. */
export function createWorker(
  config: AppConfig,
  options: { clock?: Clock } = {},
): Promise<INestApplication> {
  return createApp(WorkerModule.forRoot(config, options));
}
