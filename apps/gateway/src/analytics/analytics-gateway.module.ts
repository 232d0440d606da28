import { Module } from '@nestjs/common';
import { EventFeedMetrics } from '../metrics/event-feed-metrics';
import { AnalyticsFeedResolver } from './analytics-feed.resolver';

/**
 * The analytics event feed at the edge: `disputeEvents` (graphql-ws) and `disputeEventsPage`,
 * and its gauges. Needs the global AnalyticsModule (EventFeed, ANALYTICS_SETTINGS) and MetricsModule.
 */
@Module({ providers: [AnalyticsFeedResolver, EventFeedMetrics] })
export class AnalyticsGatewayModule {}
