import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

/**
 * The tables of a blue/green rebuild. A projection that declares the tables it owns is rebuilt
 * into copies of them in a schema of their own (`<schema>_rebuild`, e.g. `read_models_rebuild`)
 * while its live tables keep serving; the switch-over then drops the live tables and moves the
 * copies into their place in one transaction. The copies carry the live tables' columns,
 * defaults, checks, and their constraint and index names, so that after the switch they are
 * indistinguishable from migrated ones (later migrations refer to those names).
 */

/** A table a projection owns, by schema and name as they appear in its statements. */
export interface OwnedTable {
  readonly schema: string;
  readonly name: string;
}

/** Runs one statement as written; inside a transaction when the caller has one open. */
export type RunSql = (text: string, params?: unknown[]) => Promise<{ rows: unknown[] }>;

export const REBUILD_SCHEMA_SUFFIX = '_rebuild';

export function rebuildSchemaOf(schema: string): string {
  return `${schema}${REBUILD_SCHEMA_SUFFIX}`;
}

/**
 * The tables as schema and name. A table without a schema of its own is refused: Drizzle renders
 * its name unqualified, which the renamer could not tell from a column or another schema's table,
 * so the rebuild would write into the live table.
 */
export function ownedTables(tables: readonly PgTable[]): OwnedTable[] {
  return tables.map((table) => {
    const config = getTableConfig(table);
    if (!config.schema)
      throw new Error(
        `Table ${config.name} has no schema: a blue/green rebuild needs schema-qualified tables`,
      );
    return { schema: config.schema, name: config.name };
  });
}

/** An SQL identifier in double quotes, its own quotes doubled. */
export const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
export const liveName = (table: OwnedTable) => `${quote(table.schema)}.${quote(table.name)}`;
export const rebuildName = (table: OwnedTable) =>
  `${quote(rebuildSchemaOf(table.schema))}.${quote(table.name)}`;

/**
 * A function that points every mention of one of `tables` in a statement at its rebuild copy:
 * `"read_models"."deadlines"` (Drizzle) and `read_models.deadlines` (raw SQL) alike, columns
 * qualified by the table included. Nothing else changes: a name that merely starts like one of
 * them (`read_models.deadlines_x`) or another schema's table of the same name stays.
 */
export function rebuildRenamer(tables: readonly OwnedTable[]): (text: string) => string {
  if (tables.length === 0) return (text) => text;
  const escape = (identifier: string) => identifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const alternatives = tables.map(
    ({ schema, name }) =>
      `(?:"${escape(schema)}"|${escape(schema)})\\.(?:"${escape(name)}"|${escape(name)}(?![\\w$]))`,
  );
  const pattern = new RegExp(`(?<![\\w$."])(?:${alternatives.join('|')})`, 'g');
  return (text) =>
    text.replace(pattern, (match) => {
      const [schema, name] = match.split('.').map((part) => part.replace(/^"|"$/g, ''));
      return rebuildName({ schema, name });
    });
}

/**
 * Empty copies of `tables` in the rebuild schema, after dropping what a crashed rebuild may have
 * left there. Columns, defaults, identity, checks, storage and comments come with `LIKE`; the
 * primary key, unique, exclusion and foreign-key constraints and every other index are created
 * from their definitions under their own names (`LIKE … INCLUDING INDEXES` would invent names).
 */
export async function createRebuildTables(
  run: RunSql,
  tables: readonly OwnedTable[],
): Promise<void> {
  const renamer = rebuildRenamer(tables);
  for (const schema of new Set(tables.map((table) => rebuildSchemaOf(table.schema)))) {
    // Rebuilds run side by side: two may create the schema at once, and IF NOT EXISTS does not
    // guard that race (the catalog's unique index refuses the second); then it exists.
    await run(`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`).catch((error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      if (code !== '23505' && code !== '42P06') throw error;
    });
  }
  await dropRebuildTables(run, tables);
  for (const table of tables) {
    await run(
      `CREATE TABLE ${rebuildName(table)} (LIKE ${liveName(table)} INCLUDING ALL EXCLUDING INDEXES)`,
    );
  }
  // Foreign keys last: one may refer to another table of the same projection.
  for (const table of tables) {
    const { rows } = await run(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint
        WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x', 'f')
        ORDER BY contype = 'f', conname`,
      [liveName(table)],
    );
    for (const row of rows as { name: string; definition: string }[]) {
      await run(
        `ALTER TABLE ${rebuildName(table)} ADD CONSTRAINT ${quote(row.name)} ${renamer(row.definition)}`,
      );
    }
    const indexes = await run(
      `SELECT i.relname AS name, x.indisunique AS "unique", pg_get_indexdef(x.indexrelid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                           WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid)
        ORDER BY i.relname`,
      [liveName(table)],
    );
    for (const row of indexes.rows as { name: string; unique: boolean; definition: string }[]) {
      // "CREATE [UNIQUE] INDEX name ON schema.table USING …": keep what follows USING.
      const method = row.definition.slice(row.definition.indexOf(' USING ') + 1);
      await run(
        `CREATE ${row.unique ? 'UNIQUE ' : ''}INDEX ${quote(row.name)} ON ${rebuildName(table)} ${method}`,
      );
    }
  }
}

export async function dropRebuildTables(run: RunSql, tables: readonly OwnedTable[]): Promise<void> {
  if (tables.length === 0) return;
  await run(`DROP TABLE IF EXISTS ${tables.map(rebuildName).join(', ')}`);
}

/** Fresh statistics for the planner before the copies start serving (they were filled in bulk). */
export async function analyzeRebuildTables(
  run: RunSql,
  tables: readonly OwnedTable[],
): Promise<void> {
  for (const table of tables) await run(`ANALYZE ${rebuildName(table)}`);
}

/**
 * Waits for and takes every live table in ACCESS EXCLUSIVE mode, in one fixed order (by name):
 * no reader or writer is inside them once it returns, and none gets in before the commit.
 */
export async function lockLiveTables(run: RunSql, tables: readonly OwnedTable[]): Promise<void> {
  const names = tables.map(liveName).sort();
  await run(`LOCK TABLE ${names.join(', ')} IN ACCESS EXCLUSIVE MODE`);
}

/**
 * The switch itself (inside the caller's transaction, the live tables locked): the live tables
 * go, the copies take their place, owned sequences, constraints and indexes along. A table that
 * something else depends on (a view, another table's foreign key) stops the switch with an error
 * rather than being dropped with its dependents.
 */
export async function swapInRebuildTables(
  run: RunSql,
  tables: readonly OwnedTable[],
): Promise<void> {
  await run(`DROP TABLE ${tables.map(liveName).join(', ')}`);
  for (const table of tables)
    await run(`ALTER TABLE ${rebuildName(table)} SET SCHEMA ${quote(table.schema)}`);
}
