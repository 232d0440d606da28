import { sql } from 'drizzle-orm';
import type { ReadDb } from '../database';

/**
 * The rows of read-model tables as plain JSON (bigints as text), for comparing two builds of the
 * same views, e.g. incremental against a rebuild. `columns` narrows a table to what both builds
 * must agree on (a checkpoint's owner and time differ between them).
 */
export async function readModelSnapshot(
  db: ReadDb,
  tables: readonly string[],
  columns: Record<string, string> = {},
): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of tables) {
    const { rows } = await db.execute(
      sql.raw(`SELECT ${columns[table] ?? '*'} FROM read_models.${table} ORDER BY 1, 2`),
    );
    result[table] = JSON.parse(
      JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)),
    );
  }
  return result;
}
