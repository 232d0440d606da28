import { Inject, Optional } from '@nestjs/common';
import { Args, Resolver, Subscription } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import {
  decodeEventCursor,
  DISPUTE_STREAM_PREFIX,
  InvalidEventCursorError,
} from '@arbiter/analytics';
import { type Actor, CurrentActor, Roles } from '@arbiter/auth';
import {
  type DisputeEvent,
  DomainError,
  disputeStreamId,
  STAFF_ROLES,
  visibleEventFor,
} from '@arbiter/disputes';
import {
  EVENT_STORE,
  type EventFilter,
  type EventStore,
  type RecordedEvent,
} from '@arbiter/event-store';
import { DisputeQueries, ProjectionRunner, projectionsReadBy } from '@arbiter/read-models';
import { toDisputeType } from '../disputes/dispute.type';
import { ChangeStream, type Change, type ChangeItem, type Told } from './change-stream';
import { DisputeParties, type Parties } from './dispute-parties';
import { LiveListStats } from './live-list-stats';
import {
  DisputeChangesArgs,
  DisputeChangeType,
  LiveListArgs,
  MediationQueueChangeType,
  MediationQueueUpdatedArgs,
} from './live-lists.types';
import { paging } from './paging';
import { ReadAfterWrite } from './read-after-write';
import { toMediationCase } from './read.types';

export const LIVE_LIST_LIMITS = Symbol('LIVE_LIST_LIMITS');

/** How far a live list may run ahead of its subscriber (see ChangeStream). */
export interface LiveListLimits {
  /** Most changed disputes waiting for one subscriber. */
  capacity: number;
  /** How long a subscriber may take nothing while that many wait before it is cut off. */
  stallMs: number;
  /** Most disputes whose last message one subscriber's list remembers (to send none twice). */
  remembered?: number;
}

const DEFAULT_LIMITS: LiveListLimits = { capacity: 500, stallMs: 10_000, remembered: 5_000 };

const ENDING =
  'A subscriber that falls too far behind, or a failing event log, gets one final error — `extensions.code` SUBSCRIBER_TOO_SLOW or EVENT_FEED_INTERRUPTED, `extensions.resumeAfter` the cursor to resubscribe with — and the operation completes.';

/**
 * Each message on its way out, or — last — why the list ended, as the operation's final error
 * (thrown from `resolve`, so graphql-ws sends it as a `next` with errors, then completes).
 */
function resolving<T, R>(shape: (change: Change<T>) => R) {
  return (item: ChangeItem<T>): R => {
    if (item.end) {
      throw new GraphQLError(item.end.message, {
        extensions: { code: item.end.code, resumeAfter: item.end.resumeAfter },
      });
    }
    return shape(item.change);
  };
}

const asDisputeChange = (change: Change<DisputeChangeType['dispute']>): DisputeChangeType => ({
  cursor: change.cursor,
  dispute: change.value,
});

const asQueueChange = (
  change: Change<Omit<MediationQueueChangeType, 'cursor'>>,
): MediationQueueChangeType => ({ cursor: change.cursor, ...change.value });

const DISPUTE_STREAMS: EventFilter = { streamPrefixes: [DISPUTE_STREAM_PREFIX] };

/**
 * Live lists over graphql-ws, resumable: a party's disputes, the mediation queue and one dispute,
 * each message the caller's view (the matching query's) with a cursor in the store's global
 * order. Authorized like the matching queries (`@Roles`, the same read-model rows). A party never
 * hears of a mediator-only event: a message with nothing new would tell of hidden staff activity.
 */
@Resolver()
export class LiveListsResolver {
  private readonly limits: LiveListLimits;

  constructor(
    @Inject(EVENT_STORE)
    private readonly store: Pick<EventStore, 'subscribeToAll' | 'headPosition'>,
    @Inject(DisputeQueries) private readonly queries: DisputeQueries,
    @Inject(ReadAfterWrite) private readonly readAfterWrite: ReadAfterWrite,
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(DisputeParties) private readonly parties: DisputeParties,
    @Inject(LiveListStats) private readonly stats: LiveListStats,
    @Optional() @Inject(LIVE_LIST_LIMITS) limits?: LiveListLimits,
  ) {
    this.limits = limits ?? DEFAULT_LIMITS;
  }

  @Roles('buyer')
  @Subscription(() => DisputeChangeType, {
    description: `The caller’s disputes as a buyer (those \`myDisputes\` lists), each time one opens or changes. ${ENDING}`,
    resolve: resolving(asDisputeChange),
  })
  async myDisputesUpdated(
    @CurrentActor() actor: Actor,
    @Args() args: LiveListArgs,
  ): Promise<AsyncIterableIterator<ChangeItem<DisputeChangeType['dispute']>>> {
    return this.partyList(actor, args.after, (parties) => parties.buyerId === actor.id);
  }

  @Roles('seller')
  @Subscription(() => DisputeChangeType, {
    description: `Disputes on the caller’s orders as a seller (those \`sellerDisputes\` lists), each time one opens or changes. ${ENDING}`,
    resolve: resolving(asDisputeChange),
  })
  async sellerDisputesUpdated(
    @CurrentActor() actor: Actor,
    @Args() args: LiveListArgs,
  ): Promise<AsyncIterableIterator<ChangeItem<DisputeChangeType['dispute']>>> {
    return this.partyList(actor, args.after, (parties) => parties.sellerId === actor.id);
  }

