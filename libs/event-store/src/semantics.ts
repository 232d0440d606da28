import {
  EventFilter,
  EventIdConflictError,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from './port';

/** Rules every adapter applies the same way, kept in one place so the adapters cannot drift. */

export function revisionMatches(expected: ExpectedRevision, actual: bigint): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1n;
    case 'exists':
      return actual >= 0n;
    default:
      return actual === expected;
  }
}

/** The same id twice in one batch can never be an idempotent retry. */
export function assertUniqueIds(events: readonly EventToAppend[]): void {
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) throw new EventIdConflictError(event.id);
    seen.add(event.id);
  }
}

export function matchesFilter(event: RecordedEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (
    filter.streamPrefixes &&
    !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))
  )
    return false;
  return true;
}

/**
 * Up to `maxCount` events of `events` (ascending by position) after `after` that match `filter`:
 * how the stores' shared windows over the log serve one reader.
 */
export function eventsAfter(
  events: readonly RecordedEvent[],
  after: bigint,
  maxCount: number,
  filter: EventFilter | undefined,
): RecordedEvent[] {
  // Binary search for the first position past `after`: positions ascend.
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle].position <= after) low = middle + 1;
    else high = middle;
  }
  const taken: RecordedEvent[] = [];
  for (let i = low; i < events.length && taken.length < maxCount; i++)
    if (matchesFilter(events[i], filter)) taken.push(events[i]);
  return taken;
}

/**
 * A shared window's sizes (events kept, events per read of the store): whole numbers above zero.
 * A read of zero events would never come back short, and a reader waiting for one never return.
 */
export function assertWindowSize(what: string, events: number, page: number): void {
  for (const [name, value] of [
    ['events', events],
    ['page', page],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${what}: ${name} must be a whole number above zero, got ${value}`);
  }
}

/** Key order does not matter for equality, as with jsonb. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}
