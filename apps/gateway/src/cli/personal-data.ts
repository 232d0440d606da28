import 'reflect-metadata';
import { AuditLog, auditSettingsFrom, loadAuditKeyring } from '@arbiter/audit';
import { personalDataOf } from '@arbiter/event-store';
import { systemClock, validateConfig } from '@arbiter/platform';
import { migrateReadModels } from '@arbiter/read-models';
import {
  encryptLegacyPersonalData,
  LegacyEncryptionRefused,
  planLegacyEncryption,
} from '../personal-data/legacy-encryption';
import { openConfiguredStores, runCli } from './stores';

const USAGE = `Usage:
  npm run personal-data -- encrypt-legacy            how many stored events still hold personal text in plaintext
  npm run personal-data -- encrypt-legacy --apply    encrypt them in place (writers stopped; SQL stores only),
                                                     closing the audit digest epoch and opening the next`;

// An app entry point: reads the environment (EVENT_STORE, DATABASE_URL, PGLITE_DATA_DIR,
// PERSONAL_DATA_KEY, AUDIT_SIGNING_KEY, ...) like main.ts does.
runCli(async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'encrypt-legacy') {
    console.error(USAGE);
    return 2;
  }
  const config = validateConfig(process.env);
  const stores = await openConfiguredStores(config);
  if (!stores) return 2;
  try {
    await migrateReadModels(stores.connection);
    if (!rest.includes('--apply')) {
      const plan = await planLegacyEncryption(stores.eventStore);
      console.log(
        `${plan.events} stored event(s) in ${plan.streams.length} stream(s), written by ${plan.people} person(s), hold personal text in plaintext.` +
          (plan.events > 0 ? ' Stop the gateway and workers, then run with --apply.' : ''),
      );
      return 0;
    }
    if (config.EVENT_STORE !== 'postgres' && config.EVENT_STORE !== 'pglite') {
      console.error(
        `LEGACY_ENCRYPTION_NOT_SQL: events in ${config.EVENT_STORE} cannot be rewritten in place; only the PostgreSQL and PGlite stores can.`,
      );
      return 2;
    }
    const keys = personalDataOf(stores.eventStore)?.keys;
    if (!keys) {
      console.error('No personal data keys are configured (PERSONAL_DATA_KEY).');
      return 2;
    }
    const audit = new AuditLog({
      connection: stores.connection,
      eventStore: stores.eventStore,
      keyring: loadAuditKeyring({
        ...auditSettingsFrom(config).keys,
        warn: (message) => console.error(message),
      }),
      clock: systemClock,
    });
    const result = await encryptLegacyPersonalData({
      connection: stores.connection,
      store: stores.eventStore,
      keys,
      audit,
    });
    if (!('closing' in result)) {
      console.log('Nothing to encrypt: every stored personal field is already encrypted.');
      return 0;
    }
    console.log(
      `Encrypted ${result.events} event(s) of ${result.people} person(s) in ${result.streams.length} stream(s); ${result.rewritten} stored event(s) rewritten (their streams' hash chains recomputed).`,
    );
    console.log(`Closing digest of epoch ${result.closing.epoch} (keep it with the others):`);
    console.log(JSON.stringify(result.closing, null, 2));
    console.log(`Opening digest of epoch ${result.opening.epoch}:`);
    console.log(JSON.stringify(result.opening, null, 2));
    return 0;
  } catch (error) {
    if (error instanceof LegacyEncryptionRefused) {
      console.error(`${error.code}: ${error.message}`);
      return 2;
    }
    throw error;
  } finally {
    await stores.close();
  }
});
