import { randomBytes, randomUUID } from 'node:crypto';
import {
  createKurrentDbEventStore,
  createSqlEventStore,
  type DataKey,
  type EventStore,
  MemoryEventStore,
  PersonalDataEventStore,
  type PersonKeys,
  rewriteStoredStreams,
  WrongExpectedRevisionError,
} from '@arbiter/event-store';
import {
  type KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  uniqueSchemaName,
} from '@arbiter/event-store/testing';
import { openSqlConnection, type SqlConnection } from '@arbiter/platform';
import { ERASED } from '../domain';
import { chainHash, GENESIS_HASH, verifyChain } from './audit-chain';
import { Decider, handleCommand } from './command-handling';
import { StateCache } from './state-cache';

// A counter that refuses to pass 50: whether a command is refused depends on every event before
// it, so a cache that missed one decides differently from a full read.
type Event = { type: 'Incremented'; data: { by: number } };
type Command = { type: 'Increment'; by: number };
const counter: Decider<Command, Event, number> = {
  initialState: 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command, state) => {
    if (state + command.by > 50) throw Object.assign(new Error('too much'), { code: 'LIMIT' });
    return [{ type: 'Incremented', data: { by: command.by } }];
  },
};
const actor = { id: 'u-1', role: 'buyer' };

const increment = (
  store: EventStore,
  streamId: string,
  by: number,
  cache?: StateCache,
  commandId: string = randomUUID(),
) =>
  handleCommand(
    store,
    streamId,
    { type: 'Increment', by },
    counter,
    { commandId, actor },
    { cache },
  );

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: { code?: string }) => error.code ?? String(error),
  );

/** A store that hands every call to `store` (whose own calls stay its own), some replaced. */
function delegating(store: EventStore, replaced: Partial<EventStore>): EventStore {
  return {
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    ...replaced,
  };
}

/** The store, with the `from` of every `readStream` call recorded. */
function spied(store: EventStore): EventStore & { reads: unknown[] } {
  const reads: unknown[] = [];
  const readStream: EventStore['readStream'] = (streamId, options) => {
    reads.push(options?.from);
    return store.readStream(streamId, options);
  };
  return Object.assign(delegating(store, { readStream }), { reads });
}

interface Opened {
  store: EventStore;
  /** Rewrites the stream's stored events in place (SQL only), as a maintenance command does. */
  rewrite?: (streamId: string, data: (revision: bigint) => unknown) => Promise<void>;
  cleanup(): Promise<void>;
}

