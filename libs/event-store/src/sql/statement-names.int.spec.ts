import { Pool } from 'pg';
import { sampleEvent } from '../testing/event-store.contract';
import { describeWithPostgres } from '../testing/postgres';
import { createSqlEventStore, type SqlEventStore } from './sql-event-store';

/**
 * The store prepares its statements under names that carry its schema, and PostgreSQL cuts a
 * name at 63 bytes: with the longest schema name allowed (48 characters), two statements whose
 * names differed only past the cut collided on a connection that prepared both (42P05).
 */
describeWithPostgres('PostgreSQL event store: statement names on the longest schema', (url) => {
  const schema = `esname_${Date.now().toString(36)}_`.padEnd(48, 'x');
  let pool: Pool;
  let store: SqlEventStore;

  beforeAll(async () => {
    // One connection: every statement is prepared on it.
    pool = new Pool({ connectionString: url, max: 1 });
    pool.on('error', () => undefined);
    store = await createSqlEventStore(
      { kind: 'postgres', pool, close: () => pool.end() },
      { schema },
    );
  });

  afterAll(async () => {
    await store?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool?.end();
  });

  it('runs every read on one connection', async () => {
    expect(schema).toHaveLength(48);
    await store.append('names-1', [sampleEvent(), sampleEvent()], {
      expectedRevision: 'no_stream',
    });
    expect(await store.readStream('names-1')).toHaveLength(2);
    expect(await store.readStream('names-1', { direction: 'backwards' })).toHaveLength(2);
    const types = { eventTypes: ['DisputeOpened'] };
    expect(await store.readAll({ maxCount: 10, filter: types })).toHaveLength(2);
    expect(
      await store.readAll({ maxCount: 10, filter: { ...types, streamPrefixes: ['names-'] } }),
    ).toHaveLength(2);
    expect(
      await store.readAll({ maxCount: 10, filter: { streamPrefixes: ['names-'] } }),
    ).toHaveLength(2);
  });
});
