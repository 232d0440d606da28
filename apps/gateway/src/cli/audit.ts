import 'reflect-metadata';
import { AuditLog, auditSettingsFrom, loadAuditKeyring, runAuditCli } from '@arbiter/audit';
import { systemClock, validateConfig } from '@arbiter/platform';
import { migrateReadModels } from '@arbiter/read-models';
import { openConfiguredStores, runCli } from './stores';

// `npm run audit -- digest [--publish] | verify --digest <file> [--dispute <id>] | keys`: an app
// entry point, so it reads the environment (EVENT_STORE, DATABASE_URL, KURRENTDB_URL,
// PGLITE_DATA_DIR, AUDIT_SIGNING_KEY, AUDIT_TRUSTED_KEYS) like main.ts does.
runCli(async () => {
  const config = validateConfig(process.env);
  const stores = await openConfiguredStores(config);
  if (!stores) return 2;
  try {
    await migrateReadModels(stores.connection);
    const keyring = loadAuditKeyring({
      ...auditSettingsFrom(config).keys,
      warn: (message) => console.error(message),
    });
    const log = new AuditLog({
      connection: stores.connection,
      eventStore: stores.eventStore,
      keyring,
      clock: systemClock,
    });
    return await runAuditCli(process.argv.slice(2), { log });
  } finally {
    await stores.close();
  }
});
