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

export function sqlStoreContext(connection: SqlConnection, schema: string): SqlStoreContext {
  return {
    connection,
    runner:
      connection.kind === 'postgres' ? pgRunner(connection.pool) : pgliteRunner(connection.db),
    schema,
    table: `${quoteSchema(schema)}.events`,
    statement: (name) => `es_${schema}_${name}`,
  };
}
