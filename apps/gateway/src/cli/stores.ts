import { ARBITER_EVENT_SCHEMAS } from '@arbiter/disputes/application/event-schemas';
import { createEventStore, type EventStore, eventStoreConfigFor } from '@arbiter/event-store';
import {
  type AppConfig,
  openSqlConnection,
  type SqlConnection,
  sqlConnectionOptionsFrom,
} from '@arbiter/platform';
import { personalDataFrom } from '@arbiter/read-models';

/**
 * The operations CLIs' way into the data: the event store and the SQL connection exactly as the
 * configured app opens them. Null (with the reason printed) for EVENT_STORE=memory, which keeps
 * nothing between processes.
 */
export async function openConfiguredStores(
  config: AppConfig,
): Promise<{ connection: SqlConnection; eventStore: EventStore; close(): Promise<void> } | null> {
  if (config.EVENT_STORE === 'memory') {
    console.error('EVENT_STORE=memory keeps nothing between processes: there is nothing to read');
    return null;
  }
  const connection = await openSqlConnection(sqlConnectionOptionsFrom(config));
  const eventStore = await createEventStore(
    {
      ...eventStoreConfigFor(config.EVENT_STORE, connection, {
        url: config.KURRENTDB_URL,
        streamPrefix: config.KURRENTDB_STREAM_PREFIX,
      }),
      // Personal fields read as the app reads them: plaintext, or erased once forgotten.
      // Warnings on standard error: standard output carries what the tool prints (JSON, events).
      personalData: personalDataFrom(config, connection, (message) => console.error(message)),
    },
    ARBITER_EVENT_SCHEMAS,
  );
  return {
    connection,
    eventStore,
    close: async () => {
      await eventStore.close();
      await connection.close();
    },
  };
}

/** Runs a CLI's main and sets the exit code; an unexpected error prints its message only. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
