import { Inject } from '@nestjs/common';
import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { type Actor, CurrentActor } from '@arbiter/auth';
import { DomainError } from '@arbiter/disputes';
import { DisputeQueries } from '@arbiter/read-models';
import { DisputeType, toDisputeType } from '../disputes/dispute.type';
import { DisputeUpdates, UpdateStream } from './dispute-updates';
import { ReadAfterWrite } from './read-after-write';

/** Live updates of one dispute over graphql-ws (DisputeUpdates says when, the read side what). */
@Resolver()
export class DisputeUpdatedResolver {
  constructor(
    @Inject(DisputeQueries) private readonly queries: DisputeQueries,
    @Inject(DisputeUpdates) private readonly updates: DisputeUpdates,
    @Inject(ReadAfterWrite) private readonly readAfterWrite: ReadAfterWrite,
  ) {}

  @Subscription(() => DisputeType, {
    description:
      'The dispute as the caller may see it, after each change (one answer per burst of changes); authorized like dispute(id): FORBIDDEN when not the caller’s, or missing (staff get DISPUTE_NOT_FOUND).',
    resolve: (value: DisputeType) => value,
    deprecationReason:
      'Use disputeChanged(id, after:): the same view in `dispute`, with a `cursor` to resume from after a disconnect.',
  })
  async disputeUpdated(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID, description: 'The dispute id.' }) id: string,
  ): Promise<AsyncIterableIterator<DisputeType>> {
    const current = await this.queries.dispute(actor, id);
    if (current === null) throw new DomainError('DISPUTE_NOT_FOUND');
    // An event the caller may not see (a mediator's internal note, for a party) leaves their view's
    // sequence where it was: sending it anyway would tell them hidden activity happened.
    let sent = current.sequence;
    const stream = new UpdateStream(async (position) => {
      const shaped = await this.readAfterWrite.viewAt(actor, id, position);
      if (shaped === null) throw new DomainError('DISPUTE_NOT_FOUND');
      if (shaped.sequence <= sent) return undefined;
      sent = shaped.sequence;
      return toDisputeType(shaped);
    });
    stream.attach(await this.updates.listen(id, (position) => stream.push(position)));
    return stream;
  }
}
