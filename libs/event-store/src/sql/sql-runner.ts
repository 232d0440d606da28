import type { Transaction } from '@electric-sql/pglite';
import type { EmbeddedDatabase } from '@arbiter/platform';
import type { Pool, PoolClient, QueryResultRow } from 'pg';

/**
 * The one thing the SQL store needs from a driver: run a parametrised statement and get rows.
 * `name` lets `pg` prepare the statement once per connection (parse and plan are a large share of
 * a one-row append); PGlite runs in-process and ignores it.
 */
export interface SqlRunner {
  query<Row>(text: string, params: readonly unknown[], name?: string): Promise<Row[]>;
}

export function pgRunner(client: Pool | PoolClient): SqlRunner {
  return {
    query: async <Row>(text: string, params: readonly unknown[], name?: string) =>
      // pg only reads `values` (it maps them into the Bind message): no copy needed.
      (await client.query<QueryResultRow>({ text, values: params as unknown[], name }))
        .rows as Row[],
  };
}

export function pgliteRunner(db: EmbeddedDatabase | Transaction): SqlRunner {
  return {
    query: async <Row>(text: string, params: readonly unknown[]) =>
      (await db.query<Row>(text, [...params])).rows,
  };
}

/** Both drivers surface the server's SQLSTATE as `code`. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
