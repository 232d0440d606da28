import type { RecordedEvent } from '@arbiter/event-store';
import { sleep as delay } from '@arbiter/platform/backoff';
import { eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadExecutor, ReadTx } from './database';
import { ProjectionLease, tryAcquireProjectionLease } from './locks';
import type { Projection } from './projection';
import { RebuildConnection, rebuildConnectionOn } from './rebuild-db';
import {
  analyzeRebuildTables,
  createRebuildTables,
  dropRebuildTables,
  lockLiveTables,
  OwnedTable,
  ownedTables,
  rebuildName,
  swapInRebuildTables,
} from './rebuild-tables';
import { BatchApplier } from './runner-apply';
import { BatchLoop } from './runner-batch-loop';
import {
  Interrupted,
  isTransientDatabaseError,
  messageOf,
  RebuildRunningError,
  sqlStateOf,
} from './runner-errors';
import type {
  Dependencies,
  RebuildOptions,
  RebuildProgress,
  RebuildResult,
} from './runner-options';
import { WorkerProgress } from './runner-progress';
import { WorkerSignals } from './runner-signals';
import { projectionCheckpoints, START_POSITION } from './schema';

/** The checkpoint row (and lock) of a projection's blue/green rebuild, beside its live one. */
export const rebuildCheckpointName = (name: string) => `${name}@rebuild`;

/** How long the switch waits for the live tables (readers queue behind it meanwhile). */
const SWITCH_LOCK_TIMEOUT_MS = 1_000;
/** Switch attempts before giving up (each catches up again first). */
const SWITCH_ATTEMPTS = 50;

/**
 * What the worker hands a blue/green rebuild: the projection (with its `tables`), and a progress
 * and signals of the rebuild's own (the live worker keeps its own and goes on meanwhile; a stop
 * of the runner interrupts the rebuild through `signals`).
 */
export interface BlueGreenParts {
  projection: Projection;
  /** The projection's `tables`. */
  tables: readonly PgTable[];
  deps: Dependencies;
  progress: WorkerProgress;
  signals: WorkerSignals;
}

/**
 * Blue/green rebuild of one projection (see rebuild-tables.ts): replays the whole log into copies
 * of its tables through the projection's own code (rebuild-db.ts renames the tables in its
 * statements), with a checkpoint of its own (`<name>@rebuild`), while the live worker — in this
 * process or another — keeps applying new events to the live tables, which keep serving. Once the
 * copies are within one batch of the head, one transaction locks the live tables, applies the
 * last events to the copies, drops the live tables, moves the copies into their place and sets
 * the live checkpoint to the copies' position. The live worker's next commit then fails its
 * compare-and-set and it resumes from that checkpoint on the new tables. A rebuild that fails or is
 * interrupted drops the copies; the live tables were never touched.
 */
