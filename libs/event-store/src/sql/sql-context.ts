import { createHash } from 'node:crypto';
import type { SqlConnection } from '@arbiter/platform';
import { quoteSchema } from './schema';
import { pgliteRunner, pgRunner, SqlRunner } from './sql-runner';

/** What the parts of one SQL event store share: its connection, schema and table. */
export interface SqlStoreContext {
  readonly connection: SqlConnection;
  /** Through the pool (autocommit), or PGlite's single connection. */
  readonly runner: SqlRunner;
  readonly schema: string;
  /** The quoted `schema.events` table. */
  readonly table: string;
  /** The prepared-statement name of one of the store's statements: unique per schema. */
  statement(name: string): string;
}

/** The longest identifier PostgreSQL keeps whole (NAMEDATALEN - 1); schema names are ASCII. */
const MAX_NAME_BYTES = 63;

export function sqlStoreContext(connection: SqlConnection, schema: string): SqlStoreContext {
  return {
    connection,
    runner:
      connection.kind === 'postgres' ? pgRunner(connection.pool) : pgliteRunner(connection.db),
    schema,
    table: `${quoteSchema(schema)}.events`,
    statement: (name) => {
      const full = `es_${schema}_${name}`;
      // PostgreSQL cuts a statement's name at 63 bytes: two names cut alike would collide
      // (42P05) on a connection that prepared both. A long schema is named by its hash instead.
      return full.length <= MAX_NAME_BYTES
        ? full
        : `es_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}_${name}`;
    },
  };
}
