import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig, ConfigError, validateConfig } from './config';
import { logFormatForStdout } from './log-format';
import { handleShutdownSignals } from './shutdown';

/**
 * Starts an app from the environment: bad configuration exits with one line naming the setting,
 * not a stack trace.
 */
export async function runFromEnvironment(
  create: (config: AppConfig) => Promise<INestApplication>,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  let config: AppConfig;
  try {
    config = validateConfig(env);
    // LOG_FORMAT=pretty without pino-pretty installed is refused here, in one line, too.
    logFormatForStdout(config.LOG_FORMAT);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await create(config);
  await app.listen(config.PORT, config.HOST);
  handleShutdownSignals(app, {
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    delayMs: config.SHUTDOWN_DELAY_MS,
  });
  app
    .get(Logger)
    .log(`Arbiter listening on ${await app.getUrl()} (EVENT_STORE=${config.EVENT_STORE})`);
}

export async function createApp(
  module: Type | import('@nestjs/common').DynamicModule,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Signals are handled by runFromEnvironment (handleShutdownSignals), not by Nest's hooks.
  return app;
}