export async function rebuildBlueGreen(
  { projection, tables: owned, deps, progress, signals }: BlueGreenParts,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { eventStore, settings } = deps;
  const name = projection.name;
  const checkpointName = rebuildCheckpointName(name);
  const tables = ownedTables(owned);
  const lease = await acquireWithin(deps, name, options.lockTimeoutMs ?? 0);
  const connection = rebuildConnectionOn(lease, tables);
  // PGlite runs its queries on this process's event loop, and back-to-back batches would keep
  // it busy for the whole replay: the rebuild lets the loop turn once per batch, so the
  // process's requests (which the live tables answer meanwhile) get their turn.
  const yieldToLoop =
    deps.connection.kind === 'pglite'
      ? () => new Promise<void>((resolve) => setImmediate(resolve))
      : async () => undefined;
  // The projection as the rebuild runs it: its own code, under the rebuild's checkpoint name.
  const copy: Projection = {
    name: checkpointName,
    eventTypes: projection.eventTypes,
    apply: async (event, tx) => {
      await yieldToLoop();
      await projection.apply(event, tx);
    },
    ...(projection.applyBatch
      ? {
          applyBatch: async (events, tx) => {
            await yieldToLoop();
            await projection.applyBatch!(events, tx);
          },
        }
      : {}),
    ...(projection.isTransient ? { isTransient: (error) => projection.isTransient!(error) } : {}),
  };
  const loop = new BatchLoop(
    copy,
    deps,
    progress,
    signals,
    new BatchApplier(copy, deps, progress, signals),
  );
  const copyLease: ProjectionLease = {
    db: connection.db,
    lost: lease.lost,
    release: async () => undefined,
  };
  signals.hold(copyLease);
  const started = Date.now();
  let eventsApplied = 0;
  const report = (head: bigint, done: boolean): RebuildProgress => {
    const elapsedMs = Date.now() - started;
    return {
      projection: name,
      position: progress.position,
      head,
      eventsApplied,
      eventsPerSecond: elapsedMs > 0 ? (eventsApplied * 1000) / elapsedMs : 0,
      elapsedMs,
      done,
    };
  };
  const onBatch = (applied: number, head: bigint) => {
    eventsApplied += applied;
    options.onProgress?.(report(head, false));
  };
  let switched = false;
  try {
    progress.setState('rebuilding');
    // Leftovers of a rebuild that crashed go first: this one holds the rebuild lock now.
    await createRebuildTables(connection.run, tables);
    await lease.db.transaction(async (tx) => {
      await tx.delete(projectionCheckpoints).where(eq(projectionCheckpoints.name, checkpointName));
      await tx
        .insert(projectionCheckpoints)
        .values({ name: checkpointName, owner: settings.owner, status: 'rebuilding' });
    });
    progress.rewind();
    settings.logger.log(`Projection ${name}: rebuilding into new tables, the live ones serving`);
    options.onProgress?.(report(await eventStore.headPosition(), false));
    await loop.catchUp(copyLease, onBatch);
    await analyzeRebuildTables(connection.run, tables);
    await options.beforeSwitch?.();

    for (let attempt = 1; ; attempt++) {
      if (signals.interrupted()) throw new Interrupted();
      const head = await loop.catchUp(copyLease, onBatch);
      const outcome = await trySwitch(projection, deps, connection, tables, progress.position);
      if (typeof outcome === 'object') {
        switched = true;
        eventsApplied += outcome.applied;
        progress.advanceTo(outcome.position);
        options.onProgress?.(report(head > outcome.position ? head : outcome.position, true));
        progress.setState('idle');
        settings.logger.log(
          `Projection ${name}: switched to the rebuilt tables at ${outcome.position}`,
        );
        return {
          projection: name,
          mode: 'blue-green',
          eventsApplied,
          elapsedMs: Date.now() - started,
          position: outcome.position,
        };
      }
      if (attempt >= SWITCH_ATTEMPTS) {
        throw new Error(
          `Rebuild of ${name}: could not switch over after ${attempt} attempts (${outcome}); the live tables are unchanged`,
        );
      }
      settings.logger.warn(`Projection ${name}: switch-over postponed (${outcome}), catching up`);
      await delay(Math.min(50 * attempt, 500));
    }
  } catch (error) {
    if (error instanceof Interrupted) throw new Error(`Rebuild of ${name} interrupted`);
    throw error;
  } finally {
    signals.holding = false;
    signals.leaseLost = undefined;
    if (!switched) await discard(connection, lease.db, tables, checkpointName, deps);
    await lease
      .release()
      .catch((error) =>
        settings.logger.warn(`Projection ${name}: releasing rebuild lock: ${messageOf(error)}`),
      );
  }
}

/**
 * One attempt at the switch-over: the events past the copies' position are read first (never
 * inside a read-DB transaction: on PGlite the store shares its one connection), then, the live
 * tables and checkpoint locked, applied to the copies — unless the live worker has got further
 * than they reach (then: a reason, and the caller catches up and tries again).
 */
