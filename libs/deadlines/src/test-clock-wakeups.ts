import type { SqlConnection } from '@arbiter/platform';

/** The channel an advance is announced on (`pg_notify`), so schedulers in other processes look. */
export const TEST_CLOCK_CHANNEL = 'arbiter_test_clocks';

/**
 * Listens for advances announced by other processes (`NOTIFY arbiter_test_clocks`) and calls
 * `onNotice`. A dedicated PostgreSQL client (LISTEN is per session); PGlite's own listener. A
 * broken listener is not restarted: the scheduler's poll (`pollIntervalMs`) still finds the due
 * rows, only later, and the next `listenForAdvances` starts afresh.
 */
export async function listenForAdvances(
  connection: SqlConnection,
  onNotice: () => void,
): Promise<() => Promise<void>> {
  if (connection.kind === 'pglite') {
    const unlisten = await connection.db.listen(TEST_CLOCK_CHANNEL, onNotice);
    return unlisten;
  }
  const client = await connection.pool.connect();
  let failed: Error | undefined;
  const onError = (error: Error) => {
    failed = error;
  };
  client.on('notification', onNotice);
  client.on('error', onError);
  try {
    await client.query(`LISTEN "${TEST_CLOCK_CHANNEL}"`);
  } catch (error) {
    client.off('notification', onNotice);
    client.off('error', onError);
    client.release(error as Error);
    throw error;
  }
  return async () => {
    client.off('notification', onNotice);
    try {
      if (!failed) await client.query(`UNLISTEN "${TEST_CLOCK_CHANNEL}"`);
    } catch (error) {
      failed = error as Error;
    }
    client.off('error', onError);
    client.release(failed);
  };
}
