/**
 * Relay-style pages over keyset order: the cursor is the sort key of an item, opaque to clients.
 * `first`/`after` read forward; `last`/`before` backward, where a list offers it.
 */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: PageInfo;
  totalCount: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Which argument a paging refusal points at. */
export type PagingArgument = 'after' | 'before' | 'last';

export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor(readonly argument: PagingArgument = 'after') {
    super('The cursor is not one this list handed out');
    this.name = 'InvalidCursorError';
  }
}

/**
 * `first`/`after` with `last`/`before` in one request. Relay lets a server choose; mixing the
 * directions makes `hasPreviousPage`/`hasNextPage` ambiguous, so it is refused, never guessed.
 */
export class MixedPagingError extends Error {
  readonly code = 'MIXED_PAGING_DIRECTIONS';
  constructor(readonly argument: PagingArgument) {
    super('Page forward with first/after or backward with last/before, not both');
    this.name = 'MixedPagingError';
  }
}

const clampSize = (size: number | null | undefined): number =>
  Math.max(1, Math.min(MAX_PAGE_SIZE, Math.floor(size ?? DEFAULT_PAGE_SIZE)));

export function pageSize(args: PageArgs): number {
  return clampSize(args.first);
}

/** How a page is read: its size, its direction and the cursor it starts from. */
export interface PageWindow {
  size: number;
  /** Read backward (`last`/`before`): the query runs in reverse, the page is put back in order. */
  backward: boolean;
  /** `after` forward or `before` backward, as given (decode it with `decodeCursor`). */
  cursor: string | null;
}

const given = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

export function pageWindow(args: PageArgs): PageWindow {
  const forward = given(args.first) || given(args.after);
  const backward = given(args.last) || given(args.before);
  if (forward && backward) throw new MixedPagingError(given(args.last) ? 'last' : 'before');
  return backward
    ? { size: clampSize(args.last), backward, cursor: args.before ?? null }
    : { size: clampSize(args.first), backward, cursor: args.after ?? null };
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

export function decodeCursor(
  cursor: string,
  parts: readonly CursorPart[],
  argument: PagingArgument = 'after',
): string[] {
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
  throw new InvalidCursorError(argument);
}

/**
 * `rows` holds up to size + 1 items in the order read (reversed when backward), the extra one
 * only telling that more lie that way. Read forward from a cursor, a previous page exists (the
 * cursor's own item); read backward from one, a next page does.
 */
export function toPage<Row, T>(
  rows: Row[],
  { size, backward, cursor }: PageWindow,
  totalCount: number,
  keyOf: (row: Row) => string[],
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, size);
  if (backward) items.reverse();
  const edges = items.map((row) => ({ node: map(row), cursor: encodeCursor(keyOf(row)) }));
  const more = rows.length > size;
  return {
    edges,
    pageInfo: {
      hasNextPage: backward ? cursor !== null : more,
      hasPreviousPage: backward ? more : cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
