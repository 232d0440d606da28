import 'reflect-metadata';
import { DEVELOPMENT_PSEUDONYM_KEY, Pseudonyms, runEventsCli } from '@arbiter/analytics';
import { validateConfig } from '@arbiter/platform';
import { openConfiguredStores, runCli } from './stores';

// `npm run events -- tail [--after <cursor>] [--type <EventType>] [--full] [--follow]`: an app
// entry point, so it reads the environment (EVENT_STORE, DATABASE_URL, KURRENTDB_URL,
// PGLITE_DATA_DIR, ANALYTICS_PSEUDONYM_KEY) like main.ts does.
runCli(async () => {
  const config = validateConfig(process.env);
  const stores = await openConfiguredStores(config);
  if (!stores) return 2;
  if (!config.ANALYTICS_PSEUDONYM_KEY)
    console.error('ANALYTICS_PSEUDONYM_KEY is not set: pseudonyms use the public development key');
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  try {
    return await runEventsCli(process.argv.slice(2), {
      eventStore: stores.eventStore,
      pseudonyms: new Pseudonyms(config.ANALYTICS_PSEUDONYM_KEY ?? DEVELOPMENT_PSEUDONYM_KEY),
      signal: abort.signal,
    });
  } finally {
    await stores.close();
  }
});
