import { randomBytes, randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import {
  createSqlEventStore,
  type DataKey,
  type EventStore,
  PersonalDataEventStore,
  type PersonKeys,
  personalDataMarkOf,
} from '@arbiter/event-store';
import { ERASED } from '../domain';
import { verifyChain } from './audit-chain';
import { Decider, handleCommand } from './command-handling';

type Posted = {
  type: 'MessagePosted';
  data: { disputeId: string; at: string; by: { id: string; role: string }; body: string };
};
type Post = { by: { id: string; role: string }; body: string };
const poster: Decider<Post, Posted, number> = {
  initialState: 0,
  evolve: (state) => state + 1,
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
const system = { id: 'scheduler', role: 'system' };

/** Keys in memory: the key store has its own tests; here the command side's use of them counts. */
function memoryKeys(): PersonKeys & { keys: Map<string, DataKey | null> } {
  const keys = new Map<string, DataKey | null>();
  const live = new Map<string, DataKey>();
  return {
    keys,
    getOrCreate: async (personId) => {
      let key = live.get(personId);
      if (!key) {
        key = { keyId: randomUUID(), key: randomBytes(32) };
        live.set(personId, key);
        keys.set(key.keyId, key);
      }
      return key;
    },
    get: async (keyId) => keys.get(keyId) ?? null,
    destroy: async (personId) => {
      const key = live.get(personId);
      live.delete(personId);
      if (key) keys.set(key.keyId, null);
      return { destroyed: key ? [key.keyId] : [], destroyedBefore: false };
    },
  };
}

describe('handleCommand with personal data keys (PGlite)', () => {
  let db: PGlite;
  let stored: EventStore;
  let keys: ReturnType<typeof memoryKeys>;
  let store: PersonalDataEventStore;

  beforeEach(async () => {
    db = await PGlite.create('memory://');
    stored = await createSqlEventStore({ kind: 'pglite', db, close: () => db.close() });
    keys = memoryKeys();
    store = new PersonalDataEventStore(stored, { keys, erased: ERASED });
  });
  afterEach(async () => {
    await store.close();
  });

  const post = (by: Post['by'], body: string, commandId = randomUUID()) =>
    handleCommand(store, 'dispute-d-1', { by, body }, poster, { commandId, actor: by });

  it("stores the writer's text encrypted, hashes the stored bytes, and answers in plaintext", async () => {
    const handled = await post(buyer, 'my home address is here');
    expect(handled.appended[0].data).toMatchObject({ body: 'my home address is here' });
    const [raw] = await stored.readStream('dispute-d-1');
    expect(JSON.stringify(raw.data)).not.toContain('home address');
    expect(personalDataMarkOf(raw.metadata)).toMatchObject({
      subject: 'buyer-1',
      alg: 'A256GCM',
      paths: ['body'],
    });
    expect(raw.metadata.hash).toBe(handled.appended[0].metadata.hash);
    expect((await store.readStream('dispute-d-1'))[0].data).toMatchObject({
      body: 'my home address is here',
    });
    await post(buyer, 'second');
    expect(verifyChain(await stored.readStream('dispute-d-1'))).toMatchObject({ intact: true });
    // Erased: the text reads as the marker, the chain over the stored bytes still holds.
    await keys.destroy('buyer-1', 'PRIV-1');
    expect((await store.readStream('dispute-d-1')).map((e) => e.data)).toEqual([
      expect.objectContaining({ body: ERASED, by: buyer }),
      expect.objectContaining({ body: ERASED }),
    ]);
    expect(verifyChain(await stored.readStream('dispute-d-1'))).toMatchObject({
      intact: true,
      events: 2,
    });
  });

  it('replays a command id, also when copies race (each encrypts with its own IV)', async () => {
    const commandId = randomUUID();
    const answers = await Promise.all([
      post(buyer, 'once', commandId),
      post(buyer, 'once', commandId),
      post(buyer, 'once', commandId),
    ]);
    expect(await stored.readStream('dispute-d-1')).toHaveLength(1);
    expect(answers.filter((answer) => !answer.replayed)).toHaveLength(1);
    const again = await post(buyer, 'once', commandId);
    expect(again).toMatchObject({ replayed: true, appended: [] });
    expect(again.history[0].data).toMatchObject({ body: 'once' });
  });

  it('leaves the system’s events, and those of a store without keys, in plaintext', async () => {
    await post(system, 'a reminder');
    const [raw] = await stored.readStream('dispute-d-1');
    expect(raw.data).toMatchObject({ body: 'a reminder' });
    expect(personalDataMarkOf(raw.metadata)).toBeUndefined();
    await handleCommand(stored, 'dispute-d-1', { by: buyer, body: 'legacy' }, poster, {
      commandId: randomUUID(),
      actor: buyer,
    });
    expect((await stored.readStream('dispute-d-1'))[1].data).toMatchObject({ body: 'legacy' });
    expect((await store.readStream('dispute-d-1'))[1].data).toMatchObject({ body: 'legacy' });
    expect(verifyChain(await stored.readStream('dispute-d-1'))).toMatchObject({ intact: true });
  });
});
