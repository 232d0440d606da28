import { asc, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  integer,
  json,
  jsonb,
  pgSchema,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { type ReadDb, readDbFor } from './database';
import { insertRows } from './insert-rows';
import { type ReadTestDatabase, readTestDatabases } from './testing/read-databases';

jest.setTimeout(60_000);

const scratch = pgSchema('insert_rows_spec');
const columns = () => ({
  id: integer('id').primaryKey(),
  label: text('label'),
  // A name that needs quoting.
  quoted: text('select "x"'),
  big: bigint('big', { mode: 'bigint' }),
  small: bigint('small', { mode: 'number' }),
  flag: boolean('flag').notNull().default(true),
  count: integer('count').notNull().default(7),
  at: timestamp('at', { withTimezone: true, mode: 'date' }),
  atText: timestamp('at_text', { withTimezone: true, mode: 'string' }),
  doc: jsonb('doc'),
  revision: integer('last_revision').notNull().default(0),
});
/** Written by Drizzle's insert, the reference. */
const byDrizzle = scratch.table('by_drizzle', columns());
/** Written by `insertRows`. */
const byJson = scratch.table('by_json', columns());

const CREATE = `
  CREATE SCHEMA insert_rows_spec;
  CREATE TABLE insert_rows_spec.by_drizzle (
    id integer PRIMARY KEY, label text, "select ""x""" text, big bigint, small bigint,
    flag boolean NOT NULL DEFAULT true, count integer NOT NULL DEFAULT 7,
    at timestamptz, at_text timestamptz, doc jsonb, last_revision integer NOT NULL DEFAULT 0);
  CREATE TABLE insert_rows_spec.by_json (LIKE insert_rows_spec.by_drizzle INCLUDING ALL);`;

type Row = typeof byDrizzle.$inferInsert;

const rows: Row[] = [
  {
    id: 1,
    label: `quotes " ' and \\ backslash, tab\t, newline\n, é, 漢字, 😀`,
    quoted: 'x',
    big: 9_007_199_254_740_993n,
    small: 42,
    flag: false,
    count: 1,
    at: new Date('2026-03-01T10:11:12.345Z'),
    atText: '2026-03-01T10:11:12.345Z',
    doc: { nested: { text: `"quoted" \\ é 😀`, list: [1, 2.5, null, true], empty: {} } },
  },
  // Defaulted columns left unset (their defaults), nullable ones unset or null (NULL).
  { id: 2, label: null, doc: null, at: null },
  { id: 3, flag: true, doc: ['an array', { a: 1 }], big: -1n },
  // A JSON string and a JSON number as a document; a lone surrogate in a text column (the driver
  // stores U+FFFD in its place).
  { id: 4, doc: 'just a string', count: 0, label: 'lone \uD800 surrogate' },
  { id: 5, doc: 12.5, small: 0, label: '' },
];

const stored = async (db: ReadDb, table: 'drizzle' | 'json') =>
  table === 'drizzle'
    ? db.select().from(byDrizzle).orderBy(asc(byDrizzle.id))
    : db.select().from(byJson).orderBy(asc(byJson.id));

describe.each(readTestDatabases())('insertRows on %s', (_kind, open) => {
  let database: ReadTestDatabase;
  let db: ReadDb;

  beforeEach(async () => {
    database = await open();
    db = readDbFor(database.connection);
    for (const statement of CREATE.split(';').filter((text) => text.trim()))
      await db.execute(sql.raw(statement));
  });

  afterEach(async () => {
    await database.dispose();
  });

  it("writes exactly the rows Drizzle's insert writes, defaults and NULLs included", async () => {
    await db.insert(byDrizzle).values(rows);
    await insertRows(byJson)(db, rows);
    const expected = await stored(db, 'drizzle');
    expect(expected).toHaveLength(rows.length);
    expect(await stored(db, 'json')).toEqual(expected);
    // The defaults really applied where a row left its column unset.
    expect(expected.map((row) => [row.flag, row.count])).toEqual([
      [false, 1],
      [true, 7],
      [true, 7],
      [true, 0],
      [true, 7],
    ]);
  });

  it('keeps the first of two rows with one key under DO NOTHING, across defaulted columns', async () => {
    const keepFirst = insertRows(byJson, '("id") DO NOTHING');
    // The second row leaves a defaulted column unset: it goes in a statement of its own, in order.
    await keepFirst(db, [
      { id: 5 },
      { id: 1, label: 'first', count: 1 },
      { id: 1, label: 'second' },
    ]);
    expect((await stored(db, 'json')).map((row) => [row.id, row.label, row.count])).toEqual([
      [1, 'first', 1],
      [5, null, 7],
    ]);
  });

  it('refuses what JSON would carry as something else: a number that is not finite, a row of nothing', async () => {
    await expect(insertRows(byJson)(db, [{ id: 1, small: Number.NaN }])).rejects.toThrow(
      'insertRows: by_json.small cannot take NaN',
    );
    await expect(insertRows(byJson)(db, [{ id: Infinity }])).rejects.toThrow(
      'insertRows: by_json.id cannot take Infinity',
    );
    await expect(insertRows(byJson)(db, [{}])).rejects.toThrow(
      'insertRows: rows of by_json that set no column',
    );
    expect(await stored(db, 'json')).toEqual([]);
  });

  it('does nothing with no rows, and writes one statement for many', async () => {
    await insertRows(byJson)(db, []);
    const many = Array.from({ length: 5_000 }, (_, i) => ({ id: i, label: `row ${i}` }));
    await insertRows(byJson)(db, many);
    const [{ total }] = (
      await db.execute(sql`SELECT count(*)::int AS total FROM insert_rows_spec.by_json`)
    ).rows as { total: number }[];
    expect(total).toBe(5_000);
  });

  it('applies the ON CONFLICT clause: do nothing keeps the first, an upsert its WHERE', async () => {
    const keepFirst = insertRows(byJson, '("id") DO NOTHING');
    await keepFirst(db, [{ id: 1, label: 'first' }]);
    await keepFirst(db, [
      { id: 1, label: 'second' },
      { id: 2, label: 'new' },
    ]);
    expect((await stored(db, 'json')).map((row) => row.label)).toEqual(['first', 'new']);

    const newer = insertRows(
      byJson,
      `("id") DO UPDATE SET "label" = excluded."label", "last_revision" = excluded."last_revision" ` +
        `WHERE "insert_rows_spec"."by_json"."last_revision" < excluded."last_revision"`,
    );
    await newer(db, [
      { id: 1, label: 'revision 3', revision: 3 },
      { id: 2, label: 'revision 1', revision: 1 },
    ]);
    await newer(db, [
      { id: 1, label: 'revision 2, stale', revision: 2 },
      { id: 2, label: 'revision 4', revision: 4 },
    ]);
    expect((await stored(db, 'json')).map((row) => [row.label, row.revision])).toEqual([
      ['revision 3', 3],
      ['revision 4', 4],
    ]);
  });

  it('keeps the text of a json column as written (its key order), beside a jsonb one', async () => {
    const rawColumns = () => ({
      id: integer('id').primaryKey(),
      raw: json('raw'),
      doc: jsonb('doc'),
    });
    const rawByDrizzle = scratch.table('raw_by_drizzle', rawColumns());
    const rawByJson = scratch.table('raw_by_json', rawColumns());
    for (const name of ['raw_by_drizzle', 'raw_by_json'])
      await db.execute(
        sql.raw(
          `CREATE TABLE insert_rows_spec.${name} (id integer PRIMARY KEY, raw json, doc jsonb)`,
        ),
      );
    // jsonb would store the keys as a, b, aa (by length, then bytes); json keeps b, a, aa.
    const value = { b: 1, a: [2, { z: 'é "q"', y: null }], aa: 'x' };
    const written = [
      { id: 1, raw: value, doc: value },
      { id: 2, raw: 'a string', doc: null },
    ];
    await db.insert(rawByDrizzle).values(written);
    await insertRows(rawByJson)(db, written);
    const texts = async (name: string) =>
      (
        await db.execute(
          sql.raw(
            `SELECT id, raw::text AS raw, doc::text AS doc FROM insert_rows_spec.${name} ORDER BY id`,
          ),
        )
      ).rows;
    const expected = await texts('raw_by_drizzle');
    expect(expected[0]).toMatchObject({ raw: JSON.stringify(value) });
    expect(await texts('raw_by_json')).toEqual(expected);
  });

  it('refuses a table with a column JSON cannot carry as its input reads it', () => {
    const bytes = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
    const odd = scratch.table('odd', { id: integer('id').primaryKey(), data: bytes('data') });
    expect(() => insertRows(odd)).toThrow('insertRows: odd.data is a PgCustomColumn');
    const computed = scratch.table('computed', {
      id: integer('id').primaryKey(),
      at: text('at').$defaultFn(() => 'now'),
    });
    expect(() => insertRows(computed)).toThrow(
      'insertRows: computed.at has a default computed in JavaScript',
    );
  });
});
