import { Field, ObjectType } from '@nestjs/graphql';
import type { NextActionView } from '@arbiter/disputes/read-side';
import { DeadlineConsequence, ExpectedAction, ExpectedActor } from './dispute.enums';

/**
 * `Dispute.nextAction` / `nextActions`: one answer to "what next, by when", for every viewer,
 * from the domain's `viewerActionsOf` (libs/disputes/src/domain/deadlines.ts).
 */

@ObjectType('NextAction', {
  description:
    'Something expected next on a dispute: who must do what, by when, and what happens by itself if they do not. `yours` says whether it is the caller’s turn; when it is not, a client shows “waiting for the <actor> until <dueAt>”.',
})
export class NextActionType {
  @Field(() => ExpectedActor, {
    description:
      'Who is expected to act, by role. A mediator’s action is one person’s: see `yours` for whether it is the caller’s.',
  })
  actor!: keyof typeof ExpectedActor;

  @Field(() => ExpectedAction, { description: 'What they are expected to do.' })
  action!: keyof typeof ExpectedAction;

  @Field(() => Boolean, {
    description:
      'Whether the caller may do it now (their turn); false when the caller waits for `actor`. For staff it follows who holds the case: TAKE_CASE is every mediator’s and senior mediator’s while nobody holds it, TAKE_APPEAL every senior mediator’s but the one whose decision is appealed; DECIDE and DECIDE_APPEAL only the holder’s, so another mediator (a senior mediator too) reads `yours: false` — a senior mediator who wants to decide takes the case over first.',
  })
  yours!: boolean;

  @Field(() => Date, {
    nullable: true,
    description:
      'By when; at this instant `ifMissed` happens by itself, whether or not anyone looks. Null when no deadline runs (a mediator taking or deciding a case, the platform paying a refund out).',
  })
  dueAt!: Date | null;

  @Field(() => DeadlineConsequence, {
    nullable: true,
    description: 'What happens by itself once `dueAt` passes; null when `dueAt` is null.',
  })
  ifMissed!: keyof typeof DeadlineConsequence | null;
}

/** The domain's instants are strings; the schema's are `DateTime`. */
export const toNextActionType = (next: NextActionView): NextActionType => ({
  ...next,
  dueAt: next.dueAt === null ? null : new Date(next.dueAt),
});
