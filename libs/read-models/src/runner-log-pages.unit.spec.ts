import {
  createEventStore,
  type EventStore,
  type ReadAllOptions,
  type RecordedEvent,
} from '@arbiter/event-store';
import { randomUUID } from 'node:crypto';
import { LogPages } from './runner-log-pages';
import { START_POSITION } from './schema';

/** The store, its `readAll` counted and, when `gate` is set, held until it is opened. */
function counted(store: EventStore) {
  const state = {
    reads: 0,
    gate: undefined as Promise<void> | undefined,
  };
  const wrapped = Object.create(store) as EventStore;
  wrapped.readAll = async (options?: ReadAllOptions) => {
    state.reads++;
    const events = await store.readAll(options);
    if (state.gate) await state.gate;
    return events;
  };
  return { store: wrapped, state };
}

async function appendOne(store: EventStore, type: string): Promise<void> {
  await store.append(`s-${randomUUID()}`, [{ id: randomUUID(), type, data: {}, metadata: {} }], {
    expectedRevision: 'no_stream',
  });
}

const ids = (events: readonly RecordedEvent[]) => events.map((event) => event.id);

describe('LogPages: the log read once for the projections catching up on it', () => {
  let memory: EventStore;

  beforeEach(async () => {
    memory = await createEventStore({ kind: 'memory' });
    for (let i = 0; i < 300; i++) await appendOne(memory, i % 3 === 0 ? 'A' : 'B');
  });

  afterEach(() => memory.close());

  it('gives each filter exactly the events a filtered readAll gives, reading the store once per page', async () => {
    const { store, state } = counted(memory);
    const pages = new LogPages(store, 1_000, 100);
    const head = await memory.headPosition();
    for (const types of [['A'], ['B'], ['A', 'B']]) {
      const filter = { eventTypes: types };
      let after = START_POSITION;
      const read: RecordedEvent[] = [];
      for (;;) {
        const batch = await pages.read(after, 40, filter, head);
        read.push(...batch);
        if (batch.length < 40) break;
        after = batch[batch.length - 1].position;
      }
      expect(ids(read)).toEqual(ids(await memory.readAll({ filter })));
    }
    // 300 events in pages of 100, read once for the three filters (not 3 x 3 pages or more).
    expect(state.reads).toBeLessThanOrEqual(4);
  });

  it('reads the store itself for a reader behind the window', async () => {
    const { store, state } = counted(memory);
    const pages = new LogPages(store, 100, 100);
    const head = await memory.headPosition();
    const all = await memory.readAll({});
    // Move the window to the end of the log.
    expect(await pages.read(all[250].position, 100, {}, head)).toHaveLength(49);
    const before = state.reads;
    const early = await pages.read(START_POSITION, 10, { eventTypes: ['A'] }, head);
    expect(ids(early)).toEqual(
      ids(await memory.readAll({ maxCount: 10, filter: { eventTypes: ['A'] } })),
    );
    expect(state.reads).toBe(before + 1);
  });

  it('never answers short from a page read that started before the call', async () => {
    const { store, state } = counted(memory);
    const pages = new LogPages(store, 1_000, 1_000);
    const all = await memory.readAll({});
    let open!: () => void;
    state.gate = new Promise<void>((resolve) => (open = resolve));
    // A first catch-up starts a page read, which has read the log and is held before answering.
    const first = pages.read(START_POSITION, 1_000, {}, all[all.length - 1].position);
    await new Promise((resolve) => setImmediate(resolve));
    // Meanwhile an event is appended; a second catch-up reads the head (which includes it).
    await appendOne(memory, 'A');
    const head = await memory.headPosition();
    const second = pages.read(START_POSITION, 1_000, { eventTypes: ['A'] }, head);
    state.gate = undefined;
    open();
    expect(await first).toHaveLength(300);
    // The shared page came back short without the new event: the second reads again for it.
    const got = await second;
    expect(got.at(-1)?.position).toBe(head);
    expect(ids(got)).toEqual(ids(await memory.readAll({ filter: { eventTypes: ['A'] } })));
  });

  it('reads the store itself when the page it waited for pushed the window past it', async () => {
    const { store } = counted(memory);
    // A window of 100 events, pages of 150: a page coming into a full window drops its oldest.
    const pages = new LogPages(store, 100, 150);
    const all = await memory.readAll({});
    const last = all[all.length - 1].position;
    // A first catch-up leaves the window holding events 150..249, full.
    await pages.read(all[99].position, 100, {}, all[199].position);
    // A catch-up at the window's start wants more than it holds: it waits for the next page,
    // 250..299, which is short (the end of the log) and pushes 150..199 out of the window.
    const got = await pages.read(all[149].position, 500, {}, last);
    expect(ids(got)).toEqual(ids(all.slice(150)));
  });

  it('refuses a window or page of no events (a read of none never comes back short)', () => {
    expect(() => new LogPages(memory, 10, 0)).toThrow(
      "The runner's catch-up window (catchUpWindow): page must be a whole number above zero, got 0",
    );
    expect(() => new LogPages(memory, 0.5, 10)).toThrow(RangeError);
  });
});
