import type { PGlite } from '@electric-sql/pglite';
import type { EmbeddedDatabase, SqlConnection } from '@arbiter/platform';
import type { Assume } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm/relations';
import type { PoolClient } from 'pg';
import * as schema from './schema';

export type ReadModelSchema = typeof schema;

/**
 * What both drivers return from `execute`: node-postgres' `QueryResult` and PGlite's `Results`
 * each carry `rows`, and that is all read-model code may rely on.
 */
export interface ReadDbQueryResult<Row> {
  rows: Row[];
}

export interface ReadDbQueryResultHKT extends PgQueryResultHKT {
  type: ReadDbQueryResult<Assume<this['row'], Record<string, unknown>>>;
}

/** The read DB as projections and query handlers see it, whichever driver is underneath. */
export type ReadDb = PgDatabase<ReadDbQueryResultHKT, ReadModelSchema>;

/** The transaction a projection's `apply` writes in; it also carries the projection's checkpoint update. */
export type ReadTx = PgTransaction<
  ReadDbQueryResultHKT,
  ReadModelSchema,
  ExtractTablesWithRelations<ReadModelSchema>
>;

/** Either a whole database or one transaction of it: helpers that only run statements take this. */
export type ReadExecutor = ReadDb | ReadTx;

// The casts only widen the driver-specific result type to the `rows` both drivers share.
export function readDbFor(connection: SqlConnection): ReadDb {
  if (connection.kind === 'postgres')
    return drizzleNodePg(connection.pool, { schema }) as unknown as ReadDb;
  return readDbOnPglite(connection.db);
}

/** A Drizzle database on one checked-out PostgreSQL client (locks and the statements that rely on them). */
export function readDbOnClient(client: PoolClient): ReadDb {
  return drizzleNodePg(client, { schema }) as unknown as ReadDb;
}

export function readDbOnPglite(db: EmbeddedDatabase): ReadDb {
  return drizzlePglite(drizzleClient(db), { schema }) as unknown as ReadDb;
}

/**
 * Drizzle's PGlite driver is typed for the `PGlite` class but calls only `query` and
 * `transaction`, which PGlite in a thread (`PGliteRemote`) provides with the same results.
 */
export function drizzleClient(db: EmbeddedDatabase): PGlite {
  return db as PGlite;
}
