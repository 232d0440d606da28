import { deadlinesProcessManager } from '@arbiter/deadlines';
import type { EventStore } from '@arbiter/event-store';
import { type SqlConnection, validateConfig } from '@arbiter/platform';
import {
  disputeProjections,
  migrateReadModels,
  ProjectionRegistry,
  ProjectionRunner,
  READ_MODELS_SCHEMA,
} from '@arbiter/read-models';
import { Pool } from 'pg';
import { openConfiguredStores } from '../../../apps/gateway/src/cli/stores';
import type { Command } from './load';
import { FAULT_PERSONAL_DATA_KEY } from './processes';

/**
 * What the fault suite checks once the load is over, from outside the apps: the event log (each
 * command's effect exactly once) and the read models (equal to a rebuild from that log).
 */

export async function query<Row>(
  connection: SqlConnection,
  text: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const result =
    connection.kind === 'postgres'
      ? await connection.pool.query(text, params)
      : await connection.db.query(text, params);
  return result.rows as Row[];
}

/**
 * Opens the stores an app was configured with (its settings as environment variables), the way
 * the operations CLIs do.
 */
export async function openStores(settings: Record<string, string>) {
  const config = validateConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // The apps' master key: the person keys they created unwrap here too.
    PERSONAL_DATA_KEY: FAULT_PERSONAL_DATA_KEY,
    ...settings,
  });
  const stores = await openConfiguredStores(config);
  if (!stores) throw new Error('The fault suite needs a store that outlives a process');
  return { ...stores, config };
}

export interface Tally {
  /** Commands acknowledged at some point whose effect is not in the log. */
  lost: number;
  /** Effects in the log beyond the first, over all commands. */
  duplicated: number;
  /** Commands never acknowledged, even after the retries. */
  unresolved: number;
  /** Messages of this run in the log that no command sent (must be 0). */
  strangers: number;
}

/**
 * Counts each command's message in the event log (every message body is unique to its command),
 * read through the store: message bodies are stored encrypted, so SQL alone cannot see them.
 */
export async function tallyEffects(
  store: EventStore,
  run: string,
  commands: readonly Command[],
): Promise<Tally> {
  const prefix = `fault ${run} `;
  const bodies = new Map<string, number>();
  let after: bigint | undefined;
  for (;;) {
    const batch = await store.readAll({
      after,
      maxCount: 1000,
      filter: { eventTypes: ['MessagePosted'] },
    });
    if (batch.length === 0) break;
    for (const event of batch) {
      const body = (event.data as { body?: unknown }).body;
      if (typeof body === 'string' && body.startsWith(prefix))
        bodies.set(body, (bodies.get(body) ?? 0) + 1);
    }
    after = batch[batch.length - 1].position;
  }
  const rows = [...bodies].map(([body, n]) => ({ body, n }));
  const counts = new Map(rows.map((row) => [row.body, Number(row.n)]));
  const known = new Set(commands.map((command) => command.body));
  let lost = 0;
  let duplicated = 0;
  for (const command of commands) {
    const n = counts.get(command.body) ?? 0;
    if (command.acknowledged && n === 0) lost++;
    if (n > 1) duplicated += n - 1;
  }
  return {
    lost,
    duplicated,
    unresolved: commands.filter((command) => !command.acknowledged).length,
    strangers: rows.filter((row) => !known.has(row.body)).length,
  };
}

/**
 * Every read-model table's rows (bookkeeping columns set from the clock of the write left out),
 * in a stable order.
 */
export async function readModelRows(connection: SqlConnection): Promise<Record<string, unknown[]>> {
  const tables = await query<{ table_name: string }>(
    connection,
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = $1 AND table_name <> 'projection_checkpoints' ORDER BY 1`,
    [READ_MODELS_SCHEMA],
  );
  const snapshot: Record<string, unknown[]> = {};
  for (const { table_name: table } of tables) {
    const rows = await query<{ row: Record<string, unknown> }>(
      connection,
      `SELECT to_jsonb(t) - 'updated_at' AS row FROM ${READ_MODELS_SCHEMA}."${table}" t`,
    );
    snapshot[table] = rows
      .map((r) => JSON.stringify(r.row))
      .sort()
      .map((text) => JSON.parse(text) as unknown);
  }
  return snapshot;
}

/**
 * The read models as the apps left them, and as a rebuild from the event log makes them (the
 * same projections the apps register, under the same policy). No app may run projections on the
 * database meanwhile: stop them first.
 */
export async function readModelsAndRebuild(settings: Record<string, string>): Promise<{
  incremental: Record<string, unknown[]>;
  rebuilt: Record<string, unknown[]>;
  events: number;
}> {
  const stores = await openStores(settings);
  try {
    await migrateReadModels(stores.connection);
    const incremental = await readModelRows(stores.connection);
    const policy = stores.config.DISPUTE_POLICY;
    const registry = new ProjectionRegistry([
      ...disputeProjections(policy),
      deadlinesProcessManager(policy),
    ]);
    const runner = new ProjectionRunner(stores.eventStore, stores.connection, registry, {
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    });
    await runner.rebuild('all', { lockTimeoutMs: 30_000 });
    const rebuilt = await readModelRows(stores.connection);
    const [{ n }] = await query<{ n: number }>(
      stores.connection,
      'SELECT count(*)::int AS n FROM arbiter.events',
    );
    return { incremental, rebuilt, events: Number(n) };
  } finally {
    await stores.close();
  }
}

/**
 * The sessions on `databaseUrl`'s database and what each waits for: attached to a failed start,
 * it tells a stalled start-up (a transaction left open, a lock wait) from a slow one.
 */
export async function describeSessions(databaseUrl: string): Promise<string> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const admin = new Pool({ connectionString: databaseUrl, max: 1 });
  admin.on('error', () => undefined);
  try {
    const { rows } = await admin.query(
      `SELECT pid, state, backend_xid::text AS xid, now() - xact_start AS in_transaction,
              wait_event_type, wait_event, left(query, 120) AS query
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY xact_start`,
      [name],
    );
    return `sessions on ${name}:\n${rows.map((row) => JSON.stringify(row)).join('\n')}`;
  } finally {
    await admin.end();
  }
}
