import { type DisputeView, VIEW_VERSION } from '@arbiter/disputes/read-side';

/**
 * A view stored under another shape (`v` ≠ `VIEW_VERSION`): folding onto it or answering from
 * it would silently mix two shapes, so it is refused until the projection is rebuilt from the
 * log. The migration that bumps `VIEW_VERSION` empties the view tables; a table left behind (a
 * restored backup, a skipped migration) is rebuilt by hand.
 */
export class StoredViewVersionError extends Error {
  readonly code = 'STORED_VIEW_VERSION_MISMATCH';
  constructor(
    readonly projection: string,
    readonly disputeId: string,
    readonly storedVersion: unknown,
  ) {
    super(
      `The ${projection} view of dispute ${disputeId} is stored with view version ` +
        `${String(storedVersion)}; this code reads version ${VIEW_VERSION}: ` +
        `run \`npm run projections -- rebuild ${projection}\``,
    );
    this.name = 'StoredViewVersionError';
  }
}

/** The stored view, if this code's fold wrote its shape; refused otherwise. */
export function usableView(projection: string, disputeId: string, view: DisputeView): DisputeView {
  const stored = (view as { v?: unknown } | null)?.v;
  if (stored !== VIEW_VERSION) throw new StoredViewVersionError(projection, disputeId, stored);
  return view;
}