  @Roles(...STAFF_ROLES)
  @Subscription(() => MediationQueueChangeType, {
    description: `The mediation queue as \`mediationQueue(filter)\` shows it: each case that enters it, changes in it or leaves it (\`inQueue: false\`: taken, with \`unassigned: true\`; decided; closed — drop it). A case that left is reported once; after that only if it re-enters. Cases never escalated are not reported. ${ENDING}`,
    resolve: resolving(asQueueChange),
  })
  async mediationQueueUpdated(
    @CurrentActor() actor: Actor,
    @Args() args: MediationQueueUpdatedArgs,
  ): Promise<AsyncIterableIterator<ChangeItem<Omit<MediationQueueChangeType, 'cursor'>>>> {
    const filter = args.filter ?? {};
    const projections = projectionsReadBy(actor.role);
    return this.open(
      args.after,
      DISPUTE_STREAMS,
      disputeOf,
      async (disputeId, position) => {
        await this.runner.waitForPosition(position, this.readAfterWrite.timeoutMs, projections);
        const found = await this.queries.queueCase(actor, filter, disputeId);
        if (!found || !(found.inQueue || found.everQueued)) return null;
        return { disputeId, inQueue: found.inQueue, case: toMediationCase(found.node) };
      },
      // A case that left is told so once, then again only when it re-enters.
      (change) => ({ sequence: change.case.dispute.sequence, listed: change.inQueue }),
    );
  }

  @Subscription(() => DisputeChangeType, {
    description: `One dispute as \`dispute(id)\` shows it, after each change; authorized like \`dispute(id)\`: FORBIDDEN when not the caller’s, or missing (staff get DISPUTE_NOT_FOUND). ${ENDING}`,
    resolve: resolving(asDisputeChange),
  })
  async disputeChanged(
    @CurrentActor() actor: Actor,
    @Args() args: DisputeChangesArgs,
  ): Promise<AsyncIterableIterator<ChangeItem<DisputeChangeType['dispute']>>> {
    if ((await this.queries.dispute(actor, args.id)) === null)
      throw new DomainError('DISPUTE_NOT_FOUND');
    const streamId = disputeStreamId(args.id);
    return this.open(
      args.after,
      { streamPrefixes: [streamId] },
      (event) => (event.streamId === streamId && visibleTo(actor, event) ? args.id : null),
      (disputeId, position) => this.viewAt(actor, disputeId, position),
      toldOfView,
    );
  }

  private partyList(
    actor: Actor,
    after: string | null | undefined,
    isTheirs: (parties: Parties) => boolean,
  ) {
    return this.open(
      after,
      DISPUTE_STREAMS,
      async (event) => {
        if (!visibleTo(actor, event)) return null;
        const parties = await this.parties.of(event);
        return parties && isTheirs(parties) ? disputeOf(event) : null;
      },
      (disputeId, position) => this.viewAt(actor, disputeId, position),
      toldOfView,
    );
  }

  private async viewAt(actor: Actor, disputeId: string, position: bigint) {
    const view = await this.readAfterWrite.viewAt(actor, disputeId, position);
    return view && toDisputeType(view);
  }

  /** Checks `after` against this log (BAD_USER_INPUT otherwise), then starts the stream after it. */
  private async open<T>(
    after: string | null | undefined,
    filter: EventFilter,
    concerns: (event: RecordedEvent) => string | null | Promise<string | null>,
    read: (disputeId: string, position: bigint) => Promise<T | null>,
    told: (value: T) => Told,
  ): Promise<ChangeStream<T>> {
    const start = await paging(() => this.positionOf(after));
    const source = this.store.subscribeToAll({ after: start, filter });
    const stream: ChangeStream<T> = new ChangeStream(
      source,
      concerns,
      read,
      { after: start, ...this.limits, told },
      { overflowed: () => this.stats.overflowed(), ended: () => this.stats.remove(stream) },
    );
    this.stats.add(stream);
    return stream.start();
  }

  /**
   * The position a cursor stands for; the head as of now without one. A cursor beyond the newest
   * event was not handed out by this log (resuming there would skip what comes next): refused.
   */
  private async positionOf(cursor: string | null | undefined): Promise<bigint> {
    const head = await this.store.headPosition();
    if (cursor === null || cursor === undefined) return head;
    const position = decodeEventCursor(cursor);
    if (position > head) throw new InvalidEventCursorError();
    return position;
  }
}

const disputeOf = (event: RecordedEvent): string | null => {
  const disputeId = (event.data as { disputeId?: unknown }).disputeId;
  return typeof disputeId === 'string' ? disputeId : null;
};

/** A party's or one dispute's message: always in the list; newer only with a greater sequence. */
const toldOfView = (dispute: DisputeChangeType['dispute']): Told => ({
  sequence: dispute.sequence,
  listed: true,
});

/** Whether the caller's view may change with the event: never a mediator-only one for non-staff. */
const visibleTo = (actor: Actor, event: RecordedEvent): boolean =>
  visibleEventFor(actor.role, event as unknown as DisputeEvent) !== null;
