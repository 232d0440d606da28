import 'reflect-metadata';
import { deadlinesProcessManager } from '@arbiter/deadlines';
import { validateConfig } from '@arbiter/platform';
import { disputeProjections, ProjectionRegistry, runProjectionsCli } from '@arbiter/read-models';
import { openConfiguredStores, runCli } from './stores';

// `npm run projections -- status | rebuild <name|all>`: an app entry point, so it reads the
// environment (EVENT_STORE, DATABASE_URL, KURRENTDB_URL, PGLITE_DATA_DIR) like main.ts does.
runCli(async () => {
  const config = validateConfig(process.env);
  const stores = await openConfiguredStores(config);
  if (!stores) return 2;
  try {
    // The app's projections under the configured policy: the same list the gateway and worker
    // register, the deadlines process manager included (a rebuild re-derives every armed deadline).
    const policy = config.DISPUTE_POLICY;
    const registry = new ProjectionRegistry([
      ...disputeProjections(policy),
      deadlinesProcessManager(policy),
    ]);
    return await runProjectionsCli(process.argv.slice(2), {
      registry,
      connection: stores.connection,
      eventStore: stores.eventStore,
    });
  } finally {
    await stores.close();
  }
});
