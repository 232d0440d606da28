import { and, eq, sql } from 'drizzle-orm';
import type { ReadExecutor } from './database';
import {
  CheckpointStatus,
  ProjectionCheckpointRow,
  projectionCheckpoints,
  START_POSITION,
} from './schema';

/** Another holder moved the checkpoint under us: our lock is gone, stop writing at once. */
export class CheckpointMovedError extends Error {
  constructor(
    readonly projection: string,
    readonly expected: bigint,
  ) {
    super(
      `Checkpoint of projection ${projection} is no longer at ${expected}: another runner owns it`,
    );
    this.name = 'CheckpointMovedError';
  }
}

export async function ensureCheckpoint(
  db: ReadExecutor,
  name: string,
  owner: string,
): Promise<ProjectionCheckpointRow> {
  await db.insert(projectionCheckpoints).values({ name, owner }).onConflictDoNothing();
  const [row] = await db
    .update(projectionCheckpoints)
    .set({ owner, updatedAt: sql`now()` })
    .where(eq(projectionCheckpoints.name, name))
    .returning();
  return row;
}

export async function readCheckpoints(db: ReadExecutor): Promise<ProjectionCheckpointRow[]> {
  return db.select().from(projectionCheckpoints);
}

export async function readCheckpoint(
  db: ReadExecutor,
  name: string,
): Promise<ProjectionCheckpointRow | undefined> {
  const [row] = await db
    .select()
    .from(projectionCheckpoints)
    .where(eq(projectionCheckpoints.name, name));
  return row;
}

/**
 * Compare-and-set: succeeds only if the checkpoint is still where this runner last left it, so a
 * runner that lost its lock cannot commit a batch on top of its successor's.
 */
export async function advanceCheckpoint(
  tx: ReadExecutor,
  name: string,
  from: bigint,
  to: bigint,
  owner: string,
  status?: CheckpointStatus,
): Promise<void> {
  const moved = await tx
    .update(projectionCheckpoints)
    .set({
      position: to,
      ...(status ? { status } : {}),
      lastError: null,
      failedPosition: null,
      failedAt: null,
      attempts: 0,
      owner,
      updatedAt: sql`now()`,
    })
    .where(and(eq(projectionCheckpoints.name, name), eq(projectionCheckpoints.position, from)))
    .returning({ name: projectionCheckpoints.name });
  if (moved.length === 0) throw new CheckpointMovedError(name, from);
}

export async function markFailed(
  db: ReadExecutor,
  name: string,
  at: { position: bigint; error: string; attempts: number; checkpoint: bigint },
): Promise<void> {
  const moved = await db
    .update(projectionCheckpoints)
    .set({
      status: 'failed',
      failedPosition: at.position,
      lastError: at.error,
      attempts: at.attempts,
      failedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(
      and(eq(projectionCheckpoints.name, name), eq(projectionCheckpoints.position, at.checkpoint)),
    )
    .returning({ name: projectionCheckpoints.name });
  if (moved.length === 0) throw new CheckpointMovedError(name, at.checkpoint);
}

/** The start of a rebuild: back to before the first event, errors cleared. */
export async function rewindCheckpoint(
  tx: ReadExecutor,
  name: string,
  owner: string,
): Promise<void> {
  await tx
    .update(projectionCheckpoints)
    .set({
      position: START_POSITION,
      status: 'rebuilding',
      lastError: null,
      failedPosition: null,
      failedAt: null,
      attempts: 0,
      owner,
      updatedAt: sql`now()`,
    })
    .where(eq(projectionCheckpoints.name, name));
}
