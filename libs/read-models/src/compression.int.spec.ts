import { openSqlConnection, type SqlConnection } from '@arbiter/platform';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { migrateReadModels } from './migrate';
import { createPostgresTestDatabase } from './testing/read-databases';

/**
 * The product's PostgreSQL sessions compress what they store with lz4 where the server has it
 * (`compressWithLz4WhereAvailable`): a view is a few kilobytes of JSON written on every change of its
 * dispute, and pglz was a tenth of PostgreSQL's CPU in a rebuild. PGlite is built without lz4 and
 * keeps pglz. Through `openSqlConnection`, as the gateway, the worker and the CLI open theirs.
 */
const url = postgresTestUrl();
const targets: [string, () => Promise<{ connection: SqlConnection; drop(): Promise<void> }>][] = [
  [
    'pglite',
    async () => {
      const connection = await openSqlConnection({ kind: 'pglite' });
      return { connection, drop: async () => undefined };
    },
  ],
];
if (url) {
  targets.push([
    'postgres',
    async () => {
      const database = await createPostgresTestDatabase(url, 'rm_lz4');
      const connection = await openSqlConnection({ kind: 'postgres', url: database.url });
      return { connection, drop: () => database.drop() };
    },
  ]);
}

describe.each(targets)('Read-model compression on %s', (kind, open) => {
  let opened: Awaited<ReturnType<typeof open>>;

  beforeAll(async () => {
    opened = await open();
    await migrateReadModels(opened.connection);
  });

  afterAll(async () => {
    await opened?.connection.close();
    await opened?.drop();
  });

  const query = async <T>(sql: string): Promise<T[]> => {
    const { connection } = opened;
    return connection.kind === 'pglite'
      ? (await connection.db.query<T>(sql)).rows
      : (await connection.pool.query(sql)).rows;
  };

  it('stores a large view with lz4 where the server has it, pglz elsewhere', async () => {
    const [server] = await query<{ lz4: boolean }>(
      `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    const digest = JSON.stringify({
      leaves: Array.from({ length: 400 }, (_, index) => ({ index, note: 'the same words again' })),
    });
    // Several sessions of the pool: each sets it when it connects.
    await Promise.all(
      Array.from({ length: 4 }, (_, count) =>
        query(
          `INSERT INTO read_models.audit_digests (epoch, count, position, root, key_id, digest, created_at)
           VALUES (1, ${count}, 1, 'root', 'key', '${digest}'::jsonb, now())`,
        ),
      ),
    );
    const rows = await query<{ method: string | null }>(
      'SELECT pg_column_compression(digest) AS method FROM read_models.audit_digests',
    );
    // PGlite has no lz4; a PostgreSQL server built without it keeps pglz too.
    expect(rows.map((row) => row.method)).toEqual(Array(4).fill(server.lz4 ? 'lz4' : 'pglz'));
    if (kind === 'pglite') expect(server.lz4).toBe(false);
  });
});
