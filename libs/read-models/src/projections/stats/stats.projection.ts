import type { Projection } from '../../projection';
import { disputeStats } from '../../schema';
import { toDate } from '../shared/view-columns';
import { viewProjection } from '../shared/view-projection';

export const STATS = 'stats';

/**
 * Analysts' statistics: per dispute only codes and instants (status, reason, outcome, how it was
 * reached, opened, closed) as columns — no party ids, no free text — and the analysts' view the
 * next event folds on. Aggregated on reading.
 */
export function statsProjection(): Projection {
  return viewProjection({
    name: STATS,
    table: disputeStats,
    audience: 'analyst',
    columns: (view) => ({
      status: view.status,
      reason: view.reason,
      outcome: view.outcome?.outcome ?? null,
      reachedBy: view.outcome?.reachedBy ?? null,
      openedAt: new Date(view.openedAt),
      closedAt: toDate(view.closedAt),
      resolutionMs:
        view.status === 'CLOSED' && view.closedAt !== null
          ? Date.parse(view.closedAt) - Date.parse(view.openedAt)
          : null,
    }),
  });
}
