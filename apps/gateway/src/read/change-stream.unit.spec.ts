import { decodeEventCursor } from '@arbiter/analytics';
import { MemoryEventStore, type RecordedEvent, type Subscription } from '@arbiter/event-store';
import { sampleEvent } from '@arbiter/event-store/testing';
import { ChangeStream, type ChangeItem, type ChangeStreamHooks } from './change-stream';

const disputeOf = (event: RecordedEvent) => (event.data as { disputeId: string }).disputeId;

async function append(store: MemoryEventStore, disputeId: string, type = 'MessagePosted') {
  return (await store.append(`dispute-${disputeId}`, [sampleEvent(type, { disputeId })])).position;
}

function stream(
  store: MemoryEventStore,
  options: { after?: bigint; capacity?: number; stallMs?: number } = {},
  read: (disputeId: string, position: bigint) => Promise<string | null> = async (id) => id,
  source: Subscription = store.subscribeToAll({ after: options.after ?? 0n }),
  hooks?: ChangeStreamHooks,
) {
  return new ChangeStream(
    source,
    disputeOf,
    read,
    {
      after: options.after ?? 0n,
      capacity: options.capacity ?? 100,
      stallMs: options.stallMs ?? 1_000,
    },
    hooks,
  ).start();
}

async function take(s: ChangeStream<string>, count: number): Promise<ChangeItem<string>[]> {
  const items: ChangeItem<string>[] = [];
  while (items.length < count) {
    const next = await s.next();
    if (next.done) break;
    items.push(next.value);
  }
  return items;
}

