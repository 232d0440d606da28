import type { PGlite, Transaction } from '@electric-sql/pglite';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PoolClient, QueryConfig } from 'pg';
import type { ReadDb } from './database';
import type { ProjectionLease } from './locks';
import { OwnedTable, rebuildRenamer, RunSql } from './rebuild-tables';
import * as schema from './schema';

/**
 * The read DB a blue/green rebuild hands the projection: the same connection as its lease, whose
 * driver points every statement's mention of the projection's tables at their rebuild copies
 * (rebuild-tables.ts). Projections write through Drizzle tables that render
 * `"read_models"."<table>"`, and some through raw SQL naming `read_models.<table>`: both are
 * rewritten, so the projection's code is the same whether it fills the live tables or the copies.
 */
export interface RebuildConnection {
  /** The projection's statements, its tables renamed. */
  readonly db: ReadDb;
  /** A statement as written (the live tables keep their names), in `db`'s open transaction if any. */
  readonly run: RunSql;
  /** Drizzle without the renaming, on the same connection, in `db`'s open transaction if any. */
  plain(): ReadDb;
}

/** On the lease's own connection (its checked-out client, or the PGlite instance). */
export function rebuildConnectionOn(
  lease: ProjectionLease,
  tables: readonly OwnedTable[],
): RebuildConnection {
  const rename = rebuildRenamer(tables);
  // Drizzle keeps the driver's client as `$client`: the lease's dedicated pg client, or PGlite.
  const client = (lease.db as unknown as { $client: PoolClient | PGlite }).$client;
  if (isPglite(client)) {
    const renaming = new RenamingPglite(client, rename);
    return {
      db: drizzlePglite(renaming as unknown as PGlite, { schema }) as unknown as ReadDb,
      run: (text, params) => renaming.current.query(text, params),
      plain: () => drizzlePglite(renaming.current as PGlite, { schema }) as unknown as ReadDb,
    };
  }
  const renaming = new RenamingPgClient(client, rename);
  return {
    db: drizzleNodePg(renaming as unknown as PoolClient, { schema }) as unknown as ReadDb,
    run: (text, params) => client.query(text, params),
    plain: () => lease.db,
  };
}

function isPglite(client: PoolClient | PGlite): client is PGlite {
  return typeof (client as PGlite).transaction === 'function' && 'waitReady' in client;
}

/**
 * What Drizzle's node-postgres session calls on a client that is not a pool: `query`. A
 * transaction is BEGIN … COMMIT on this same client, so `run` on the client joins it.
 */
class RenamingPgClient {
  constructor(
    private readonly client: PoolClient,
    private readonly rename: (text: string) => string,
  ) {}

  query(config: string | QueryConfig, values?: unknown[]): Promise<unknown> {
    if (typeof config === 'string') return this.client.query(this.rename(config), values);
    const text = this.rename(config.text);
    // pg prepares a named statement once per connection and then goes by its name alone: the
    // renamed text needs a name of its own, or the live statement would run instead.
    const name = config.name && text !== config.text ? `${config.name}@rebuild` : config.name;
    return this.client.query({ ...config, text, name }, values);
  }
}

/**
 * What Drizzle's PGlite session calls: `query`, and `transaction` whose callback gets an object
 * with `query`. `current` is the transaction open on this instance (PGlite runs one at a time
 * and queues every other statement behind it), else the instance.
 */
class RenamingPglite {
  current: PGlite | Transaction;

  constructor(
    private readonly db: PGlite,
    private readonly rename: (text: string) => string,
  ) {
    this.current = db;
  }

  query(text: string, params?: unknown[], options?: object): Promise<unknown> {
    return this.current.query(this.rename(text), params, options);
  }

  transaction<T>(callback: (tx: { query: RenamingPglite['query'] }) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      this.current = tx;
      try {
        return await callback({
          query: (text, params, options) => this.query(text, params, options),
        });
      } finally {
        this.current = this.db;
      }
    });
  }
}
