/**
 * What the example consumer computes from the analyst feed: per day, disputes opened by reason
 * and closed by outcome, and the median time from opening to closing. Plain data, so it can be
 * saved as JSON between runs; `apply` is idempotent per event id, so a redelivered message (a
 * crash between saving and acking) is not counted twice.
 */
export interface FeedEvent {
  cursor: string;
  id: string;
  type: string;
  disputeId: string;
  recordedAt: string;
  data: Record<string, unknown>;
}

export interface StatsState {
  /** day (YYYY-MM-DD) → reason → disputes opened. */
  openedByReason: Record<string, Record<string, number>>;
  /** day → outcome → disputes closed (cancelled disputes count as CANCELLED_BY_BUYER). */
  closedByOutcome: Record<string, Record<string, number>>;
  /** When each still-open dispute was opened (ms since epoch). */
  openSince: Record<string, number>;
  /** Hours from opening to closing, one entry per closed dispute. */
  resolutionHours: number[];
  /** Ids of the events already counted (a real pipeline would keep these in its database). */
  seen: string[];
  /** The last event counted: where a graphql-ws consumer would resume. */
  lastCursor: string | null;
}

export const emptyStats = (): StatsState => ({
  openedByReason: {},
  closedByOutcome: {},
  openSince: {},
  resolutionHours: [],
  seen: [],
  lastCursor: null,
});

const SEEN_LIMIT = 100_000;

export function apply(state: StatsState, event: FeedEvent): StatsState {
  if (state.seen.includes(event.id)) return state;
  const at = String(event.data.at ?? event.recordedAt);
  const day = at.slice(0, 10);
  const next: StatsState = {
    ...state,
    seen: [...state.seen.slice(-(SEEN_LIMIT - 1)), event.id],
    lastCursor: event.cursor,
  };
  if (event.type === 'DisputeOpened') {
    const reason = String(event.data.reason);
    next.openedByReason = increment(state.openedByReason, day, reason);
    next.openSince = { ...state.openSince, [event.disputeId]: Date.parse(at) };
  }
  if (event.type === 'DisputeClosed' || event.type === 'DisputeCancelled') {
    const outcome = String(event.data.outcome);
    next.closedByOutcome = increment(state.closedByOutcome, day, outcome);
    const since = state.openSince[event.disputeId];
    if (since !== undefined) {
      next.resolutionHours = [...state.resolutionHours, (Date.parse(at) - since) / 3_600_000];
      const { [event.disputeId]: _closed, ...stillOpen } = state.openSince;
      next.openSince = stillOpen;
    }
  }
  return next;
}

export function medianHoursToResolution(state: StatsState): number | null {
  const sorted = [...state.resolutionHours].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function report(state: StatsState) {
  return {
    openedByReason: state.openedByReason,
    closedByOutcome: state.closedByOutcome,
    medianHoursToResolution: medianHoursToResolution(state),
    eventsCounted: state.seen.length,
  };
}

function increment(
  table: Record<string, Record<string, number>>,
  day: string,
  key: string,
): Record<string, Record<string, number>> {
  const row = table[day] ?? {};
  return { ...table, [day]: { ...row, [key]: (row[key] ?? 0) + 1 } };
}
