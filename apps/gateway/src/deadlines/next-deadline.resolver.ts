import { Inject, Module } from '@nestjs/common';
import { Context, Field, ID, ObjectType, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import { DeadlinesQueries, type ScheduledDeadline } from '@arbiter/deadlines';
import { DeadlineConsequence, DeadlineKind } from '../disputes/dispute.enums';
import { DisputeType } from '../disputes/dispute.type';

@ObjectType('ScheduledDeadline', {
  description:
    'A deadline armed on a dispute: what happens by itself, and when, unless someone acts first.',
})
export class ScheduledDeadlineType {
  @Field(() => DeadlineKind, { description: 'Which deadline.' })
  kind!: keyof typeof DeadlineKind;

  @Field(() => Date, {
    description: 'When it passes (ISO-8601 UTC); the system acts at once after.',
  })
  dueAt!: string;

  @Field(() => DeadlineConsequence, { description: 'What happens by itself when it passes.' })
  consequence!: keyof typeof DeadlineConsequence;

  @Field(() => ID, {
    nullable: true,
    description: 'The evidence request it belongs to (EVIDENCE_REQUEST only).',
  })
  requestId!: string | null;
}

/**
 * `Dispute.nextDeadline`, from the deadlines the scheduler will fire (`DeadlinesQueries`). One
 * query per GraphQL operation however many disputes it lists: the loader is kept per context.
 */
@Resolver(() => DisputeType)
export class NextDeadlineResolver {
  private readonly loaders = new WeakMap<object, DataLoader<string, ScheduledDeadline | null>>();

  constructor(@Inject(DeadlinesQueries) private readonly queries: DeadlinesQueries) {}

  @ResolveField('nextDeadline', () => ScheduledDeadlineType, {
    nullable: true,
    deprecationReason:
      'Use `nextAction` (or `nextActions`, which lists every action expected now with its `dueAt` and `ifMissed`, evidence requests included).',
    description:
      'The earliest deadline still to fire on this dispute (any phase or evidence request), as the deadline scheduler holds it; null when none is armed. It follows a change of state within moments.',
  })
  async nextDeadline(
    @Parent() dispute: DisputeType,
    @Context() context: object,
  ): Promise<ScheduledDeadlineType | null> {
    const next = await this.loaderFor(context).load(dispute.disputeId);
    return (
      next && {
        kind: next.kind,
        dueAt: next.dueAt,
        consequence: next.consequence,
        requestId: next.requestId,
      }
    );
  }

  private loaderFor(context: object): DataLoader<string, ScheduledDeadline | null> {
    let loader = this.loaders.get(context);
    if (!loader) {
      loader = new DataLoader(async (ids) => {
        const next = await this.queries.nextFor(ids);
        return ids.map((id) => next.get(id) ?? null);
      });
      this.loaders.set(context, loader);
    }
    return loader;
  }
}

/** The deadlines at the GraphQL edge; needs DeadlinesModule (global) in the app. */
@Module({ providers: [NextDeadlineResolver] })
export class DeadlinesGatewayModule {}
