export { disputeProjections } from './dispute-projections';
export { BUYER_VIEW, buyerViewProjection } from './buyer-view/buyer-view.projection';
export {
  SELLER_VIEW,
  sellerViewProjection,
  sellerAtFault,
} from './seller-view/seller-view.projection';
export {
  MEDIATOR_VIEW,
  mediatorViewProjection,
  abuseSignal,
} from './mediator-view/mediator-view.projection';
export type { AbuseSignal } from './mediator-view/mediator-view.projection';
export { TIMELINE, timelineProjection } from './timeline/timeline.projection';
export { describeEvent } from './timeline/describe-event';
export { STATS, statsProjection } from './stats/stats.projection';
export { DisputeQueries } from './dispute-queries';
export { projectionsReadBy, VIEW_SOURCE_OF_ROLE } from './shared/view-of-role';
export type { ViewSource } from './shared/view-of-role';
export type { QueueFilter, SellerMetrics, QueriedDispute, StaffFacts } from './dispute-queries';
export type { DisputeListFilter } from './shared/filters';
export { StoredViewVersionError } from './shared/stored-view';
export {
  InvalidCursorError,
  MixedPagingError,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from './shared/pagination';
export type { Page, PageArgs } from './shared/pagination';
export { timelinePage, timelinesOf, viewFromTimeline } from './timeline/timeline.queries';
export type { TimelineEntry, TimelineReader } from './timeline/timeline.queries';
export { disputeStatistics } from './stats/stats.queries';
export type { DisputeStatistics, Count } from './stats/stats.queries';
export { DisputeProjectionsModule } from './dispute-projections.module';
