import { ArgsType, Field, ID, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import { IsOptional, IsString, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { DisputeType } from '../disputes/dispute.type';
import { MediationCaseType, MediationQueueFilterInput } from './read.types';

/** The GraphQL types of the live lists (`myDisputesUpdated`, `sellerDisputesUpdated`, …). */

const AFTER_DESCRIPTION =
  'Resume after this `cursor` (the last one a message of this subscription carried, or the `resumeAfter` of its final error): first the latest state of every dispute that changed since, then live changes, without gap. Absent: live changes from now on. A cursor that is not one of this event log is BAD_USER_INPUT.';

const CURSOR_DESCRIPTION =
  'Opaque position of this change in the event log; pass it as `after` when resubscribing to get what changed after it. The same format as the `disputeEvents` feed’s cursors.';

@ArgsType()
export class LiveListArgs {
  @Field(() => String, { nullable: true, description: AFTER_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  after?: string | null;
}

@ArgsType()
export class DisputeChangesArgs extends LiveListArgs {
  @Field(() => ID, { description: 'The dispute id.' })
  @IsString()
  @MaxLength(200)
  id!: string;
}

@ArgsType()
export class MediationQueueUpdatedArgs extends LiveListArgs {
  @Field(() => MediationQueueFilterInput, {
    nullable: true,
    description:
      'Which queue to follow, as `mediationQueue(filter)` takes it: a case that stops matching (taken, with `unassigned: true`; decided; …) is reported with `inQueue: false`.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => MediationQueueFilterInput)
  filter?: MediationQueueFilterInput | null;
}

@ObjectType('DisputeChange', {
  description:
    'A dispute after one or more changes, as the caller may see it (the view the matching query gives), with the cursor to resume after it.',
})
export class DisputeChangeType {
  @Field({ description: CURSOR_DESCRIPTION })
  cursor!: string;

  @Field(() => DisputeType, { description: 'The dispute as it stands now, for the caller.' })
  dispute!: DisputeType;
}

@ObjectType('MediationQueueChange', {
  description:
    'A case that entered, changed in or left the mediation queue, as `mediationQueue` shows it, with the cursor to resume after it.',
})
export class MediationQueueChangeType {
  @Field({ description: CURSOR_DESCRIPTION })
  cursor!: string;

  @Field(() => ID, { description: 'The dispute id of the case (also `case.dispute.disputeId`).' })
  disputeId!: string;

  @Field({
    description:
      'Whether the queue (with the subscription’s filter) holds the case now: false when it left (taken, with `unassigned: true`; decided; closed), so the console drops it.',
  })
  inQueue!: boolean;

  @Field(() => MediationCaseType, { description: 'The case as the queue shows it now.' })
  case!: MediationCaseType;
}
