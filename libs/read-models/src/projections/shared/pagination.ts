/** Relay-style pages over keyset order: the cursor is the sort key of an item, opaque to clients. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor() {
    super('The cursor is not one this list handed out');
    this.name = 'InvalidCursorError';
  }
}

export function pageSize(args: PageArgs): number {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  return Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(first)));
}

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === length &&
      key.every((part) => typeof part === 'string')
    )
      return key;
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError();
}

/** `rows` holds up to size + 1 items, the extra one only telling that a next page exists. */
export function toPage<Row, T>(
  rows: Row[],
  size: number,
  totalCount: number,
  keyOf: (row: Row) => string[],
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, size);
  const edges = items.map((row) => ({ node: map(row), cursor: encodeCursor(keyOf(row)) }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}
