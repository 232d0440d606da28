import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ERASED } from '@arbiter/disputes/read-side';
import type { DataKey, DestroyedKeys, PersonalDataOptions, PersonKeys } from '@arbiter/event-store';
import type { AppConfig, SqlConnection } from '@arbiter/platform';

/** The channel a destroyed key is announced on, so every process drops it from its cache. */
export const PERSON_KEYS_CHANNEL = 'read_models_person_keys';
const TABLE = 'read_models.person_keys';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Past this many cached keys, expired ones are swept before another is added. */
const MAX_CACHED_KEYS = 10_000;

export interface SqlPersonKeysOptions {
  /** The master key (PERSONAL_DATA_KEY): 32 bytes. Every data key is stored wrapped with it. */
  masterKey: Buffer;
  /**
   * How long an unwrapped key (or the news that a key is gone) is kept in memory. A destroyed key
   * is dropped at once in this process and, through NOTIFY, in the others; the TTL bounds how long
   * a process that missed the notification may still decrypt with it. Default 30 s.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/**
 * Per-person data keys in the shared SQL database (`read_models.person_keys`, present in every
 * running mode, KurrentDB's too), each wrapped with the master key (AES-256-GCM, the key id as
 * additional data). Unwrapped keys are cached briefly; `destroy` empties the wrapped key and
 * announces it with pg_notify, so other processes' caches forget it within moments. Call
 * `close()` to stop listening.
 */
export class SqlPersonKeys implements PersonKeys {
  private readonly byKeyId = new Map<string, Cached<DataKey | null>>();
  private readonly liveOf = new Map<string, Cached<DataKey>>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private listener: Promise<{ stop(): Promise<void> } | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly connection: SqlConnection,
    private readonly options: SqlPersonKeysOptions,
  ) {
    if (options.masterKey.length !== KEY_BYTES)
      throw new Error('The personal data master key must be 32 bytes');
    this.ttlMs = options.cacheTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async getOrCreate(personId: string): Promise<DataKey> {
    await this.listen();
    const cached = this.fresh(this.liveOf.get(personId));
    if (cached) return cached;
    const keyId = randomUUID();
    const key = randomBytes(KEY_BYTES);
    // A concurrent creation for the same person wins the partial unique index; both then read it.
    await this.query(
      `INSERT INTO ${TABLE} (key_id, person_id, wrapped_key) VALUES ($1, $2, $3)
       ON CONFLICT (person_id) WHERE destroyed_at IS NULL DO NOTHING`,
      [keyId, personId, this.wrap(keyId, key)],
    );
    const [row] = await this.query<{ key_id: string; wrapped_key: string }>(
      `SELECT key_id, wrapped_key FROM ${TABLE} WHERE person_id = $1 AND destroyed_at IS NULL`,
      [personId],
    );
    if (!row) throw new Error('The personal data key was destroyed while it was being created');
    const live = { keyId: row.key_id, key: this.unwrap(row.key_id, row.wrapped_key) };
    this.remember(live.keyId, live, personId);
    return live;
  }

  async get(keyId: string): Promise<DataKey | null> {
    await this.listen();
    const cached = this.byKeyId.get(keyId);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const [row] = await this.query<{ person_id: string; wrapped_key: string | null }>(
      `SELECT person_id, wrapped_key FROM ${TABLE} WHERE key_id = $1`,
      [keyId],
    );
    const key =
      row?.wrapped_key == null ? null : { keyId, key: this.unwrap(keyId, row.wrapped_key) };
    this.remember(keyId, key, row?.person_id);
    return key;
  }

  async destroy(personId: string, reason: string): Promise<DestroyedKeys> {
    const destroyed = await this.query<{ key_id: string }>(
      `UPDATE ${TABLE} SET wrapped_key = NULL, destroyed_at = now(), destroy_reason = $2
       WHERE person_id = $1 AND destroyed_at IS NULL RETURNING key_id`,
      [personId, reason],
    );
    const before = await this.query<{ key_id: string }>(
      `SELECT key_id FROM ${TABLE} WHERE person_id = $1 AND destroyed_at IS NOT NULL LIMIT ${destroyed.length + 1}`,
      [personId],
    );
    this.liveOf.delete(personId);
    for (const { key_id } of destroyed) {
      this.forget(key_id);
      await this.query('SELECT pg_notify($1, $2)', [PERSON_KEYS_CHANNEL, key_id]);
    }
    return {
      destroyed: destroyed.map((row) => row.key_id),
      destroyedBefore: before.length > destroyed.length,
    };
  }

  /** Stops listening for destroyed keys elsewhere and empties the cache. */
  async close(): Promise<void> {
    this.closed = true;
    this.byKeyId.clear();
    this.liveOf.clear();
    const listener = await this.listener;
    this.listener = undefined;
    await listener?.stop().catch(() => undefined);
  }

  private fresh<T>(cached: Cached<T> | undefined): T | undefined {
    return cached && cached.expiresAt > this.now() ? cached.value : undefined;
  }

  private remember(keyId: string, key: DataKey | null, personId?: string): void {
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    // Expired entries are dropped in passing, so a long-lived reader of many people stays small.
    if (this.byKeyId.size >= MAX_CACHED_KEYS) {
      for (const [id, cached] of this.byKeyId) if (cached.expiresAt <= now) this.byKeyId.delete(id);
      for (const [id, cached] of this.liveOf) if (cached.expiresAt <= now) this.liveOf.delete(id);
    }
    this.byKeyId.set(keyId, { value: key, expiresAt });
    if (key && personId !== undefined && !this.fresh(this.liveOf.get(personId)))
      this.liveOf.set(personId, { value: key, expiresAt });
  }

  private forget(keyId: string): void {
    this.byKeyId.set(keyId, { value: null, expiresAt: this.now() + this.ttlMs });
    for (const [personId, live] of this.liveOf)
      if (live.value.keyId === keyId) this.liveOf.delete(personId);
  }

  /**
   * Starts (once) listening for keys destroyed by other processes, before anything is cached; a
   * failure leaves the TTL, and the next use tries again.
   */
  private async listen(): Promise<void> {
    if (this.closed) return;
    this.listener ??= this.startListener().catch(() => {
      this.listener = undefined;
      return undefined;
    });
    await this.listener;
  }

  private async startListener(): Promise<{ stop(): Promise<void> }> {
    const onDestroyed = (keyId: string | undefined) => {
      if (keyId) this.forget(keyId);
    };
    if (this.connection.kind === 'pglite') {
      const unlisten = await this.connection.db.listen(PERSON_KEYS_CHANNEL, onDestroyed);
      return { stop: unlisten };
    }
    // A dedicated client: LISTEN is per session. When it breaks, everything cached is dropped
    // (a notification may have been missed) and listening starts again on the next use.
    const client = await this.connection.pool.connect();
    const onNotification = (message: { channel: string; payload?: string }) => {
      if (message.channel === PERSON_KEYS_CHANNEL) onDestroyed(message.payload);
    };
    const onError = () => {
      this.byKeyId.clear();
      this.liveOf.clear();
      this.listener = undefined;
      client.off('notification', onNotification);
      client.release(true);
    };
    client.on('notification', onNotification);
    client.once('error', onError);
    try {
      await client.query(`LISTEN "${PERSON_KEYS_CHANNEL}"`);
    } catch (error) {
      client.off('error', onError);
      client.release(true);
      throw error;
    }
    return {
      stop: async () => {
        client.off('notification', onNotification);
        client.off('error', onError);
        await client.query(`UNLISTEN "${PERSON_KEYS_CHANNEL}"`).catch(() => undefined);
        client.release();
      },
    };
  }

  private wrap(keyId: string, key: Buffer): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.options.masterKey, iv);
    cipher.setAAD(Buffer.from(`person-key:${keyId}`));
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
  }

  private unwrap(keyId: string, wrapped: string): Buffer {
    const bytes = Buffer.from(wrapped, 'base64');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.options.masterKey,
      bytes.subarray(0, IV_BYTES),
    );
    decipher.setAAD(Buffer.from(`person-key:${keyId}`));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new Error(
        `Personal data key ${keyId} does not unwrap with PERSONAL_DATA_KEY (another deployment's master key?)`,
      );
    }
  }

  private async query<Row>(text: string, params: unknown[]): Promise<Row[]> {
    if (this.connection.kind === 'pglite')
      return (await this.connection.db.query<Row>(text, params)).rows;
    return (await this.connection.pool.query(text, params)).rows as Row[];
  }
}

