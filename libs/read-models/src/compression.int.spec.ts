import { migrateReadModels } from './migrate';
import { readTestDatabases, type ReadTestDatabase } from './testing/read-databases';

/**
 * The read models' JSON and text columns compress with lz4 where the server has it (migration
 * 0011): a view is a few kilobytes of JSON written on every change of its dispute, and pglz was a
 * tenth of PostgreSQL's CPU in a rebuild. PGlite is built without lz4 and keeps pglz.
 */
describe.each(readTestDatabases())('Read-model compression on %s', (kind, open) => {
  let database: ReadTestDatabase;

  beforeAll(async () => {
    database = await open();
    await migrateReadModels(database.connection);
  });

  afterAll(() => database?.dispose());

  const query = async <T>(sql: string): Promise<T[]> => {
    const { connection } = database;
    return connection.kind === 'pglite'
      ? (await connection.db.query<T>(sql)).rows
      : (await connection.pool.query(sql)).rows;
  };

  const expected = kind === 'postgres' ? 'lz4' : 'pglz';

  it(`stores a large JSON value compressed with ${expected}`, async () => {
    const digest = JSON.stringify({
      leaves: Array.from({ length: 400 }, (_, index) => ({ index, note: 'the same words again' })),
    });
    await query(
      `INSERT INTO read_models.audit_digests (epoch, count, position, root, key_id, digest, created_at)
       VALUES (1, 1, 1, 'root', 'key', '${digest}'::jsonb, now())`,
    );
    const [row] = await query<{ method: string | null }>(
      'SELECT pg_column_compression(digest) AS method FROM read_models.audit_digests',
    );
    expect(row.method).toBe(expected);
  });

  it(`sets ${expected} on every JSON and text column of the read models`, async () => {
    const columns = await query<{ name: string; method: string }>(
      `SELECT c.relname || '.' || a.attname AS name, a.attcompression::text AS method
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'read_models' AND c.relkind = 'r' AND a.attnum > 0
          AND NOT a.attisdropped AND a.atttypid IN ('jsonb'::regtype, 'json'::regtype, 'text'::regtype)`,
    );
    expect(columns.length).toBeGreaterThan(10);
    // `l`: lz4; empty: the server's default (pglz).
    const method = kind === 'postgres' ? 'l' : '';
    expect(columns.filter((column) => column.method !== method)).toEqual([]);
  });
});
