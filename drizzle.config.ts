import { defineConfig } from 'drizzle-kit';

// Generates the read-model migrations from the Drizzle schema: `npx drizzle-kit generate --name <why>`.
// Only the read_models schema belongs to Drizzle; the event store manages its own tables.
export default defineConfig({
  dialect: 'postgresql',
  schema: './libs/read-models/src/schema/index.ts',
  out: './libs/read-models/migrations',
  schemaFilter: ['read_models'],
  migrations: { schema: 'drizzle', table: '__read_models_migrations' },
});
