import type { DisputeView, Outcome, ReachedBy } from '@arbiter/disputes/read-side';
import type { Projection } from '../../projection';
import { sellerDisputes, sellerOrders } from '../../schema';
import { orderRows } from '../shared/order-rows';
import { toDate, viewColumns } from '../shared/view-columns';
import { viewProjection } from '../shared/view-projection';

export const SELLER_VIEW = 'seller-view';

/** Outcomes that go against the seller, when a mediator or a deadline (not an agreement) reached them. */
const NOT_AGAINST_SELLER: readonly Outcome[] = ['SELLER_FAVOUR', 'CANCELLED_BY_BUYER'];
const IMPOSED: readonly ReachedBy[] = ['MEDIATION', 'APPEAL', 'SELLER_TIMEOUT', 'RETURN_TIMEOUT'];

export function sellerAtFault(view: Pick<DisputeView, 'status' | 'outcome'>): boolean {
  const { status, outcome } = view;
  return (
    status === 'CLOSED' &&
    outcome !== null &&
    !NOT_AGAINST_SELLER.includes(outcome.outcome) &&
    IMPOSED.includes(outcome.reachedBy)
  );
}

/**
 * Disputes on the seller's orders, in the parties' view, plus what the 30-day metrics count:
 * each dispute's escalation and at-fault outcome, and the seller's orders (OrderPlaced).
 */
export function sellerViewProjection(): Projection {
  return viewProjection({
    name: SELLER_VIEW,
    table: sellerDisputes,
    audience: 'party',
    columns: (view) => ({
      ...viewColumns(view),
      escalatedAt: toDate(view.escalatedAt),
      sellerAtFault: sellerAtFault(view),
    }),
    side: orderRows(sellerOrders, ({ orderId, sellerId, placedAt }) => ({
      orderId,
      sellerId,
      placedAt: new Date(placedAt),
    })),
  });
}
