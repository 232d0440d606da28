import { sql } from 'drizzle-orm';
import { bigint, integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every read-model table lives in this PostgreSQL schema, next to (not inside) the event store's
 * tables. The name is fixed because drizzle-kit writes it into the committed migrations; tests
 * isolate themselves with a database (PostgreSQL) or an instance (PGlite) of their own.
 */
export const READ_MODELS_SCHEMA = 'read_models';
export const readModels = pgSchema(READ_MODELS_SCHEMA);

/** `active`: applying events (or ready to); `failed`: stopped at `failedPosition` until fixed and restarted. */
export type CheckpointStatus = 'active' | 'failed' | 'rebuilding';

/**
 * `position` before any event. The stores count from 1 today, but the port's own default for
 * `after` is -1n, so a fresh projection asks for exactly what the store calls "from the start".
 */
export const START_POSITION = -1n;

/**
 * One row per projection. `position` is exclusive, like the event store's `after`: the projection
 * has seen every matching event whose position is <= it (START_POSITION = nothing yet).
 */
export const projectionCheckpoints = readModels.table('projection_checkpoints', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'bigint' })
    .notNull()
    .default(sql`-1`),
  status: text('status').$type<CheckpointStatus>().notNull().default('active'),
  lastError: text('last_error'),
  failedPosition: bigint('failed_position', { mode: 'bigint' }),
  failedAt: timestamp('failed_at', { withTimezone: true }),
  /** Handler attempts spent on `failedPosition` before the projection stopped. */
  attempts: integer('attempts').notNull().default(0),
  /** Who last held the projection (host:pid), for operators reading the table. */
  owner: text('owner'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type ProjectionCheckpointRow = typeof projectionCheckpoints.$inferSelect;
