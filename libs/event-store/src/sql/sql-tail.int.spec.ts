import { PGlite } from '@electric-sql/pglite';
import type { SqlConnection } from '@arbiter/platform';
import type { RecordedEvent } from '../port';
import { sampleEvent } from '../testing/event-store.contract';
import { uniqueSchemaName } from '../testing/postgres';
import { createSqlEventStore, SqlEventStore } from './sql-event-store';
import type { SqlReader } from './sql-read';
import { SqlTail } from './sql-tail';

/** The store's own reader, its window reads counted and each held until the test lets it go. */
function heldReader(store: SqlEventStore) {
  const reader = (store as unknown as { reader: SqlReader }).reader;
  const state = { inFlight: 0, mostInFlight: 0, reads: 0, release: [] as (() => void)[] };
  const held = Object.create(reader) as SqlReader;
  held.readPastFence = async (after, limit) => {
    state.reads++;
    state.inFlight++;
    state.mostInFlight = Math.max(state.mostInFlight, state.inFlight);
    try {
      const result = await reader.readPastFence(after, limit);
      await new Promise<void>((resolve) => state.release.push(resolve));
      return result;
    } finally {
      state.inFlight--;
    }
  };
  return { reader: held, state };
}

const positions = (events: readonly RecordedEvent[]) => events.map((event) => event.position);

describe('SqlTail: the log end read once for every live subscription (PGlite)', () => {
  let connection: SqlConnection;
  let store: SqlEventStore;

  beforeAll(async () => {
    const db = await PGlite.create('memory://');
    connection = { kind: 'pglite', db, close: () => db.close() };
  });

  afterAll(() => connection?.close());

  beforeEach(async () => {
    store = await createSqlEventStore(connection, { schema: uniqueSchemaName('tail') });
  });

  afterEach(() => store?.close());

  it('never reads the log end twice at once, even when a queued read and a waiting reader meet', async () => {
    for (let i = 0; i < 20; i++)
      await store.append(`s-${i}`, [sampleEvent()], { expectedRevision: 'no_stream' });
    const all = await store.readAll({});
    const { reader, state } = heldReader(store);
    // Pages of 5: a reader wanting more waits for page after page.
    const tail = new SqlTail(reader, 1_000, 5);

    // A reads from the start: the first page is read (and held).
    const a = tail.read(all[0].position, 100, undefined);
    while (state.release.length === 0) await new Promise((resolve) => setImmediate(resolve));
    // An append's wake-up, then B: the page in flight predates it, so B queues the next read.
    tail.touch();
    const b = tail.read(all[0].position, 100, undefined);
    // The first page ends: A, which wants more, asks for another page at the same moment as
    // B's queued read starts. From here on every read is let go as soon as it is held.
    let settled = false;
    const both = Promise.all([a, b]).finally(() => (settled = true));
    while (!settled) {
      state.release.splice(0).forEach((release) => release());
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [gotA, gotB] = await both;

    expect(state.mostInFlight).toBe(1);
    expect(positions(gotA)).toEqual(positions(all.slice(1)));
    expect(positions(gotB)).toEqual(positions(all.slice(1)));
  });

  it('refuses a window or page of no events (a read of none would count as a full page)', () => {
    const reader = (store as unknown as { reader: SqlReader }).reader;
    expect(() => new SqlTail(reader, 100, 0)).toThrow(
      "The event store's tail window (tailWindow): page must be a whole number above zero, got 0",
    );
    expect(() => new SqlTail(reader, -1, 10)).toThrow(RangeError);
  });
});
