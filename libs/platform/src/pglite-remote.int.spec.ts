import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, TransactionAbortedError, messages, types } from '@electric-sql/pglite';
import { databaseFault } from './database-errors';
import { PGliteRemote } from './pglite-remote';
import { emptyDatabaseTemplate, pgliteWasmModules } from './pglite-wasm';

/**
 * PGlite in a worker thread must answer exactly as PGlite on the caller's thread: the same values
 * (parsed here from the thread's raw text), the same errors, the same transaction and LISTEN
 * behaviour. Each case runs on both and compares.
 */
describe('PGlite in a worker thread', () => {
  let remote: PGliteRemote;
  let local: PGlite;

  beforeAll(async () => {
    [remote, local] = await Promise.all([PGliteRemote.create('memory://'), PGlite.create()]);
    for (const db of [remote, local]) {
      await db.exec(`
        CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, body jsonb, at timestamptz);
        CREATE TYPE mood AS ENUM ('calm', 'tense');`);
    }
  });
  afterAll(async () => {
    await Promise.all([remote?.close(), local?.close()]);
  });

  const VALUES = `SELECT
      '2026-05-01T10:20:30.123+02'::timestamptz AS tz, '2026-05-01 10:20:30'::timestamp AS ts,
      '2026-05-01'::date AS d, '1 day 02:00'::interval AS iv,
      42::int8 AS small8, 9007199254740993::int8 AS big8, 7::int2 AS i2, 1.5::float8 AS f8,
      123456789012345678901234.5678::numeric AS num, true AS yes,
      '{"a": [1, {"b": null}], "c": "é"}'::jsonb AS jb, '{"x": 1}'::json AS js,
      '\\x00ff10'::bytea AS bin, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id,
      ARRAY[1, NULL, 3] AS ints, ARRAY['a,b', 'c"d', NULL] AS texts,
      ARRAY['2026-01-01T00:00:00Z'::timestamptz] AS tzs, ARRAY['{"k": 1}'::jsonb] AS jbs,
      ARRAY[1.25::numeric] AS nums, ARRAY[ARRAY[1, 2], ARRAY[3, 4]] AS grid,
      'tense'::mood AS feeling, NULL::text AS nothing, NULL::int8 AS nothing8`;

  it('returns the same values, types and fields in both row modes', async () => {
    for (const rowMode of ['object', 'array'] as const) {
      const [a, b] = await Promise.all([
        remote.query(VALUES, [], { rowMode }),
        local.query(VALUES, [], { rowMode }),
      ]);
      expect(a).toEqual(b);
      expect(a.rows[0]).toEqual(b.rows[0]);
    }
    const row = (await remote.query<Record<string, unknown>>(VALUES)).rows[0];
    expect(row.tz).toBeInstanceOf(Date);
    expect(row.big8).toBe(9007199254740993n);
    expect(row.small8).toBe(42);
    expect(row.bin).toEqual(new Uint8Array([0, 255, 16]));
    expect(row.tzs).toEqual([new Date('2026-01-01T00:00:00Z')]);
    expect(row.grid).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("applies the caller's parsers over PGlite's as PGlite does (Drizzle keeps dates as text)", async () => {
    const options = {
      rowMode: 'array' as const,
      parsers: {
        [types.TIMESTAMPTZ]: (value: string) => value,
        [types.INT8]: (value: string) => `int8:${value}`,
        1185: (value: string) => value,
      },
    };
    const [a, b] = await Promise.all([
      remote.query(VALUES, [], options),
      local.query(VALUES, [], options),
    ]);
    expect(a).toEqual(b);
    expect(a.rows[0]).toContain('2026-05-01 08:20:30.123+00');
  });

  it('sends parameters as PGlite serializes them', async () => {
    const params = [
      new Date('2026-03-04T05:06:07.089Z'),
      12345678901234567890n,
      Buffer.from([1, 2, 3]),
      { nested: { list: [1, 'two', null] }, when: new Date(0) },
      ['x', null, 'z'],
      null,
      undefined,
      true,
      3.25,
    ];
    const sql = `SELECT $1::timestamptz AS a, $2::numeric AS b, $3::bytea AS c, $4::jsonb AS d,
      $5::text[] AS e, $6::text AS f, $7::int AS g, $8::bool AS h, $9::float8 AS i`;
    const [a, b] = await Promise.all([remote.query(sql, params), local.query(sql, params)]);
    expect(a).toEqual(b);
  });

  it('answers multi-statement exec with every result set', async () => {
    const sql = `SELECT 1 AS one; SELECT now() AS at, 'x' AS x; UPDATE items SET name = name WHERE false`;
    const [a, b] = await Promise.all([remote.exec(sql), local.exec(sql)]);
    expect(a).toEqual(b.map((results) => ({ ...results, rows: expect.any(Array) })));
    expect(a).toHaveLength(3);
    expect(a[1].rows[0]).toEqual({ at: expect.any(Date), x: 'x' });
  });

  it("carries the server's error fields (SQLSTATE, detail, constraint) as PGlite's DatabaseError", async () => {
    const insert = 'INSERT INTO items (id, name) VALUES ($1, $2)';
    const failures = await Promise.all(
      [remote, local].map(async (db) => {
        await db.query(insert, [1, 'first']);
        return db.query(insert, [1, 'again']).then(
          () => undefined,
          (error: unknown) => error,
        );
      }),
    );
    const [a, b] = failures as (messages.DatabaseError & Record<string, unknown>)[];
    expect(a).toBeInstanceOf(messages.DatabaseError);
    expect(a.code).toBe('23505');
    for (const field of [
      'message',
      'code',
      'detail',
      'constraint',
      'table',
      'schema',
      'severity',
    ]) {
      expect([field, a[field]]).toEqual([field, b[field]]);
    }
    expect(a.query).toBe(insert);
    expect(a.params).toEqual([1, 'again']);
    const syntax = await remote.query('SELEC 1').catch((error: unknown) => error);
    expect(syntax).toMatchObject({ code: '42601', position: expect.any(String) });
    // The fault logic reads SQLSTATEs: a serialization failure is contention, as in-thread.
    const contention = await remote
      .query(`DO $$ BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = '40001'; END $$`)
      .catch((error: unknown) => error);
    expect(databaseFault(contention)).toEqual({ fault: 'contention', answered: true });
    await Promise.all([remote, local].map((db) => db.query('DELETE FROM items')));
  });

  it('fails a statement at parse, bind or execution as PGlite does, and the next one runs', async () => {
    const cases: [string, unknown[]][] = [
      ['SELECT nope FROM items', []], // parse: undefined column
      ['SELECT $1::int AS n', ['abc']], // bind: invalid input syntax
      ['SELECT $1::bool AS b', [2]], // PGlite's serializer refuses before sending
      ['SELECT 1 / $1::int AS n', [0]], // execution: division by zero
    ];
    for (const [sql, params] of cases) {
      const [a, b] = (await Promise.all(
        [remote, local].map((db) => db.query(sql, params).catch((error: unknown) => error)),
      )) as Record<string, unknown>[];
      expect([sql, a.message, a.code]).toEqual([sql, b.message, b.code]);
      const [next, expected] = await Promise.all(
        [remote, local].map((db) => db.query('SELECT $1::text AS ok', ['fine'])),
      );
      expect(next).toEqual(expected);
    }
    const typed = await remote.query('SELECT $1 AS n', ['7'], { paramTypes: [types.INT8] });
    expect(typed).toEqual(await local.query('SELECT $1 AS n', ['7'], { paramTypes: [types.INT8] }));
  });

  it('commits, rolls back on a throw and on rollback(), and refuses a closed transaction', async () => {
    const count = async (db: PGliteRemote | PGlite) =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0].n;
    const result = await remote.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES (10, $1)', ['kept']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0].n;
    });
    expect(result).toBe(1);
    await expect(
      remote.transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name) VALUES (11, 'gone')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    let kept: Parameters<Parameters<PGliteRemote['transaction']>[0]>[0] | undefined;
    await remote.transaction(async (tx) => {
      kept = tx;
      await tx.query(`INSERT INTO items (id, name) VALUES (12, 'gone')`);
      await tx.rollback();
      expect(tx.closed).toBe(true);
    });
    expect(await count(remote)).toBe(1);
    await expect(kept!.query('SELECT 1')).rejects.toThrow('Transaction is closed');
    // An error swallowed inside leaves the transaction aborted: COMMIT rolls back, as in-thread.
    const aborted = await Promise.all(
      [remote, local].map((db) =>
        db
          .transaction(async (tx) => {
            await tx.query('SELECT 1/0').catch(() => undefined);
          })
          .catch((error: unknown) => error),
      ),
    );
    expect(aborted[0]).toBeInstanceOf(TransactionAbortedError);
    expect(aborted[0]).toMatchObject({ code: (aborted[1] as { code: string }).code });
    await remote.query('DELETE FROM items');
  });

  it('makes a query outside the open transaction wait for it, as in-thread', async () => {
    const order: string[] = [];
    let outside: Promise<unknown> | undefined;
    await remote.transaction(async (tx) => {
      await tx.query(`INSERT INTO items (id, name) VALUES (20, 'in tx')`);
      outside = remote
        .query<{ n: number }>('SELECT count(*)::int AS n FROM items')
        .then((result) => order.push(`outside saw ${result.rows[0].n}`));
      // Several round trips to the thread while the outside query is queued behind the transaction.
      for (let i = 0; i < 5; i++) await tx.query('SELECT pg_sleep(0.01)');
      order.push('tx done');
    });
    await outside;
    expect(order).toEqual(['tx done', 'outside saw 1']);
    await remote.query('DELETE FROM items');
  });

  it('delivers NOTIFY payloads to listeners on the main thread, until unlistened', async () => {
    const received: string[] = [];
    const unlisten = await remote.listen('wake_up', (payload) => received.push(payload));
    await remote.query(`SELECT pg_notify('wake_up', 'first')`);
    await remote.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('wake_up', 'on commit')`);
    });
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['first', 'on commit']);
    await unlisten();
    await remote.query(`SELECT pg_notify('wake_up', 'unheard')`);
    await remote.query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual(['first', 'on commit']);
  });

  it('lets the event loop turn while a query runs (in-thread PGlite holds it)', async () => {
    const slow = `SELECT sum(i) AS total FROM generate_series(1, 2000000) AS i`;
    const turnsDuring = async (db: PGliteRemote | PGlite) => {
      let done = false;
      let turns = 0;
      const query = db.query(slow).then(() => (done = true));
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!done) turns++;
      }
      await query;
      return turns;
    };
    expect(await turnsDuring(local)).toBe(0);
    expect(await turnsDuring(remote)).toBeGreaterThan(0);
  });

  it('keeps its data on disk across a close, and finishes work under way before closing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'arbiter-pglite-thread-'));
    try {
      const first = await PGliteRemote.create(dir);
      await first.exec('CREATE TABLE notes (body text)');
      const pending = first.query(`INSERT INTO notes VALUES ('written before close')`);
      await first.close();
      await expect(pending).resolves.toMatchObject({ affectedRows: 1 });
      expect(first.closed).toBe(true);
      await expect(first.query('SELECT 1')).rejects.toThrow('PGlite is closed');
      const again = await PGliteRemote.create(dir);
      expect((await again.query('SELECT body FROM notes')).rows).toEqual([
        { body: 'written before close' },
      ]);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Every PGlite thread runs the PGlite the process compiled once (pglite-wasm.ts), handed to it
 * when it starts, rather than compiling its own: a thread that compiled PostgreSQL anew would
 * start with `wasm` swapped and never show it.
 */
describe('PGlite threads and the process-wide compiled PGlite and empty cluster', () => {
  it('compiles PGlite once per process and hands every thread that one module', async () => {
    const first = await pgliteWasmModules();
    expect(await pgliteWasmModules()).toBe(first);

    // A thread started with initdb's module in place of the server's cannot run PostgreSQL:
    // proof that it instantiates what it is given.
    const swapped = {
      pgliteWasmModule: first.initdbWasmModule,
      initdbWasmModule: first.initdbWasmModule,
    };
    await expect(PGliteRemote.create('memory://', swapped)).rejects.toThrow();

    // An in-memory database starts from one empty cluster made once for the process, the same
    // cluster initdb makes.
    expect(await emptyDatabaseTemplate()).toBe(await emptyDatabaseTemplate());
    const initdb = await PGlite.create('memory://');
    const [a, b] = await Promise.all([
      PGliteRemote.create('memory://'),
      PGliteRemote.create('memory://'),
    ]);
    try {
      await a.exec('CREATE TABLE t (n int)');
      await a.query('INSERT INTO t VALUES (1)');
      expect((await a.query<{ n: number }>('SELECT n FROM t')).rows).toEqual([{ n: 1 }]);
      // Same compiled code, separate databases.
      await expect(b.query('SELECT n FROM t')).rejects.toMatchObject({ code: '42P01' });
      const cluster = `SELECT (SELECT array_agg(datname ORDER BY datname) FROM pg_database) AS dbs,
        (SELECT count(*) FROM pg_tables) AS tables, current_setting('server_version') AS version,
        datcollate, datctype, pg_encoding_to_char(encoding) AS encoding
        FROM pg_database WHERE datname = current_database()`;
      expect((await b.query(cluster)).rows).toEqual((await initdb.query(cluster)).rows);
    } finally {
      await Promise.all([a.close(), b.close(), initdb.close()]);
    }
  });
});