describe('ChangeStream', () => {
  let store: MemoryEventStore;
  beforeEach(() => {
    store = new MemoryEventStore();
  });

  it('sends each changed dispute once with its latest position, oldest latest change first', async () => {
    await append(store, 'a');
    const bLatest = await append(store, 'b');
    const aLatest = await append(store, 'a');
    const cLatest = await append(store, 'c');
    const s = stream(store);
    // Let the catch-up read everything before the first take, so a's changes collapse.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const items = await take(s, 3);
    await s.return();
    expect(items.map((i) => i.change?.value)).toEqual(['b', 'a', 'c']);
    expect(items.map((i) => decodeEventCursor(i.change!.cursor))).toEqual([
      bLatest,
      aLatest,
      cLatest,
    ]);
  });

  it('resumes after a cursor: what changed after it, nothing before', async () => {
    const before = await append(store, 'old');
    await append(store, 'new');
    const s = stream(store, { after: before });
    const [item] = await take(s, 1);
    const live = append(store, 'later');
    const [next] = await take(s, 1);
    await s.return();
    expect(item.change?.value).toBe('new');
    expect(next.change).toEqual({ cursor: expect.any(String), value: 'later' });
    expect(decodeEventCursor(next.change!.cursor)).toBe(await live);
  });

  it('skips disputes the read turns down, and a cursor only names what was sent', async () => {
    await append(store, 'hidden');
    const shown = await append(store, 'shown');
    const s = stream(store, {}, async (id) => (id === 'hidden' ? null : id));
    const [item] = await take(s, 1);
    await s.return();
    expect(item.change?.value).toBe('shown');
    expect(decodeEventCursor(item.change!.cursor)).toBe(shown);
  });

  describe('sends nothing the subscriber already has', () => {
    interface View {
      id: string;
      sequence: number;
      listed: boolean;
    }
    const told = (view: View) => ({ sequence: view.sequence, listed: view.listed });
    let read: bigint[];
    beforeEach(() => {
      read = [];
    });

    /** A remembering stream whose reads are noted in `read`, and what it sends, as `id:sequence:in|out`. */
    function remembering(
      view: (disputeId: string, position: bigint) => Promise<View | null>,
      options: { remembered?: number; source?: Subscription } = {},
    ) {
      const s = new ChangeStream(
        options.source ?? store.subscribeToAll({ after: 0n }),
        disputeOf,
        async (disputeId, position) => {
          read.push(position);
          return view(disputeId, position);
        },
        { after: 0n, capacity: 100, stallMs: 1_000, told, remembered: options.remembered },
      ).start();
      const got: string[] = [];
      const collecting = (async () => {
        for (let next = await s.next(); !next.done; next = await s.next()) {
          const v = next.value.change?.value as View;
          got.push(`${v.id}:${v.sequence}:${v.listed ? 'in' : 'out'}`);
        }
      })();
      return {
        got,
        async stop() {
          await s.return();
          await collecting;
        },
      };
    }

    /** Appends a change and waits until the stream read it (so no two changes merge). */
    async function changeAndRead(id: string): Promise<bigint> {
      const position = await append(store, id);
      while (!read.includes(position)) await new Promise((resolve) => setTimeout(resolve, 2));
      return position;
    }

    it('one message for a dispute whose view already showed its later changes', async () => {
      for (let i = 0; i < 4; i++) await append(store, 'a');
      // The first read starts at the first change and sees all four, while the stream queues the
      // other three: they bring nothing newer and are not sent.
      const inner = store.subscribeToAll({ after: 0n });
      let reading!: () => void;
      const started = new Promise<void>((resolve) => (reading = resolve));
      const source: Subscription = {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const event of inner) {
            yield event;
            if (++n === 1) await started;
          }
        },
      };
      const s = remembering(
        async (id) => {
          reading();
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { id, sequence: (await store.readStream(`dispute-${id}`)).length, listed: true };
        },
        { source },
      );
      await changeAndRead('b');
      while (!s.got.includes('b:1:in')) await new Promise((resolve) => setTimeout(resolve, 2));
      await s.stop();
      expect(s.got).toEqual(['a:4:in', 'b:1:in']);
    });

    it('a dispute that left the list is told once, then again only when it is back', async () => {
      const listed = new Map<string, boolean>();
      const s = remembering(async (id, position) => ({
        id,
        sequence: Number(position),
        listed: listed.get(id) ?? true,
      }));
      for (const [id, inList] of [
        ['q', true],
        ['q', false], // taken
        ['q', false], // a note on the taken case: nothing new for this list
        ['q', false],
        ['q', true], // back
        ['r', true],
      ] as const) {
        listed.set(id, inList);
        await changeAndRead(id);
      }
      await s.stop();
      expect(s.got).toEqual(['q:1:in', 'q:2:out', 'q:5:in', 'r:6:in']);
    });

    it('never sends an older view after a newer one, and forgets the least recently sent first', async () => {
      const views: View[] = [
        { id: 'a', sequence: 2, listed: true },
        { id: 'a', sequence: 1, listed: true }, // a lagging read: older than what was sent
        { id: 'b', sequence: 1, listed: true },
        { id: 'c', sequence: 1, listed: true }, // with room for two, 'a' is forgotten here
        { id: 'a', sequence: 2, listed: true }, // so sent again: a repeat, never a gap
        { id: 'c', sequence: 1, listed: true },
        { id: 'd', sequence: 1, listed: true },
      ];
      const s = remembering(async () => views.shift() ?? null, { remembered: 2 });
      for (const id of ['a', 'a', 'b', 'c', 'a', 'c', 'd']) await changeAndRead(id);
      await s.stop();
      expect(s.got).toEqual(['a:2:in', 'b:1:in', 'c:1:in', 'a:2:in', 'd:1:in']);
    });
  });

  it('cuts off a subscriber that takes nothing while full, naming the last cursor it was sent', async () => {
    for (const id of ['a', 'b', 'c', 'd']) await append(store, id);
    const hooks = { overflowed: jest.fn(), ended: jest.fn() };
    const s = stream(store, { capacity: 2, stallMs: 50 }, undefined, undefined, hooks);
    const [first] = await take(s, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.waiting).toBe(0);
    const [end, done] = [await s.next(), await s.next()];
    expect(end.value).toEqual({
      end: {
        code: 'SUBSCRIBER_TOO_SLOW',
        message: expect.stringContaining('resume from resumeAfter'),
        resumeAfter: first.change!.cursor,
      },
    });
    expect(done.done).toBe(true);
    expect(hooks.overflowed).toHaveBeenCalledTimes(1);
    expect(hooks.ended).toHaveBeenCalledTimes(1);
  });

  it('holds at most `capacity` disputes while its subscriber keeps taking, however far behind', async () => {
    for (let i = 0; i < 20; i++) await append(store, `d${i}`);
    const s = stream(store, { capacity: 3, stallMs: 1_000 });
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [item] = await take(s, 1);
      expect(s.waiting).toBeLessThanOrEqual(3);
      seen.push(item.change!.value);
    }
    await s.return();
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`));
  });

  it('ends with EVENT_FEED_INTERRUPTED and the resume cursor when reading fails', async () => {
    const at = await append(store, 'a');
    const failing: Subscription = {
      close: async () => undefined,
      async *[Symbol.asyncIterator]() {
        yield* [];
        throw new Error('Connection terminated unexpectedly');
      },
    };
    const s = stream(store, { after: at }, undefined, failing);
    const [end] = await take(s, 1);
    expect(end.end).toMatchObject({
      code: 'EVENT_FEED_INTERRUPTED',
      resumeAfter: expect.any(String),
    });
    expect(decodeEventCursor(end.end!.resumeAfter)).toBe(at);
    const broken = stream(store, {}, async () => {
      throw new Error('read model down');
    });
    const [readEnd] = await take(broken, 1);
    expect(readEnd.end?.code).toBe('EVENT_FEED_INTERRUPTED');
  });
});
