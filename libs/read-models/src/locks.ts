import { hostname } from 'node:os';
import type { SqlConnection } from '@arbiter/platform';
import type { PoolClient } from 'pg';
import { ReadDb, readDbOnClient, readDbOnPglite } from './database';

/**
 * First key of every two-key advisory lock the read side takes ('RM' in ASCII), so our locks
 * cannot collide with anyone else's single-key locks or with another namespace.
 */
export const LOCK_NAMESPACE = 0x524d;

export const processOwner = `${hostname()}:${process.pid}`;

/**
 * The right to run one projection. On PostgreSQL it is a session advisory lock on a dedicated
 * client, and `db` runs on that same client: if the connection dies, the lock is gone *and* the
 * next batch transaction fails, so a runner can never keep writing after losing its lock.
 */
export interface ProjectionLease {
  readonly db: ReadDb;
  /** Rejects when the lock connection breaks; never resolves otherwise. */
  readonly lost: Promise<never>;
  release(): Promise<void>;
}

const heldInProcess = new WeakMap<object, Set<string>>();

function inProcessSet(owner: object): Set<string> {
  let set = heldInProcess.get(owner);
  if (!set) heldInProcess.set(owner, (set = new Set()));
  return set;
}

/**
 * Session advisory locks are re-entrant within one session and a PGlite instance has exactly one
 * session, so two runners sharing it need an in-process claim as well.
 */
export async function tryAcquireProjectionLease(
  connection: SqlConnection,
  name: string,
): Promise<ProjectionLease | null> {
  const key = `projection:${name}`;
  if (connection.kind === 'pglite') {
    const claims = inProcessSet(connection.db);
    if (claims.has(key)) return null;
    claims.add(key);
    try {
      await connection.db.query('SELECT pg_try_advisory_lock($1, hashtext($2))', [
        LOCK_NAMESPACE,
        key,
      ]);
    } catch (error) {
      claims.delete(key);
      throw error;
    }
    return {
      db: readDbOnPglite(connection.db),
      lost: new Promise<never>(() => undefined),
      release: async () => {
        claims.delete(key);
        if (!connection.db.closed) {
          await connection.db.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
            LOCK_NAMESPACE,
            key,
          ]);
        }
      },
    };
  }

  const client = await connection.pool.connect();
  let acquired = false;
  try {
    const result = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
      [LOCK_NAMESPACE, key],
    );
    acquired = result.rows[0]?.ok === true;
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  if (!acquired) {
    client.release();
    return null;
  }
  return postgresLease(client, key);
}

/**
 * Whether any process holds the projection's lock right now, i.e. whether anyone runs it. On
 * PGlite the in-process claims are the whole story (one instance is one process's database).
 */
export async function isProjectionLeaseHeld(
  connection: SqlConnection,
  name: string,
): Promise<boolean> {
  const key = `projection:${name}`;
  if (connection.kind === 'pglite') return inProcessSet(connection.db).has(key);
  // Two-key advisory locks appear with classid = key1, objid = key2 (as oid) and objsubid = 2.
  const result = await connection.pool.query<{ held: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = $1::int4::oid AND objid = hashtext($2)::oid
     ) AS held`,
    [LOCK_NAMESPACE, key],
  );
  return result.rows[0]?.held === true;
}

/**
 * `isProjectionLeaseHeld` for many projections in one query: the names some process holds the
 * lock of. Reads `pg_locks` only (no table, no event-store fence), so it answers as fast as the
 * server does.
 */
export async function heldProjectionLeases(
  connection: SqlConnection,
  names: readonly string[],
): Promise<Set<string>> {
  if (connection.kind === 'pglite') {
    const claims = inProcessSet(connection.db);
    return new Set(names.filter((name) => claims.has(`projection:${name}`)));
  }
  const result = await connection.pool.query<{ name: string }>(
    `SELECT name FROM unnest($2::text[]) AS name
      WHERE EXISTS (
        SELECT 1 FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND objsubid = 2
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND classid = $1::int4::oid AND objid = hashtext('projection:' || name)::oid
      )`,
    [LOCK_NAMESPACE, names],
  );
  return new Set(result.rows.map((row) => row.name));
}

function postgresLease(client: PoolClient, key: string): ProjectionLease {
  let broken: Error | undefined;
  let onLost: (error: Error) => void = () => undefined;
  const lost = new Promise<never>((_, reject) => (onLost = reject));
  lost.catch(() => undefined);
  const onError = (error: Error) => {
    broken = error;
    onLost(error);
  };
  client.on('error', onError);
  let released = false;
  return {
    db: readDbOnClient(client),
    lost,
    release: async () => {
      if (released) return;
      released = true;
      try {
        if (!broken)
          await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, key]);
      } catch (error) {
        broken = error instanceof Error ? error : new Error(String(error));
      } finally {
        client.off('error', onError);
        // Destroying the client (rather than pooling it) guarantees the session and its lock end.
        client.release(broken ?? undefined);
      }
    },
  };
}

/** Serialises work per (PGlite instance, key) inside this process. */
const mutexes = new WeakMap<object, Map<string, Promise<unknown>>>();

export async function withInProcessMutex<T>(
  owner: object,
  key: string,
  work: () => Promise<T>,
): Promise<T> {
  let map = mutexes.get(owner);
  if (!map) mutexes.set(owner, (map = new Map()));
  const previous = map.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(work);
  map.set(key, run);
  try {
    return await run;
  } finally {
    if (map.get(key) === run) map.delete(key);
  }
}
