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

/**
 * What each part of a cursor's sort key is. A cursor is checked part by part against what the
 * list hands out, so a hand-made one is refused here (INVALID_CURSOR) instead of reaching the
 * database as a value it cannot compare (an internal error). Cursors carry sort keys, not
 * secrets: a well-formed one positions the page as the list's own would, and every row still
 * passes the caller's access rules.
 */
export type CursorPart = 'instant' | 'instantOrInfinity' | 'id' | 'revision' | 'sequence';

const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1) - 1;

const PART_IS_VALID: Readonly<Record<CursorPart, (part: string) => boolean>> = {
  // Exactly as `toISOString` wrote it, within the instants the API accepts.
  instant: (part) => {
    const time = Date.parse(part);
    return (
      time >= EARLIEST &&
      time <= LATEST &&
      /^\d{4}-/.test(part) &&
      new Date(time).toISOString() === part
    );
  },
  instantOrInfinity: (part) => part === 'infinity' || PART_IS_VALID.instant(part),
  id: (part) => /^[A-Za-z0-9._:-]{1,200}$/.test(part),
  revision: (part) => /^(0|[1-9][0-9]{0,14})$/.test(part),
  // 1-based: a list numbered per reader (a timeline's `sequence`).
  sequence: (part) => /^[1-9][0-9]{0,14}$/.test(part),
};

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, parts: readonly CursorPart[]): string[] {
  if (cursor.length > 0 && cursor.length <= 512 && /^[A-Za-z0-9_-]+$/.test(cursor)) {
    try {
      const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (
        Array.isArray(key) &&
        key.length === parts.length &&
        key.every((part, i) => typeof part === 'string' && PART_IS_VALID[parts[i]](part)) &&
        encodeCursor(key) === cursor
      )
        return key;
    } catch {
      // falls through to the error below
    }
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
