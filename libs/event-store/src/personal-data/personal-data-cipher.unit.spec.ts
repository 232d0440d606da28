import { randomBytes } from 'node:crypto';
import { MemoryEventStore } from '../memory/memory-event-store';
import type { RecordedEvent } from '../port';
import type { DataKey, PersonKeys } from './person-keys';
import {
  decryptValue,
  encryptLegacyEvent,
  encryptValue,
  markFor,
  openPersonalFields,
  PERSONAL_DATA_ALG,
  personalDataMarkOf,
  sealPersonalFields,
} from './personal-data-cipher';
import { PersonalDataEventStore } from './personal-data-event-store';

const ERASED = '[erased]';
const key: DataKey = { keyId: 'key-1', key: randomBytes(32) };
const data = {
  disputeId: 'd-1',
  description: 'The parcel arrived crushed',
  address: { line1: '1 Rue de la Paix', city: 'Paris', postcode: '75002', floor: 3 },
  content: { items: ['first line', 'second line'], file: null },
  amount: { cents: 1200, currency: 'EUR' },
};
const PATHS = ['description', 'address', 'content.items', 'content.file.sha256', 'missing'];

describe('personal data cipher', () => {
  it('round-trips a value, with a fresh IV each time', () => {
    const a = encryptValue(key.key, 'e-1', 'description', 'hello');
    const b = encryptValue(key.key, 'e-1', 'description', 'hello');
    expect(a).not.toBe(b);
    expect(a).not.toContain('hello');
    expect(decryptValue(key.key, 'e-1', 'description', a)).toBe('hello');
  });

  it('refuses a value moved to another event, another path, or opened with another key', () => {
    const sealed = encryptValue(key.key, 'e-1', 'description', 'hello');
    expect(() => decryptValue(key.key, 'e-2', 'description', sealed)).toThrow();
    expect(() => decryptValue(key.key, 'e-1', 'comment', sealed)).toThrow();
    expect(() => decryptValue(randomBytes(32), 'e-1', 'description', sealed)).toThrow();
    expect(() => decryptValue(key.key, 'e-1', 'description', 'c2hvcnQ=')).toThrow(
      /Not an encrypted/,
    );
  });

  it('encrypts every string leaf under the paths present, keeping shapes and other fields', () => {
    const sealed = sealPersonalFields(data, PATHS, 'e-1', key.key);
    expect(sealed.paths).toEqual(['description', 'address', 'content.items']);
    const out = sealed.data as typeof data;
    expect(JSON.stringify(out)).not.toMatch(/crushed|Paix|Paris|75002|first line/);
    expect(out.address.floor).toBe(3);
    expect(out.content.items).toHaveLength(2);
    expect(out.amount).toEqual(data.amount);
    expect(out.disputeId).toBe('d-1');
    expect(data.description).toBe('The parcel arrived crushed'); // not mutated
    const mark = markFor('buyer-1', key, sealed.paths);
    expect(openPersonalFields(sealed.data, mark, 'e-1', key.key, ERASED)).toEqual(data);
  });

  it('reads every encrypted string as the erased marker without the key, each field keeping its type', () => {
    const sealed = sealPersonalFields(data, PATHS, 'e-1', key.key);
    const mark = markFor('buyer-1', key, sealed.paths);
    expect(openPersonalFields(sealed.data, mark, 'e-1', null, ERASED)).toEqual({
      ...data,
      description: ERASED,
      address: { line1: ERASED, city: ERASED, postcode: ERASED, floor: 3 },
      content: { items: [ERASED, ERASED], file: null },
    });
    // A value that does not open (altered bytes, or moved) reads erased too, never crashes a read.
    expect(openPersonalFields(sealed.data, mark, 'e-other', key.key, ERASED)).toMatchObject({
      description: ERASED,
    });
  });

  it('tells marked events from legacy ones by their metadata only', () => {
    expect(personalDataMarkOf({})).toBeUndefined();
    expect(personalDataMarkOf({ personalData: { subject: 'x' } })).toBeUndefined();
    expect(personalDataMarkOf({ personalData: markFor('p', key, ['a']) })).toEqual({
      subject: 'p',
      keyId: 'key-1',
      alg: PERSONAL_DATA_ALG,
      paths: ['a'],
    });
  });

  it('encrypts a legacy stored event as appends do, and leaves a marked one alone', () => {
    const legacy = { id: 'e-9', data, metadata: { actor: { id: 'buyer-1', role: 'buyer' } } };
    const migrated = encryptLegacyEvent(legacy, 'buyer-1', key, PATHS);
    const mark = personalDataMarkOf(migrated.metadata);
    expect(mark).toEqual(markFor('buyer-1', key, ['description', 'address', 'content.items']));
    expect(JSON.stringify(migrated.data)).not.toContain('crushed');
    expect(openPersonalFields(migrated.data, mark!, 'e-9', key.key, ERASED)).toEqual(data);
    expect(encryptLegacyEvent(migrated, 'buyer-1', key, PATHS)).toBe(migrated);
    // Nothing personal present: unchanged, unmarked.
    const bare = { id: 'e-10', data: { disputeId: 'd' }, metadata: {} };
    expect(encryptLegacyEvent(bare, 'buyer-1', key, PATHS)).toBe(bare);
  });
});

describe('PersonalDataEventStore', () => {
  const keys = new Map<string, DataKey | null>([[key.keyId, key]]);
  const personKeys: PersonKeys = {
    getOrCreate: async () => key,
    get: async (id) => keys.get(id) ?? null,
    destroy: async () => ({ destroyed: [], destroyedBefore: false }),
  };

  it('opens reads, passes legacy events unchanged, and reads erased once the key is gone', async () => {
    const inner = new MemoryEventStore();
    const store = new PersonalDataEventStore(inner, { keys: personKeys, erased: ERASED });
    const sealed = sealPersonalFields(data, PATHS, 'e-1', key.key);
    await store.append('dispute-d-1', [
      {
        id: 'e-1',
        type: 'DisputeOpened',
        data: sealed.data,
        metadata: { personalData: markFor('buyer-1', key, sealed.paths) },
      },
      { id: 'e-2', type: 'MessagePosted', data: { body: 'legacy plaintext' }, metadata: {} },
    ]);
    const read = await store.readStream('dispute-d-1');
    expect(read.map((e) => e.data)).toEqual([data, { body: 'legacy plaintext' }]);
    expect((await inner.readAll())[0].data).toEqual(sealed.data); // stored bytes stay ciphertext

    const subscription = store.subscribeToAll();
    const delivered: RecordedEvent[] = [];
    for await (const event of subscription) {
      delivered.push(event);
      if (delivered.length === 2) break;
    }
    await subscription.close();
    expect(delivered[0].data).toEqual(data);

    keys.set(key.keyId, null);
    const [erased] = await store.readAll();
    expect((erased.data as typeof data).description).toBe(ERASED);
    expect((erased.data as typeof data).amount).toEqual(data.amount);
    await store.close();
  });
});
