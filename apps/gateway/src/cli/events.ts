import 'reflect-metadata';
import { DEVELOPMENT_PSEUDONYM_KEY, Pseudonyms, runEventsCli } from '@arbiter/analytics';
import { createEventStore, eventStoreConfigFor } from '@arbiter/event-store';
import { openSqlConnection, sqlConnectionOptionsFrom, validateConfig } from '@arbiter/platform';

// `npm run events -- tail [--after <cursor>] [--type <EventType>] [--full] [--follow]`: an app
// entry point, so it reads the environment (EVENT_STORE, DATABASE_URL, KURRENTDB_URL,
// PGLITE_DATA_DIR, ANALYTICS_PSEUDONYM_KEY) like main.ts does.
async function main(): Promise<number> {
  const config = validateConfig(process.env);
  if (config.EVENT_STORE === 'memory') {
    console.error('EVENT_STORE=memory keeps nothing between processes: there is nothing to read');
    return 2;
  }
  if (!config.ANALYTICS_PSEUDONYM_KEY)
    console.error('ANALYTICS_PSEUDONYM_KEY is not set: pseudonyms use the public development key');
  const connection = await openSqlConnection(sqlConnectionOptionsFrom(config));
  const eventStore = await createEventStore(
    eventStoreConfigFor(config.EVENT_STORE, connection, {
      url: config.KURRENTDB_URL,
      streamPrefix: config.KURRENTDB_STREAM_PREFIX,
    }),
  );
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  try {
    return await runEventsCli(process.argv.slice(2), {
      eventStore,
      pseudonyms: new Pseudonyms(config.ANALYTICS_PSEUDONYM_KEY ?? DEVELOPMENT_PSEUDONYM_KEY),
      signal: abort.signal,
    });
  } finally {
    await eventStore.close();
    await connection.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
