// `npm run schema`: rewrites apps/gateway/schema.gql from the code-first types (the drift test
// in test/e2e/schema.e2e.spec.ts fails until this is run and the file committed).
import 'reflect-metadata';
import { validateConfig } from '@arbiter/platform';
import { createGateway } from '../gateway';
import { SCHEMA_FILE } from './graphql.module';

async function main(): Promise<void> {
  const config = validateConfig({
    NODE_ENV: 'test',
    EVENT_STORE: 'memory',
    LOG_LEVEL: 'warn',
    METRICS_ENABLED: 'false',
  });
  const app = await createGateway(config, { writeSchemaFile: true });
  await app.init();
  await app.close();
  console.warn(`Wrote ${SCHEMA_FILE}`);
}

void main();
