import { PGlite } from '@electric-sql/pglite';
import { PGliteRemote, type EmbeddedDatabase, type SqlConnection } from '@arbiter/platform';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventStoreContract, sampleEvent } from '../testing/event-store.contract';
import { uniqueSchemaName } from '../testing/postgres';
import { migrateEventStoreSchema } from './schema';
import { AppendLockTooLateError, createSqlEventStore } from './sql-event-store';
import { pgliteRunner } from './sql-runner';

// One PGlite instance per file (start-up takes a while); each test gets its own schema in it.
function describePglite(
  name: string,
  dataDir: () => Promise<string | undefined>,
  open: (dir: string) => Promise<EmbeddedDatabase> = (dir) => PGlite.create(dir),
) {
  let connection: SqlConnection;
  let dir: string | undefined;

  beforeAll(async () => {
    dir = await dataDir();
    const db = await open(dir ?? 'memory://');
    connection = { kind: 'pglite', db, close: () => db.close() };
  });

  afterAll(async () => {
    await connection?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describeEventStoreContract(name, async () => {
    const schema = uniqueSchemaName('es');
    const store = await createSqlEventStore(connection, { schema });
    return {
      store,
      cleanup: async () => {
        if (connection.kind === 'pglite')
          await connection.db.exec(`DROP SCHEMA "${schema}" CASCADE`);
      },
    };
  });

  it(`${name}: the migration is idempotent and keeps the data`, async () => {
    const schema = uniqueSchemaName('es');
    const store = await createSqlEventStore(connection, { schema });
    await store.append('s', [sampleEvent()]);
    await migrateEventStoreSchema(connection, schema);
    const again = await createSqlEventStore(connection, { schema });
    expect((await again.readStream('s')).length).toBe(1);
    await Promise.all([store.close(), again.close()]);
  });

  it(`${name}: a transaction appending after other writes must take the append lock first`, async () => {
    const schema = uniqueSchemaName('es');
    const store = await createSqlEventStore(connection, { schema });
    if (connection.kind !== 'pglite') throw new Error('expected PGlite');
    const db = connection.db;
    await expect(
      db.transaction(async (tx) => {
        await tx.exec(
          `CREATE TABLE "${schema}".scratch (x int); INSERT INTO "${schema}".scratch VALUES (1)`,
        );
        await store.appendVia(pgliteRunner(tx), 'late', [sampleEvent()]);
      }),
    ).rejects.toBeInstanceOf(AppendLockTooLateError);
    await db.transaction(async (tx) => {
      await store.lockForAppend(pgliteRunner(tx));
      await tx.exec(
        `CREATE TABLE "${schema}".scratch (x int); INSERT INTO "${schema}".scratch VALUES (1)`,
      );
      await store.appendVia(pgliteRunner(tx), 'early', [sampleEvent()]);
    });
    expect((await store.readAll()).map((event) => event.streamId)).toEqual(['early']);
    expect(await store.headPosition()).toBe((await store.readAll())[0].position);
    await store.close();
  });

  it(`${name}: reads of the log run one statement, no fence (one connection: no append can be open under a read)`, async () => {
    const schema = uniqueSchemaName('es');
    if (connection.kind !== 'pglite') throw new Error('expected PGlite');
    const statements: string[] = [];
    const db = connection.db;
    const counted = new Proxy(db, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property, object);
        if (property !== 'query' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(object) : value;
        return (sql: string, ...rest: unknown[]) => {
          statements.push(sql);
          return (value as (...args: unknown[]) => unknown).call(object, sql, ...rest);
        };
      },
    });
    const store = await createSqlEventStore({ ...connection, db: counted }, { schema });
    await store.append('s', [sampleEvent(), sampleEvent()]);
    statements.length = 0;
    expect(await store.readAll()).toHaveLength(2);
    expect(await store.headPosition()).toBeGreaterThan(0n);
    expect(statements).toHaveLength(2);
    expect(statements.join('\n')).not.toMatch(/pg_locks/);
    await store.close();
  });

  it(`${name}: refuses to start when stored transaction ids are ahead of the cluster's (a restore into a new cluster)`, async () => {
    const schema = uniqueSchemaName('es');
    const store = await createSqlEventStore(connection, { schema });
    await store.append('s', [sampleEvent()]);
    await store.close();
    if (connection.kind !== 'pglite') throw new Error('expected PGlite');
    // Test-only SQL: a row as a restored dump leaves it, written by an xid this cluster has not reached.
    await connection.db.query(
      `INSERT INTO "${schema}".events (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
       SELECT (x + 1000000) << 20, (x + 1000000)::text::xid8, 'from-another-cluster', 0, 'e-future', 'T', '{}', '{}'
         FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS x) s`,
    );
    await expect(createSqlEventStore(connection, { schema })).rejects.toThrow(
      /refusing to start.*pg_resetwal -e \d+ -x \d+.*re-import the events through the application/,
    );
  });
}

describe('PGlite in memory', () => describePglite('PGlite (memory)', async () => undefined));
describe('PGlite on disk', () =>
  describePglite('PGlite (disk)', () => mkdtemp(join(tmpdir(), 'arbiter-event-store-'))));
// The gateway's default: PGlite in a worker thread, seen through PGliteRemote.
describe('PGlite in a worker thread', () =>
  describePglite(
    'PGlite (thread)',
    async () => undefined,
    (dir) => PGliteRemote.create(dir),
  ));
