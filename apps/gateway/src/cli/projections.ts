import 'reflect-metadata';
import { deadlinesProcessManager } from '@arbiter/deadlines';
import { createEventStore, eventStoreConfigFor } from '@arbiter/event-store';
import { openSqlConnection, sqlConnectionOptionsFrom, validateConfig } from '@arbiter/platform';
import { disputeProjections, ProjectionRegistry, runProjectionsCli } from '@arbiter/read-models';

// `npm run projections -- status | rebuild <name|all>`: an app entry point, so it reads the
// environment (EVENT_STORE, DATABASE_URL, KURRENTDB_URL, PGLITE_DATA_DIR) like main.ts does.
async function main(): Promise<number> {
  const config = validateConfig(process.env);
  if (config.EVENT_STORE === 'memory') {
    console.error(
      'EVENT_STORE=memory keeps nothing between processes: there is nothing to inspect or rebuild',
    );
    return 2;
  }
  const connection = await openSqlConnection(sqlConnectionOptionsFrom(config));
  const eventStore = await createEventStore(
    eventStoreConfigFor(config.EVENT_STORE, connection, {
      url: config.KURRENTDB_URL,
      streamPrefix: config.KURRENTDB_STREAM_PREFIX,
    }),
  );
  try {
    // The app's projections under the configured policy: the same list the gateway and worker
    // register, the deadlines process manager included (a rebuild re-derives every armed deadline).
    const policy = config.DISPUTE_POLICY;
    const registry = new ProjectionRegistry([
      ...disputeProjections(policy),
      deadlinesProcessManager(policy),
    ]);
    return await runProjectionsCli(process.argv.slice(2), { registry, connection, eventStore });
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