async function trySwitch(
  projection: Projection,
  deps: Dependencies,
  connection: RebuildConnection,
  tables: readonly OwnedTable[],
  from: bigint,
): Promise<{ position: bigint; applied: number } | string> {
  const { eventStore, settings, connection: sqlConnection } = deps;
  const name = projection.name;
  const head = await eventStore.headPosition();
  const events = await eventStore.readAll({
    after: from,
    maxCount: settings.batchSize,
    filter: { eventTypes: [...projection.eventTypes] },
  });
  if (events.length >= settings.batchSize) return 'more than one batch behind the head';
  // A short read holds every matching event up to `head`: the copies reach at least that far.
  const last = events.at(-1)?.position ?? from;
  const reach = [from, last, head].reduce((a, b) => (a > b ? a : b));
  try {
    return await connection.db.transaction(async (tx) => {
      if (sqlConnection.kind === 'postgres')
        await connection.run(`SET LOCAL lock_timeout = ${SWITCH_LOCK_TIMEOUT_MS}`);
      await lockLiveTables(connection.run, tables);
      const live = await liveCheckpoint(tx, name);
      if (live > reach) return `the live projection is at ${live}, past ${reach}`;
      if (events.length > 0) await applyAll(projection, events, tx);
      await projection.carryOver?.(connection.plain(), (table) => {
        const [owned] = ownedTables([table]);
        return sql.raw(rebuildName(owned));
      });
      await swapInRebuildTables(connection.run, tables);
      await takeOver(tx, name, reach, settings.owner);
      return { position: reach, applied: events.length };
    });
  } catch (error) {
    // Readers or the live batch held a table past the timeout, or a deadlock with a live batch
    // that writes the tables in another order: nothing changed, try again.
    if (sqlStateOf(error) === '55P03' || isTransientDatabaseError(error))
      return `the live tables were busy: ${messageOf(error)}`;
    throw error;
  }
}

async function liveCheckpoint(tx: ReadTx, name: string): Promise<bigint> {
  const [row] = await tx
    .select({ position: projectionCheckpoints.position })
    .from(projectionCheckpoints)
    .where(eq(projectionCheckpoints.name, name))
    .for('update');
  return row?.position ?? START_POSITION;
}

async function applyAll(
  projection: Projection,
  events: readonly RecordedEvent[],
  tx: ReadTx,
): Promise<void> {
  if (projection.applyBatch) await projection.applyBatch(events, tx);
  else for (const event of events) await projection.apply(event, tx);
}

/** The live checkpoint moves to the copies' position (errors cleared); the rebuild's row goes. */
async function takeOver(tx: ReadTx, name: string, position: bigint, owner: string): Promise<void> {
  const values = {
    position,
    status: 'active' as const,
    lastError: null,
    failedPosition: null,
    failedAt: null,
    attempts: 0,
    owner,
    updatedAt: sql`now()`,
  };
  await tx
    .insert(projectionCheckpoints)
    .values({ name, ...values })
    .onConflictDoUpdate({ target: projectionCheckpoints.name, set: values });
  await tx
    .delete(projectionCheckpoints)
    .where(eq(projectionCheckpoints.name, rebuildCheckpointName(name)));
}

/** A rebuild that did not switch leaves nothing behind (the next one would clean up anyway). */
async function discard(
  connection: RebuildConnection,
  db: ReadExecutor,
  tables: readonly OwnedTable[],
  checkpointName: string,
  deps: Dependencies,
): Promise<void> {
  try {
    await dropRebuildTables(connection.run, tables);
    await db.delete(projectionCheckpoints).where(eq(projectionCheckpoints.name, checkpointName));
  } catch (error) {
    deps.settings.logger.warn(
      `Projection ${checkpointName}: dropping the rebuild's tables: ${messageOf(error)} (the next rebuild drops them)`,
    );
  }
}

/** The rebuild lock of `name`: one blue/green rebuild of a projection at a time, across processes. */
async function acquireWithin(
  deps: Dependencies,
  name: string,
  timeoutMs: number,
): Promise<ProjectionLease> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lease = await tryAcquireProjectionLease(deps.connection, rebuildCheckpointName(name));
    if (lease) return lease;
    if (Date.now() >= deadline) throw new RebuildRunningError(name);
    await delay(Math.min(200, Math.max(0, deadline - Date.now())));
  }
}
