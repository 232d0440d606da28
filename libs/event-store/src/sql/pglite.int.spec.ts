import { PGlite } from '@electric-sql/pglite';
import type { SqlConnection } from '@arbiter/platform';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEventStoreContract, sampleEvent } from '../testing/event-store.contract';
import { uniqueSchemaName } from '../testing/postgres';
import { migrateEventStoreSchema } from './schema';
import { createSqlEventStore } from './sql-event-store';

// One PGlite instance per file (start-up takes a while); each test gets its own schema in it.
function describePglite(name: string, dataDir: () => Promise<string | undefined>) {
  let connection: SqlConnection;
  let dir: string | undefined;

  beforeAll(async () => {
    dir = await dataDir();
    const db = await PGlite.create(dir ?? 'memory://');
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
        if (connection.kind === 'pglite') await connection.db.exec(`DROP SCHEMA "${schema}" CASCADE`);
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
}

describe('PGlite in memory', () => describePglite('PGlite (memory)', async () => undefined));
describe('PGlite on disk', () =>
  describePglite('PGlite (disk)', () => mkdtemp(join(tmpdir(), 'arbiter-event-store-'))));
