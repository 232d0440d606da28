import { text, timestamp } from 'drizzle-orm/pg-core';
import { readModels } from './checkpoints';

/**
 * Staging's test clocks (owned by libs/deadlines, see its README): each a time that stands still
 * until a platform moves it forwards. Orders placed under one, and their disputes, are dated by
 * it; their deadlines (`deadlines.test_clock_id`) fall due by it. Not derived from the event log
 * (a clock is not a business fact; the times it gave are recorded in the events it dated), so a
 * rebuild leaves this table alone.
 */
export const testClocks = readModels.table('test_clocks', {
  id: text('id').primaryKey(),
  name: text('name'),
  frozenTime: timestamp('frozen_time', { withTimezone: true, precision: 3 }).notNull(),
  /** The platform account that created it. */
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type TestClockRow = typeof testClocks.$inferSelect;
