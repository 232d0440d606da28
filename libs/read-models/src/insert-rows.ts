import { getTableColumns, sql } from 'drizzle-orm';
import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import type { ReadExecutor } from './database';
import { quote } from './rebuild-tables';

/** Writes plain rows (the table's property names, as Drizzle's `values` takes them) in one statement. */
export type InsertRows = (db: ReadExecutor, rows: readonly object[]) => Promise<void>;

/**
 * A multi-row `INSERT` whose rows travel as one JSON parameter that PostgreSQL unpacks with
 * `jsonb_to_recordset` (`json_to_recordset` when a `json` column is set, whose text is kept). The
 * statement's text depends only on the table, the columns the rows set and `onConflict` (raw SQL
 * after `ON CONFLICT`, e.g. `DO NOTHING`), so it is built once.
 *
 * Why not Drizzle's `insert().values()`: it renders each value of each row as a node of its own,
 * and a rebuild spent about a third of its CPU building those statements. Here the rows are
 * encoded by each column's own driver mapping (a JSON column keeps its value as is: it is embedded
 * in the parameter, not serialised a second time) and written by `JSON.stringify` once. The
 * rows stored are those Drizzle's insert stores for values of the columns' own types: a column no
 * row sets is left to its default, and one that some rows set and others leave `undefined` gets
 * its default in those (as Drizzle's `default`): consecutive rows that set the same defaulted
 * columns go in one statement, in order, so `DO NOTHING` keeps the first of two rows with one key
 * as one statement would. A string that is not well-formed UTF-16 (a lone surrogate) is stored
 * with U+FFFD in its place, as the driver encodes it; a number that is not finite is refused (JSON
 * would carry it as null). Two rows with one key under `DO UPDATE`, which one statement refuses,
 * are applied one after the other when a defaulted column splits them. The rows of a call go in
 * one parameter (callers write a batch at a time), and the table's name is written as Drizzle
 * writes it (`"schema"."table"`), so a blue/green rebuild's renaming applies unchanged.
 */
export function insertRows(table: PgTable, onConflict?: string): InsertRows {
  const { name } = getTableConfig(table);
  const target = qualifiedName(table);
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const withDefaultFn = column as { defaultFn?: unknown; onUpdateFn?: unknown };
    if (withDefaultFn.defaultFn || withDefaultFn.onUpdateFn)
      throw new Error(`insertRows: ${name}.${column.name} has a default computed in JavaScript`);
    if (!ENCODED.has(column.columnType))
      throw new Error(`insertRows: ${name}.${column.name} is a ${column.columnType}`);
    return {
      key,
      column,
      quoted: quote(column.name),
      json: isJson(column),
      hasDefault: column.hasDefault,
    };
  });
  type Column = (typeof columns)[number];
  const statements = new Map<string, { head: string; tail: string }>();
  const statementFor = (present: readonly Column[]) => {
    const signature = present.map((column) => column.key).join(',');
    let statement = statements.get(signature);
    if (!statement) {
      const names = present.map((column) => column.quoted).join(', ');
      const types = present
        .map((column) => `${column.quoted} ${column.column.getSQLType()}`)
        .join(', ');
      // As jsonb the parameter is parsed once, and a jsonb column takes its part as parsed; as
      // json it is checked, parsed again, and each jsonb column's text parsed a third time. A json
      // column keeps its text as written only in the second.
      const as = present.some((column) => column.column.columnType === 'PgJson') ? 'json' : 'jsonb';
      statement = {
        head: `INSERT INTO ${target} (${names}) SELECT ${names} FROM ${as}_to_recordset(`,
        tail: `::${as}) AS r(${types})${onConflict ? ` ON CONFLICT ${onConflict}` : ''}`,
      };
      statements.set(signature, statement);
    }
    return statement;
  };
  const encode = (column: Column, value: unknown): unknown => {
    if (value === undefined || value === null || column.json) return value;
    const driver = column.column.mapToDriverValue(value);
    switch (typeof driver) {
      case 'bigint':
        return driver.toString();
      case 'string':
        return wellFormed(driver);
      case 'number':
        if (!Number.isFinite(driver))
          throw new Error(`insertRows: ${name}.${column.column.name} cannot take ${driver}`);
        return driver;
      default:
        return driver;
    }
  };
  const write = async (db: ReadExecutor, rows: readonly Record<string, unknown>[]) => {
    const present = columns.filter((column) => rows.some((row) => row[column.key] !== undefined));
    if (present.length === 0)
      throw new Error(`insertRows: rows of ${name} that set no column (nothing to insert)`);
    const encoded = rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const column of present) out[column.column.name] = encode(column, row[column.key]);
      return out;
    });
    const { head, tail } = statementFor(present);
    await db.execute(sql`${sql.raw(head)}${JSON.stringify(encoded)}${sql.raw(tail)}`);
  };

  return async (db, rows) => {
    if (rows.length === 0) return;
    const plain = rows as readonly Record<string, unknown>[];
    // Rows that leave a defaulted column unset go in a statement without it (its default applies).
    const defaulted = columns.filter(
      (column) => column.hasDefault && plain.some((row) => row[column.key] !== undefined),
    );
    if (defaulted.length === 0) return write(db, plain);
    let run: Record<string, unknown>[] = [];
    let runSignature = '';
    for (const row of plain) {
      const signature = defaulted.map((column) => (row[column.key] === undefined ? 0 : 1)).join('');
      if (run.length > 0 && signature !== runSignature) {
        await write(db, run);
        run = [];
      }
      run.push(row);
      runSignature = signature;
    }
    await write(db, run);
  };
}

/** Lone surrogates replaced by U+FFFD (ES2024's `toWellFormed`, in Node since 20; not in our `lib`). */
const wellFormed = (text: string): string => {
  const es2024 = text as string & { isWellFormed(): boolean; toWellFormed(): string };
  return es2024.isWellFormed() ? text : es2024.toWellFormed();
};

/** `"schema"."table"` as Drizzle renders a table (the form a blue/green rebuild renames). */
export function qualifiedName(table: PgTable): string {
  const { schema, name } = getTableConfig(table);
  return `${schema ? `${quote(schema)}.` : ''}${quote(name)}`;
}

/**
 * The column types whose driver values JSON carries as the column's input reads them: strings,
 * numbers and booleans; a 64-bit integer as its decimal string; a date as Drizzle's ISO string.
 */
const ENCODED = new Set([
  'PgText',
  'PgInteger',
  'PgBigInt53',
  'PgBigInt64',
  'PgBoolean',
  'PgTimestamp',
  'PgTimestampString',
  'PgJson',
  'PgJsonb',
]);

const isJson = (column: PgColumn) =>
  column.columnType === 'PgJsonb' || column.columnType === 'PgJson';
