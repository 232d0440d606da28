import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrateReadModels } from './migrate';
import { developmentPersonalDataKey, SqlPersonKeys } from './person-keys';
import { readTestDatabases, type ReadTestDatabase } from './testing/read-databases';

const masterKey = randomBytes(32);

describe.each(readTestDatabases())('SqlPersonKeys on %s', (_kind, open) => {
  let database: ReadTestDatabase;
  const opened: SqlPersonKeys[] = [];
  const keysOn = async (
    options: { cacheTtlMs?: number; again?: boolean; master?: Buffer } = {},
  ) => {
    const connection = options.again ? await database.connectAgain() : database.connection;
    const keys = new SqlPersonKeys(connection, {
      masterKey: options.master ?? masterKey,
      cacheTtlMs: options.cacheTtlMs,
    });
    opened.push(keys);
    return keys;
  };

  beforeEach(async () => {
    database = await open();
    await migrateReadModels(database.connection);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((keys) => keys.close()));
    await database.dispose();
  });

  const rows = async () => {
    const sql =
      'SELECT key_id, person_id, wrapped_key, destroyed_at, destroy_reason FROM read_models.person_keys ORDER BY created_at';
    const connection = database.connection;
    return connection.kind === 'pglite'
      ? (await connection.db.query<Record<string, unknown>>(sql)).rows
      : (await connection.pool.query(sql)).rows;
  };

  it('keeps one key per person, stored wrapped, and unwraps it in another instance', async () => {
    const keys = await keysOn();
    const first = await keys.getOrCreate('buyer-1');
    expect(first.key).toHaveLength(32);
    expect(await keys.getOrCreate('buyer-1')).toEqual(first);
    const [row] = await rows();
    expect(row).toMatchObject({ key_id: first.keyId, person_id: 'buyer-1', destroyed_at: null });
    // Wrapped: the stored value is not the key, and opens only with the master key.
    expect(Buffer.from(row.wrapped_key as string, 'base64').includes(first.key)).toBe(false);
    const other = await keysOn({ again: true });
    expect(await other.get(first.keyId)).toEqual(first);
    expect(await other.getOrCreate('buyer-1')).toEqual(first);
    const wrongMaster = await keysOn({ again: true, master: randomBytes(32) });
    await expect(wrongMaster.get(first.keyId)).rejects.toThrow(/does not unwrap/);
    expect(await keys.get('no-such-key')).toBeNull();
  });

  it('creates one key for concurrent first uses', async () => {
    const [a, b] = [await keysOn(), await keysOn({ again: true })];
    const created = await Promise.all([a.getOrCreate('p'), b.getOrCreate('p'), a.getOrCreate('p')]);
    expect(new Set(created.map((key) => key.keyId)).size).toBe(1);
  });

  it('destroys a key for good, idempotently, and a new use gets a new key', async () => {
    const keys = await keysOn();
    const key = await keys.getOrCreate('buyer-1');
    expect(await keys.destroy('buyer-1', 'PRIV-1')).toEqual({
      destroyed: [key.keyId],
      destroyedBefore: false,
    });
    expect(await keys.get(key.keyId)).toBeNull();
    expect(await keys.destroy('buyer-1', 'PRIV-1')).toEqual({
      destroyed: [],
      destroyedBefore: true,
    });
    expect(await keys.destroy('nobody', 'PRIV-2')).toEqual({
      destroyed: [],
      destroyedBefore: false,
    });
    const [row] = await rows();
    expect(row).toMatchObject({ wrapped_key: null, destroy_reason: 'PRIV-1' });
    expect(row.destroyed_at).not.toBeNull();
    const next = await keys.getOrCreate('buyer-1');
    expect(next.keyId).not.toBe(key.keyId);
  });

  it('a key destroyed in one instance stops decrypting in another that had it cached', async () => {
    const writer = await keysOn({ cacheTtlMs: 3_600_000 });
    const reader = await keysOn({ again: true, cacheTtlMs: 3_600_000 });
    const key = await writer.getOrCreate('buyer-1');
    expect(await reader.get(key.keyId)).toEqual(key); // cached for an hour from here
    expect(await reader.getOrCreate('buyer-1')).toEqual(key);
    await writer.destroy('buyer-1', 'PRIV-1');
    const deadline = Date.now() + 5_000;
    while ((await reader.get(key.keyId)) !== null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await reader.get(key.keyId)).toBeNull();
    expect((await reader.getOrCreate('buyer-1')).keyId).not.toBe(key.keyId);
  });

  it('without the notification, the TTL still ends a cached key', async () => {
    let now = 0;
    const reader = new SqlPersonKeys(await database.connectAgain(), {
      masterKey,
      cacheTtlMs: 1_000,
      now: () => now,
    });
    opened.push(reader);
    const writer = await keysOn();
    const key = await writer.getOrCreate('buyer-1');
    expect(await reader.get(key.keyId)).toEqual(key);
    await reader.close(); // stops listening: only the TTL is left
    await writer.destroy('buyer-1', 'PRIV-1');
    now += 1_001;
    expect(await reader.get(key.keyId)).toBeNull();
  });
});

describe('developmentPersonalDataKey', () => {
  it('is kept in its file, readable by its owner only, and the same on the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-pd-'));
    try {
      const file = join(dir, 'data', 'personal-data.key');
      const key = developmentPersonalDataKey(file);
      expect(key).toHaveLength(32);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toEqual(key);
      expect(developmentPersonalDataKey(file)).toEqual(key);
      expect(developmentPersonalDataKey(undefined)).not.toEqual(key);
      // A file that never holds a key is refused, not replaced (data written under it would be lost).
      const broken = join(dir, 'broken.key');
      writeFileSync(broken, 'not a key\n');
      expect(() => developmentPersonalDataKey(broken)).toThrow(/does not hold a 32-byte key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