/**
 * The master key of a development or test process without PERSONAL_DATA_KEY: kept in `file`
 * (created once, readable by its owner only) so data written yesterday still reads today, or, for
 * an in-memory database (no file), a random key of the process. Never in production (the
 * configuration refuses to start without the setting there).
 */
export function developmentPersonalDataKey(file: string | undefined): Buffer {
  if (!file) return randomBytes(KEY_BYTES);
  for (let attempt = 1; ; attempt++) {
    try {
      const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length === KEY_BYTES) return key;
      // Being written by a process that started at the same moment: read it again shortly.
      if (attempt < 50) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw new Error(`${file} does not hold a 32-byte key in base64`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(KEY_BYTES);
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (error) {
      // Another process wrote its key first: that one is the key (read on the next round).
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * The process's person keys from the settings: PERSONAL_DATA_KEY, or (never in production) the
 * development key in PGLITE_DATA_DIR (`personal-data.key`), or a key of the process when nothing
 * is kept between processes (EVENT_STORE=memory, an in-memory PGlite).
 */
export function sqlPersonKeysFrom(
  config: AppConfig,
  connection: SqlConnection,
  /** Where the development-key warning goes; command-line tools keep it off standard output. */
  warn: (message: string) => void = (message) => new Logger('PersonalData').warn(message),
): SqlPersonKeys {
  let masterKey: Buffer;
  if (config.PERSONAL_DATA_KEY) masterKey = Buffer.from(config.PERSONAL_DATA_KEY, 'base64');
  else {
    const inMemory =
      config.EVENT_STORE === 'memory' || config.PGLITE_DATA_DIR.startsWith('memory://');
    const file = inMemory ? undefined : join(config.PGLITE_DATA_DIR, 'personal-data.key');
    masterKey = developmentPersonalDataKey(file);
    warn(
      `PERSONAL_DATA_KEY is not set: personal data keys are wrapped with a development key ${file ? `kept in ${file}` : 'of this process only'} (never in production)`,
    );
  }
  return new SqlPersonKeys(connection, { masterKey });
}

/** How the event store of a configured process reads personal fields: its person keys, erased as ERASED. */
export function personalDataFrom(
  config: AppConfig,
  connection: SqlConnection,
  warn?: (message: string) => void,
): PersonalDataOptions {
  return { keys: sqlPersonKeysFrom(config, connection, warn), erased: ERASED };
}
