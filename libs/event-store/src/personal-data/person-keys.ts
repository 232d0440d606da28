/**
 * Per-person data keys for personal fields (crypto-shredding): each person's personal fields are
 * stored encrypted under a key of their own, and destroying that key erases them everywhere the
 * log is read while every stored byte, and so every hash over it, stays as it was. A KMS can sit
 * behind this interface; the SQL implementation wraps each key with a master key.
 */
export interface DataKey {
  /** Names the key in `metadata.personalData.keyId` of every event encrypted under it. */
  readonly keyId: string;
  /** 32 bytes of AES-256 key material. */
  readonly key: Buffer;
}

export interface DestroyedKeys {
  /** Keys destroyed by this call (none: the person had no live key, e.g. forgotten already). */
  readonly destroyed: readonly string[];
  /** Whether some key of this person had been destroyed before this call. */
  readonly destroyedBefore: boolean;
}

export interface PersonKeys {
  /** The person's live key, created on first use. */
  getOrCreate(personId: string): Promise<DataKey>;
  /** A key by id; null once destroyed (or never known): its fields read as erased. */
  get(keyId: string): Promise<DataKey | null>;
  /**
   * Destroys every live key of the person, in this process at once and in every other process
   * within moments (and at worst after the cache TTL). Idempotent.
   */
  destroy(personId: string, reason: string): Promise<DestroyedKeys>;
  /** Releases what the implementation holds (listeners, caches); the event store calls it on close. */
  close?(): Promise<void>;
}
