import { Inject } from '@nestjs/common';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import {
  type Actor,
  CurrentActor,
  CurrentRequestContext,
  type RequestContext,
} from '@arbiter/auth';
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
}
