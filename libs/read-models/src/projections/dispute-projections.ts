import { DEFAULT_POLICY, type DisputePolicy } from '@arbiter/disputes/read-side';
import type { Projection } from '../projection';
import { buyerViewProjection } from './buyer-view/buyer-view.projection';
import { mediatorViewProjection } from './mediator-view/mediator-view.projection';
import { sellerViewProjection } from './seller-view/seller-view.projection';
import { statsProjection } from './stats/stats.projection';
import { timelineProjection } from './timeline/timeline.projection';

/** Every dispute view's projection, in the order the CLI lists them. */
export function disputeProjections(policy: DisputePolicy = DEFAULT_POLICY): Projection[] {
  return [
    buyerViewProjection(),
    sellerViewProjection(),
    mediatorViewProjection(policy),
    timelineProjection(),
    statsProjection(),
  ];
}
