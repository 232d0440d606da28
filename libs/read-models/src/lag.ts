import type { EventStore } from '@arbiter/event-store';
import { readCheckpoints } from './checkpoints';
import type { ReadDb } from './database';
import type { ProjectionRegistry } from './projection';
import { CheckpointStatus, START_POSITION } from './schema';

export interface ProjectionLag {
  name: string;
  /** From the checkpoint table, i.e. as committed by whichever process runs the projection. */
  status: CheckpointStatus | 'new';
  checkpoint: bigint;
  head: bigint;
  /** Matching events not yet applied; counted up to `countLimit` (then `lagEventsCapped`). */
  lagEvents: number;
  lagEventsCapped: boolean;
  /** Age of the oldest event not yet applied; 0 when caught up. */
  lagSeconds: number;
  failedPosition: bigint | null;
  lastError: string | null;
  owner: string | null;
  updatedAt: Date | null;
}

/**
 * Lag of every registered projection, read from the shared checkpoint table and the store, so it
 * is right whichever process runs the projections. Positions have gaps (and on SQL stores encode
 * transaction ids), so lag is counted in events rather than derived from positions.
 */
export async function readProjectionLag(
  eventStore: EventStore,
  db: ReadDb,
  registry: ProjectionRegistry,
  options: { countLimit?: number; now?: Date } = {},
): Promise<ProjectionLag[]> {
  const countLimit = options.countLimit ?? 10_000;
  const now = options.now ?? new Date();
  // Checkpoints first: a projection moving on between the two reads cannot then pass the head.
  const rows = new Map((await readCheckpoints(db)).map((row) => [row.name, row]));
  const head = await eventStore.headPosition();
  const result: ProjectionLag[] = [];
  for (const projection of registry.all()) {
    const row = rows.get(projection.name);
    const checkpoint = row?.position ?? START_POSITION;
    const filter = { eventTypes: projection.eventTypes };
    let lagEvents = 0;
    let oldest: Date | undefined;
    let after = checkpoint;
    while (lagEvents < countLimit) {
      const batch = await eventStore.readAll({
        after,
        filter,
        maxCount: Math.min(1_000, countLimit - lagEvents),
      });
      if (batch.length === 0) break;
      oldest ??= batch[0].recordedAt;
      lagEvents += batch.length;
      after = batch[batch.length - 1].position;
    }
    result.push({
      name: projection.name,
      status: row?.status ?? 'new',
      checkpoint,
      head,
      lagEvents,
      lagEventsCapped: lagEvents >= countLimit,
      lagSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0,
      failedPosition: row?.failedPosition ?? null,
      lastError: row?.lastError ?? null,
      owner: row?.owner ?? null,
      updatedAt: row?.updatedAt ?? null,
    });
  }
  return result;
}

/**
 * Why a projection cannot follow this event log, or undefined when it can: a checkpoint beyond
 * the log's head means the store was emptied or replaced under read models that outlived it (a
 * new KurrentDB volume, a restored backup, another server). New events would get positions the
 * projection has already passed and be skipped without a word. Read the checkpoint before the
 * head, so a projection moving on between the two reads cannot raise a false alarm.
 */
export function beyondLog(name: string, checkpoint: bigint, head: bigint): string | undefined {
  if (checkpoint <= head) return undefined;
  return (
    `the event log ends at position ${head}, but projection ${name} has passed ${checkpoint}:` +
    ' the event store was emptied or replaced under these read models. Point the application at' +
    ' the store they were built from, or rebuild them (npm run projections -- rebuild all).'
  );
}

/** `beyondLog` for every stored checkpoint: the first projection ahead of the log, if any. */
export async function checkpointsBeyondLog(
  eventStore: EventStore,
  db: ReadDb,
): Promise<string | undefined> {
  const rows = await readCheckpoints(db);
  const head = await eventStore.headPosition();
  for (const row of rows) {
    const beyond = beyondLog(row.name, row.position, head);
    if (beyond) return beyond;
  }
  return undefined;
}
