import { sql } from 'drizzle-orm';
import { index, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { readModels } from './checkpoints';

/**
 * Per-person data keys of personal fields (crypto-shredding, see libs/read-models/README.md):
 * each key wrapped (AES-256-GCM) with the deployment's master key (PERSONAL_DATA_KEY). Destroying
 * a key empties `wrapped_key` and stamps `destroyed_at`: the row stays as the record that the
 * person's data was erased. At most one live key per person. Not derived from the event log: a
 * rebuild leaves this table alone (it could not recreate a key, and must not).
 */
export const personKeys = readModels.table(
  'person_keys',
  {
    keyId: text('key_id').primaryKey(),
    personId: text('person_id').notNull(),
    /** base64 of IV, wrapped key and GCM tag; null once destroyed. */
    wrappedKey: text('wrapped_key'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    destroyedAt: timestamp('destroyed_at', { withTimezone: true, precision: 3 }),
    /** Why it was destroyed: a ticket reference, never personal data. */
    destroyReason: text('destroy_reason'),
  },
  (table) => [
    uniqueIndex('person_keys_live_idx')
      .on(table.personId)
      .where(sql`${table.destroyedAt} IS NULL`),
    index('person_keys_person_idx').on(table.personId),
  ],
);

export type PersonKeyRow = typeof personKeys.$inferSelect;
