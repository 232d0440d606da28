import type { DisputeView } from '@arbiter/disputes/read-side';

/** The columns every dispute list filters or sorts on, from the view. */
export const viewColumns = (view: DisputeView) => ({
  buyerId: view.buyerId,
  sellerId: view.sellerId,
  status: view.status,
  reason: view.reason,
  openedAt: new Date(view.openedAt),
});

export const toDate = (instant: string | null | undefined): Date | null =>
  instant ? new Date(instant) : null;
