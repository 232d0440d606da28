import { pagedComplexity } from '../graphql/limits';
import { Inject } from '@nestjs/common';
import { Args, Query, Resolver, Subscription } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import {
  ANALYTICS_SETTINGS,
  type AnalyticsSettings,
  EventFeed,
  type FeedEvent,
  type FeedFilter,
  type FeedForm,
  type FeedItem,
} from '@arbiter/analytics';
import { type Actor, CurrentActor, Roles } from '@arbiter/auth';
import { paging } from '../read/paging';
import {
  DEFAULT_EVENT_PAGE,
  MAX_EVENT_PAGE,
  DisputeEventFilterInput,
  DisputeEventsArgs,
  DisputeEventsPageArgs,
  DisputeFeedEventPageType,
  DisputeFeedEventType,
} from './analytics-feed.types';

/** Who may read the feed: analysts get the analyst form, the platform the platform form. */
const FEED_ROLES = ['analyst', 'platform'] as const;

/**
 * The platform's own form (real ids, no personal text, no notes: what its dispute views show);
 * anyone else who got past the guard reads the analyst's. The full form is never served here:
 * it is the operator's, through the `events` CLI.
 */
const formOf = (actor: Actor): FeedForm => (actor.role === 'platform' ? 'platform' : 'analyst');

const feedFilter = (filter: DisputeEventFilterInput | null | undefined): FeedFilter => ({
  types: filter?.types,
  disputeId: filter?.disputeId,
  reasons: filter?.reasons,
});

export const toFeedEventType = (event: FeedEvent): DisputeFeedEventType => ({
  ...event,
  recordedAt: new Date(event.recordedAt),
});

/**
 * One item of a subscription on its way out: an event, or — last — why the feed ended, as the
 * operation's final error (`extensions.code`, `extensions.resumeAfter`); the operation then
 * completes. Thrown from `resolve`, so graphql-ws sends it as a `next` with errors, not as a
 * broken socket.
 */
function resolveItem(item: FeedItem): DisputeFeedEventType {
  if (item.end) {
    throw new GraphQLError(item.end.message, {
      extensions: { code: item.end.code, resumeAfter: item.end.resumeAfter },
    });
  }
  return toFeedEventType(item.event);
}

/** The analytics event feed over GraphQL: pages for backfills, a subscription to stay live. */
@Resolver()
export class AnalyticsFeedResolver {
  constructor(
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(ANALYTICS_SETTINGS) private readonly settings: AnalyticsSettings,
  ) {}

  @Roles(...FEED_ROLES)
  @Query(() => DisputeFeedEventPageType, {
    description:
      'Dispute events in the store’s global order, for backfills: analysts and the platform only, each in its form (see `DisputeFeedEvent`). A cursor that is not one of this log (malformed, or beyond its newest event) is BAD_USER_INPUT.',
    complexity: pagedComplexity({ max: MAX_EVENT_PAGE, default: DEFAULT_EVENT_PAGE }),
  })
  async disputeEventsPage(
    @CurrentActor() actor: Actor,
    @Args() args: DisputeEventsPageArgs,
  ): Promise<DisputeFeedEventPageType> {
    const page = await paging(() =>
      this.feed.page(formOf(actor), {
        after: args.after,
        first: args.first ?? DEFAULT_EVENT_PAGE,
        filter: feedFilter(args.filter),
      }),
    );
    return { ...page, events: page.events.map(toFeedEventType) };
  }

  @Roles(...FEED_ROLES)
  @Subscription(() => DisputeFeedEventType, {
    description:
      'Dispute events after `after`, then live ones as they are recorded, in the store’s global order: analysts and the platform only, each in its form (see `DisputeFeedEvent`). A subscriber that falls too far behind, or a failing event log, gets one final error — `extensions.code` SUBSCRIBER_TOO_SLOW or EVENT_FEED_INTERRUPTED, `extensions.resumeAfter` the cursor of the last event it was sent (or its `after`) — and the operation completes: subscribe again with `after: resumeAfter` to continue without gap or duplicate.',
    resolve: resolveItem,
  })
  async disputeEvents(
    @CurrentActor() actor: Actor,
    @Args() args: DisputeEventsArgs,
  ): Promise<AsyncIterableIterator<FeedItem>> {
    await paging(() => this.feed.positionOf(args.after));
    return paging(() =>
      this.feed.subscribe(formOf(actor), {
        after: args.after,
        filter: feedFilter(args.filter),
        bufferSize: this.settings.subscriptionBuffer,
        stallMs: this.settings.subscriptionStallMs,
      }),
    );
  }
}
