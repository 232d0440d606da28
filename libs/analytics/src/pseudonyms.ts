import { createHmac } from 'node:crypto';
import type { Pseudonymizer } from '@arbiter/disputes';

/** Used when no key is configured (development and tests only: production refuses to start). */
export const DEVELOPMENT_PSEUDONYM_KEY = 'arbiter-development-pseudonym-key-not-secret';

const CACHE_LIMIT = 50_000;

/**
 * Pseudonyms of people's ids for analysts: `anon_` + the first 128 bits of HMAC-SHA256(key, id),
 * base64url. Stable for a given key (the same buyer reads the same in every event and every
 * feed), not reversible without it. A bounded cache spares recomputing the ids of busy parties.
 */
export class Pseudonyms {
  private readonly cache = new Map<string, string>();

  constructor(private readonly key: string) {
    if (key.length < 32) throw new Error('A pseudonym key must be at least 32 characters');
  }

  readonly of: Pseudonymizer = (id) => {
    let pseudonym = this.cache.get(id);
    if (pseudonym === undefined) {
      const digest = createHmac('sha256', this.key).update(id, 'utf8').digest();
      pseudonym = `anon_${digest.subarray(0, 16).toString('base64url')}`;
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(id, pseudonym);
    }
    return pseudonym;
  };
}
