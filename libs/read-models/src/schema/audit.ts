import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { readModels } from './checkpoints';

/**
 * The audit log's own tables (owned by libs/audit, see its README). Not derived from the events
 * by a projection and never rebuilt: a digest, once published, is a fact. Both tables are as
 * untrusted as the events themselves; what makes them useful is the digest an auditor keeps.
 */

/** One row per published digest: the signed JSON as it was handed out. */
export const auditDigests = readModels.table(
  'audit_digests',
  {
    epoch: integer('epoch').notNull(),
    /** Events covered: the tree's size. */
    count: bigint('count', { mode: 'number' }).notNull(),
    /** The last global position covered (-1: none). */
    position: bigint('position', { mode: 'bigint' }).notNull(),
    root: text('root').notNull(),
    keyId: text('key_id').notNull(),
    /** The last digest of its epoch, published before a rewrite. */
    closing: boolean('closing').notNull().default(false),
    digest: jsonb('digest').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.epoch, table.count] })],
);

/**
 * The leaves of each epoch's tree, in order, with the record each was hashed from: what lets a
 * check name the event that changed. Used only once its leaves hash to a signed root.
 */
export const auditLeaves = readModels.table(
  'audit_leaves',
  {
    epoch: integer('epoch').notNull(),
    index: bigint('index', { mode: 'number' }).notNull(),
    position: bigint('position', { mode: 'bigint' }).notNull(),
    streamId: text('stream_id').notNull(),
    revision: bigint('revision', { mode: 'bigint' }).notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    /** ISO-8601, exactly as hashed. */
    recordedAt: text('recorded_at').notNull(),
    dataHash: text('data_hash').notNull(),
    metadataHash: text('metadata_hash').notNull(),
    leafHash: text('leaf_hash').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.epoch, table.index] }),
    index('audit_leaves_stream_idx').on(table.epoch, table.streamId),
  ],
);

export type AuditDigestRow = typeof auditDigests.$inferSelect;
export type AuditLeafRow = typeof auditLeaves.$inferSelect;
