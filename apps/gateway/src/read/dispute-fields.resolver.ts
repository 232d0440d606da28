import { Inject } from '@nestjs/common';
import { Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import {
  type Actor,
  CurrentActor,
  CurrentRequestContext,
  type RequestContext,
} from '@arbiter/auth';
import { AUDIENCE_OF_ROLE } from '@arbiter/disputes';
import { DisputeType } from '../disputes/dispute.type';
import { TimelineEntryType } from './read.types';
import { TimelineLoader } from './timeline.loader';

/** Fields of `Dispute` that the read side resolves on demand; batched where a list fans them out. */
@Resolver(() => DisputeType)
export class DisputeFieldsResolver {
  constructor(@Inject(TimelineLoader) private readonly timelines: TimelineLoader) {}

  // The parent was already authorized (whoever handed it out checked the caller may see it).
  @ResolveField(() => [TimelineEntryType], {
    description:
      'The whole timeline as the caller may see it, oldest first; one query however many disputes a list holds.',
  })
  timeline(
    @Parent() dispute: DisputeType,
    @CurrentActor() actor: Actor,
    @CurrentRequestContext() context: RequestContext,
  ): Promise<TimelineEntryType[]> {
    return this.timelines.load(context, actor, dispute.disputeId);
  }

  @ResolveField(() => Int, {
    nullable: true,
    description:
      'The stream revision this view reflects (0-based, counting every event), for staff only; null for every other role, to whom its jumps would tell that events were hidden from them.',
    deprecationReason:
      'Use `sequence`, which counts the events the caller sees; `revision` is null for every role but staff.',
  })
  revision(@Parent() dispute: DisputeType, @CurrentActor() actor: Actor): number | null {
    return AUDIENCE_OF_ROLE[actor.role] === 'staff' ? dispute.revision : null;
  }
}