function cacheSuite(open: () => Promise<Opened>) {
  let opened: Opened[] = [];
  const fresh = async () => {
    const o = await open();
    opened.push(o);
    return o;
  };
  afterEach(async () => {
    for (const o of opened) await o.cleanup();
    opened = [];
  });

  it('reads only the tail on a hit, from the cached last revision inclusive', async () => {
    const { store } = await fresh();
    const reading = spied(store);
    const cache = new StateCache();
    for (let i = 0; i < 5; i++) await increment(reading, 's-tail', 1, cache);
    // The first command finds nothing; the next ones read from the last revision they saw.
    expect(reading.reads).toEqual([undefined, undefined, 0n, 1n, 2n]);
    const again = await increment(reading, 's-tail', 1, cache);
    expect(again).toMatchObject({ state: 6, revision: 5n });
    expect(again.history).toHaveLength(6);
    expect(cache.size).toEqual({ streams: 1, events: 5 });
  });

  it('sees what another process appended: the tail read, never the cached state, decides', async () => {
    const { store } = await fresh();
    const mine = new StateCache();
    const theirs = new StateCache();
    await increment(store, 's-other', 30, mine);
    await increment(store, 's-other', 20, theirs);
    await increment(store, 's-other', 0, undefined); // a process without a cache
    // Mine still holds 30; the store holds 50: one more is refused, as a full read decides.
    expect(await codeOf(increment(store, 's-other', 1, mine))).toBe('LIMIT');
    const handled = await increment(store, 's-other', 0, mine);
    expect(handled).toMatchObject({ state: 50, revision: 3n });
    expect(handled.history.map((e) => (e.data as Event['data']).by)).toEqual([30, 20, 0, 0]);
    expect(verifyChain(await store.readStream('s-other'))).toMatchObject({ intact: true });
  });

  it('reads the whole stream again when the cached last event differs (other content, same ids)', async () => {
    const { store: first } = await fresh();
    const { store: second } = await fresh();
    const cache = new StateCache();
    // The same command ids (so the same event ids) with other content: only the hashes differ.
    for (const [i, by] of [10, 10].entries()) await increment(first, 's-same', by, cache, `c-${i}`);
    for (const [i, by] of [40, 10].entries())
      await increment(second, 's-same', by, undefined, `c-${i}`);
    const [a, b] = [await first.readStream('s-same'), await second.readStream('s-same')];
    expect(a.map((e) => e.id)).toEqual(b.map((e) => e.id));
    expect(await codeOf(increment(second, 's-same', 1, cache))).toBe('LIMIT');
    expect(await increment(second, 's-same', 0, cache)).toMatchObject({ state: 50 });
  });

  it('reads the whole stream again when it is shorter than the cache remembers', async () => {
    const { store: long } = await fresh();
    const { store: short } = await fresh();
    const cache = new StateCache();
    for (let i = 0; i < 3; i++) await increment(long, 's-short', 5, cache);
    await increment(short, 's-short', 45, undefined);
    expect(await codeOf(increment(short, 's-short', 6, cache))).toBe('LIMIT');
    expect(await increment(short, 's-short', 5, cache)).toMatchObject({ state: 50, revision: 1n });
  });

  it('replays an old command id with the state it left, a recent one with the cached state', async () => {
    const { store } = await fresh();
    const cache = new StateCache();
    await increment(store, 's-replay', 1, cache, 'cmd-1');
    await increment(store, 's-replay', 2, cache, 'cmd-2');
    await increment(store, 's-replay', 4, cache, 'cmd-3');
    const old = await increment(store, 's-replay', 99, cache, 'cmd-1');
    expect(old).toMatchObject({ state: 1, revision: 0n, replayed: true, appended: [] });
    expect(old.history).toHaveLength(1);
    const latest = await increment(store, 's-replay', 99, cache, 'cmd-3');
    expect(latest).toMatchObject({ state: 7, revision: 2n, replayed: true });
    expect(latest.history).toHaveLength(3);
    // A command id recorded elsewhere in the stream with another fingerprint is refused.
    await handleCommand(store, 's-replay', { type: 'Increment', by: 1 }, counter, {
      commandId: 'cmd-4',
      actor,
      requestHash: 'a',
    });
    const reused = handleCommand(
      store,
      's-replay',
      { type: 'Increment', by: 1 },
      counter,
      { commandId: 'cmd-4', actor, requestHash: 'b' },
      { cache },
    );
    expect(await codeOf(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('finds every command id of a long stream, however many tails it was read in', async () => {
    const { store } = await fresh();
    const cache = new StateCache();
    // One command per tail read: the index is layered and merged along the way.
    for (let i = 0; i < 40; i++) await increment(store, 's-index', 1, cache, `cmd-${i}`);
    for (const i of [0, 15, 16, 17, 33, 38]) {
      const again = await increment(store, 's-index', 1, cache, `cmd-${i}`);
      expect(again).toMatchObject({ state: i + 1, revision: BigInt(i), replayed: true });
    }
    // The last one, its events not read by the cache yet when it was appended.
    expect(await increment(store, 's-index', 1, cache, 'cmd-39')).toMatchObject({
      state: 40,
      replayed: true,
    });
  });

  it('decides again on the re-read tail after losing a race', async () => {
    const { store } = await fresh();
    const cache = new StateCache();
    await increment(store, 's-race', 40, cache);
    // Another writer appends between this command's read and its append.
    let raced = false;
    let raceBy = 5;
    const racing = delegating(store, {
      append: async (...args) => {
        if (!raced) {
          raced = true;
          await increment(store, 's-race', raceBy, undefined);
        }
        return store.append(...args);
      },
    });
    const handled = await increment(racing, 's-race', 5, cache);
    expect(handled).toMatchObject({ state: 50, revision: 2n });
    expect(await codeOf(increment(store, 's-race', 1, cache))).toBe('LIMIT');
    // With no attempt left, the conflict comes through, as without a cache.
    raced = false;
    raceBy = 0;
    const once = handleCommand(
      racing,
      's-race',
      { type: 'Increment', by: 0 },
      counter,
      { commandId: randomUUID(), actor },
      { cache, maxAttempts: 1 },
    );
    await expect(once).rejects.toBeInstanceOf(WrongExpectedRevisionError);
  });

  it('keeps concurrent commands of one process on one stream whole', async () => {
    const { store } = await fresh();
    const cache = new StateCache();
    await increment(store, 's-many', 1, cache);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        handleCommand(
          store,
          's-many',
          { type: 'Increment', by: 1 },
          counter,
          { commandId: randomUUID(), actor },
          { cache, maxAttempts: 60 },
        ),
      ),
    );
    expect(results.map((r) => r.state).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    expect(await increment(store, 's-many', 0, cache)).toMatchObject({ state: 21, revision: 21n });
    expect(verifyChain(await store.readStream('s-many'))).toMatchObject({
      intact: true,
      events: 22,
    });
  });

  it('stays within its bounds: streams, then events', async () => {
    const { store } = await fresh();
    const cache = new StateCache({ maxStreams: 2, maxEvents: 5 });
    // Each stream's second command reads (and keeps) its first event.
    for (const streamId of ['s-1', 's-2', 's-3']) {
      await increment(store, streamId, 1, cache);
      await increment(store, streamId, 1, cache);
    }
    expect(cache.size).toEqual({ streams: 2, events: 2 });
    for (let i = 0; i < 4; i++) await increment(store, 's-3', 1, cache);
    // s-3 keeps five events (the last one appended is not read yet): s-2 goes.
    expect(cache.size).toEqual({ streams: 1, events: 5 });
    // Longer than the whole bound: not kept, still decided right.
    await increment(store, 's-3', 1, cache);
    expect(cache.size).toEqual({ streams: 0, events: 0 });
    expect(await increment(store, 's-3', 0, cache)).toMatchObject({ state: 7 });
  });

  it('reads a stream rewritten in place whole (the chain re-hashed from the change on)', async () => {
    const { store, rewrite } = await fresh();
    if (!rewrite) return; // only SQL stores are rewritten in place
    const cache = new StateCache();
    await increment(store, 's-rewritten', 10, cache);
    await increment(store, 's-rewritten', 10, cache);
    await rewrite('s-rewritten', (revision) => ({ by: revision === 0n ? 40 : 10 }));
    expect(verifyChain(await store.readStream('s-rewritten'))).toMatchObject({ intact: true });
    expect(await codeOf(increment(store, 's-rewritten', 1, cache))).toBe('LIMIT');
    expect(await increment(store, 's-rewritten', 0, cache)).toMatchObject({ state: 50 });
  });
}

/** Rewrites a SQL store's stream with new data and a chain recomputed over it. */
const sqlRewrite =
  (connection: SqlConnection, schema: string) =>
  async (streamId: string, data: (revision: bigint) => unknown) => {
    await rewriteStoredStreams(
      connection,
      [streamId],
      (_, events) => {
        let previous = GENESIS_HASH;
        return events.map((event) => {
          const { hash: _old, ...metadata } = event.metadata;
          const next = { ...event, data: data(event.revision), metadata };
          previous = chainHash(previous, { ...next, streamId });
          return {
            position: event.position,
            data: next.data,
            metadata: { ...metadata, hash: previous },
          };
        });
      },
      schema,
    );
  };

describe('StateCache on the memory store', () => {
  cacheSuite(async () => ({ store: new MemoryEventStore(), cleanup: async () => undefined }));
});

describe('StateCache on PGlite', () => {
  let connection: SqlConnection;
  beforeAll(async () => {
    connection = await openSqlConnection({ kind: 'pglite' });
  });
  afterAll(async () => {
    await connection.close();
  });
  cacheSuite(async () => {
    const schema = uniqueSchemaName('sc');
    return {
      store: await createSqlEventStore(connection, { schema }),
      rewrite: sqlRewrite(connection, schema),
      cleanup: async () => undefined,
    };
  });
});

describeWithPostgres('StateCache on PostgreSQL', (url) => {
  cacheSuite(async () => {
    const test = await openPostgresTestSchema(url, { prefix: 'sc', create: false });
    return {
      store: await createSqlEventStore(test.connection, { schema: test.schema }),
      rewrite: sqlRewrite(test.connection, test.schema),
      cleanup: test.cleanup,
    };
  });
});

describe('StateCache on the KurrentDB stand-in', () => {
  let standIn: KurrentDbStandIn;
  beforeAll(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
  });
  afterAll(async () => {
    await standIn.stop();
  });
  cacheSuite(async () => {
    const store = createKurrentDbEventStore(standIn.url, {
      streamPrefix: `t${randomUUID().replace(/-/g, '')}.`,
      idlePollMs: 500,
    });
    return { store, cleanup: () => store.close() };
  });
});

// Personal text: a cached entry must never answer with text whose key is gone.
type Posted = {
  type: 'MessagePosted';
  data: { disputeId: string; at: string; by: { id: string; role: string }; body: string };
};
type Post = { by: { id: string; role: string }; body: string };
const poster: Decider<Post, Posted, string[]> = {
  initialState: [],
  evolve: (bodies, event) => [...bodies, event.data.body],
  decide: (command) => [
    {
      type: 'MessagePosted',
      data: {
        disputeId: 'd-1',
        at: '2026-03-05T10:00:00.000Z',
        by: command.by,
        body: command.body,
      },
    },
  ],
};
const buyer = { id: 'buyer-1', role: 'buyer' };
const seller = { id: 'seller-1', role: 'seller' };

/**
 * Keys in memory, each destroyed one null from then on. `destroyOnNextGet(person)`: the next
 * lookup of their key still answers it and destroys it at once (a key destroyed while a read
 * opens its events).
 */
function memoryKeys(): PersonKeys & { destroyOnNextGet(personId: string): void } {
  const keys = new Map<string, DataKey | null>();
  const live = new Map<string, DataKey>();
  let doomed: string | undefined;
  const destroy = async (personId: string) => {
    const key = live.get(personId);
    live.delete(personId);
    if (key) keys.set(key.keyId, null);
    return { destroyed: key ? [key.keyId] : [], destroyedBefore: false };
  };
  return {
    getOrCreate: async (personId: string) => {
      let key = live.get(personId);
      if (!key) {
        key = { keyId: randomUUID(), key: randomBytes(32) };
        live.set(personId, key);
        keys.set(key.keyId, key);
      }
      return key;
    },
    get: async (keyId: string) => {
      const key = keys.get(keyId) ?? null;
      const person = doomed;
      if (key && person !== undefined && live.get(person)?.keyId === keyId) {
        doomed = undefined;
        await destroy(person);
      }
      return key;
    },
    destroy,
    destroyOnNextGet: (personId: string) => {
      doomed = personId;
    },
  };
}

describe('StateCache and erased personal data (PGlite)', () => {
  let connection: SqlConnection;
  let store: PersonalDataEventStore;
  let keys: ReturnType<typeof memoryKeys>;
  beforeEach(async () => {
    connection = await openSqlConnection({ kind: 'pglite' });
    keys = memoryKeys();
    store = new PersonalDataEventStore(await createSqlEventStore(connection), {
      keys,
      erased: ERASED,
    });
  });
  afterEach(async () => {
    await connection.close();
  });

  const post = (by: Post['by'], body: string, cache?: StateCache) =>
    handleCommand(
      store,
      'dispute-d-1',
      { by, body },
      poster,
      { commandId: randomUUID(), actor: by },
      { cache },
    );

  it('answers the first command after a key is destroyed with the text erased', async () => {
    const cache = new StateCache();
    await post(buyer, 'my address', cache);
    await post(seller, 'my phone', cache);
    await post(buyer, 'warm', cache);
    expect(cache.size.events).toBe(2);
    await keys.destroy(buyer.id, 'PRIV-1');
    const handled = await post(seller, 'after', cache);
    expect(handled.state).toEqual([ERASED, 'my phone', ERASED, 'after']);
    expect(handled.history.map((e) => (e.data as Posted['data']).body)).toEqual(handled.state);
    // And the entry kept from now on holds the erased text, still checked on each use.
    const next = await post(seller, 'later', cache);
    expect(next.state).toEqual([ERASED, 'my phone', ERASED, 'after', 'later']);
  });

  it('erases text the tail brought in the clear under a key destroyed during the read', async () => {
    const cache = new StateCache();
    await post(seller, 'first', cache);
    await post(seller, 'second', cache);
    await post(buyer, 'mine'); // written by a process without this cache
    keys.destroyOnNextGet(buyer.id);
    // The tail read opens 'mine' with the key, which is gone by the time the cache checks it.
    const handled = await post(seller, 'third', cache);
    expect(handled.state).toEqual(['first', 'second', ERASED, 'third']);
  });

  it('erases text a full read brought in the clear under a key destroyed during the read', async () => {
    const cache = new StateCache();
    await post(buyer, 'mine');
    await post(seller, 'yours');
    keys.destroyOnNextGet(buyer.id);
    const handled = await post(seller, 'more', cache);
    expect(handled.state).toEqual([ERASED, 'yours', 'more']);
    expect(cache.size.events).toBe(2);
  });
});
