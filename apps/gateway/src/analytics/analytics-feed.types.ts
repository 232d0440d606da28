import { ArgsType, Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  MinLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { DISPUTE_EVENT_TYPES, type DisputeEventType, type DisputeReason } from '@arbiter/disputes';
import { DisputeReason as DisputeReasonEnum } from '../disputes/dispute.enums';
import { ActorRoleValue } from '../graphql/me.resolver';
import { domainEnum } from '../graphql/domain-enum';
import { JSONScalar } from '../graphql/json.scalar';

/** The GraphQL types of the analytics event feed (`disputeEvents`, `disputeEventsPage`). */

/** Most events one `disputeEventsPage` returns. */
export const MAX_EVENT_PAGE = 1000;
export const DEFAULT_EVENT_PAGE = 100;

/**
 * The enum's values are the event type names themselves (`DisputeOpened`, not DISPUTE_OPENED),
 * so `type` reads the same over GraphQL as in the other feeds (JetStream, the `events` CLI).
 */
const EVENT_TYPE_DESCRIPTIONS: Record<DisputeEventType, string> = {
  DisputeOpened: 'The buyer opened a dispute on an order.',
  SellerResponded: 'The seller accepted, countered or rejected the claim.',
  ProposalSubmitted: 'A party or the mediator proposed a solution.',
  ProposalWithdrawn: 'A proposal was withdrawn.',
  ProposalAccepted: 'A proposal was accepted (possibly on the silent seller’s behalf).',
  DisputeResolved: 'A solution was settled: by agreement, decision or timeout.',
  EvidenceAdded: 'A party added evidence (text or a file).',
  MessagePosted: 'A message was posted to the dispute.',
  DisputeEscalated: 'The dispute went to mediation.',
  DisputeCancelled: 'The buyer cancelled the dispute.',
  CaseTaken: 'A mediator took the case.',
  EvidenceRequested: 'The mediator asked a party for evidence.',
  InternalNoteAdded:
    'A mediator’s internal note; mediator-only, so neither the analyst nor the platform form carries it.',
  DisputeDecided: 'A mediator (or, on appeal, a senior mediator) decided.',
  DecisionAccepted: 'A party accepted the decision.',
  DecisionAppealed: 'A party appealed the decision.',
  ReturnAddressProvided: 'The seller gave the return address.',
  ReturnShipped: 'The buyer shipped the return.',
  ReturnDelivered: 'The carrier delivered the return to the seller.',
  ReturnReceived: 'The seller confirmed receiving the return.',
  ReturnConditionDisputed: 'The seller disputed the condition of the returned item.',
  ReplacementRequested:
    'A replacement or resend was settled: the seller must ship it by a deadline.',
  ReplacementShipped: 'The seller shipped the replacement or resend.',
  ReplacementReceived: 'The buyer confirmed the replacement arrived.',
  ReplacementProblemReported:
    'The buyer reported a problem with the replacement (back to mediation).',
  RefundReleased: 'A refund became due to the buyer.',
  RefundMarkedSent: 'The seller marked the refund as sent; the platform confirms the payout.',
  RefundPaidOut: 'The platform paid the refund out.',
  DisputeClosed: 'The dispute closed with its outcome.',
  DeadlinePassed: 'A deadline passed and the system acted on it.',
};

export const DisputeEventTypeEnum = domainEnum(
  DISPUTE_EVENT_TYPES,
  'DisputeEventType',
  'The type of a dispute event; the value is the event type name as stored and as every analytics feed publishes it.',
  EVENT_TYPE_DESCRIPTIONS,
);

@InputType('DisputeEventFilter', {
  description:
    'Which dispute events to deliver; every field is optional and they combine with AND.',
})
export class DisputeEventFilterInput {
  @Field(() => [DisputeEventTypeEnum], {
    nullable: true,
    description: `Only events of these types (at most ${DISPUTE_EVENT_TYPES.length}); empty or absent means every type.`,
  })
  @IsOptional()
  @ArrayMaxSize(DISPUTE_EVENT_TYPES.length)
  @IsEnum(DisputeEventTypeEnum, { each: true })
  types?: DisputeEventType[] | null;

  @Field(() => ID, { nullable: true, description: 'Only the events of this dispute.' })
  @IsOptional()
  @IsUUID('all', { message: 'disputeId must be a dispute id (a UUID)' })
  disputeId?: string | null;

  @Field(() => [DisputeReasonEnum], {
    nullable: true,
    description:
      'Only the events of disputes opened for one of these reasons (at most 9); empty or absent means any reason.',
  })
  @IsOptional()
  @ArrayMaxSize(Object.keys(DisputeReasonEnum).length)
  @IsEnum(DisputeReasonEnum, { each: true })
  reasons?: DisputeReason[] | null;
}

const AFTER_DESCRIPTION =
  'Start after the event with this cursor (a `cursor`, `endCursor` or `resumeAfter` the feed handed out); absent: from the first event.';
const FILTER_DESCRIPTION = 'Which events to deliver; absent: every dispute event.';

@ArgsType()
export class DisputeEventsArgs {
  @Field(() => String, { nullable: true, description: AFTER_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  after?: string | null;

  @Field(() => DisputeEventFilterInput, { nullable: true, description: FILTER_DESCRIPTION })
  @IsOptional()
  @ValidateNested()
  @Type(() => DisputeEventFilterInput)
  filter?: DisputeEventFilterInput | null;
}

@ArgsType()
export class DisputeEventsPageArgs extends DisputeEventsArgs {
  @Field(() => Int, {
    nullable: true,
    defaultValue: DEFAULT_EVENT_PAGE,
    description: `Most events in the page (1–${MAX_EVENT_PAGE}, default ${DEFAULT_EVENT_PAGE}).`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EVENT_PAGE)
  first?: number | null;
}

@ObjectType('DisputeFeedEvent', {
  description:
    'A dispute event as the analytics feeds publish it. Analysts get the analyst form: personal free text reads "[redacted]", people’s ids (buyer, seller, staff, order) read as stable pseudonyms (`anon_…`), and mediators’ internal notes are left out. The platform gets the platform form, what its dispute views show: buyers’, sellers’ and orders’ ids stay real, as do amounts, reasons, statuses, outcomes and deadlines; every field the domain declares personal text reads "[redacted]" as for analysts (descriptions, messages, evidence text, comments, rationales, appeals, addresses, tracking numbers, payout references); staff members’ ids read "[redacted]" (the role stays); and internal notes are left out.',
})
export class DisputeFeedEventType {
  @Field({
    description:
      'Opaque position of the event in the store’s global order; pass it as `after` to continue after it.',
  })
  cursor!: string;

  @Field(() => ID, {
    description: 'The event id (a uuid), unique in the whole log: deduplicate on it.',
  })
  id!: string;

  @Field(() => DisputeEventTypeEnum, { description: 'What happened.' })
  type!: DisputeEventType;

  @Field(() => Int, {
    description: 'Version of the shape of `data` for this type; it grows when the shape changes.',
  })
  schemaVersion!: number;

  @Field(() => ID, { description: 'The dispute the event belongs to.' })
  disputeId!: string;

  @Field(() => Int, { description: 'The event’s 0-based position in its dispute’s stream.' })
  revision!: number;

  @Field(() => Date, {
    description: 'When the store recorded the event; `data.at` is when it happened.',
  })
  recordedAt!: Date;

  @Field(() => ActorRoleValue, {
    description: 'The role of who caused the event (`system` for deadlines).',
  })
  actorRole!: string;

  @Field(() => JSONScalar, {
    description:
      'The event’s data, shaped by `type` and `schemaVersion`, in the reader’s form (analyst or platform).',
  })
  data!: Record<string, unknown>;
}

@ObjectType('DisputeFeedEventPage', {
  description: 'A page of dispute events in the store’s global order.',
})
export class DisputeFeedEventPageType {
  @Field(() => [DisputeFeedEventType], { description: 'The events, oldest first.' })
  events!: DisputeFeedEventType[];

  @Field(() => String, {
    nullable: true,
    description:
      'Pass as `after` for the next page (or to subscribe from here): the last event’s cursor, or further on when the events after it did not match the filter; null only when nothing was read at all.',
  })
  endCursor!: string | null;

  @Field({
    description:
      'True when more events may be read now (the page is full, or the scan stopped before the end of the log): ask again from `endCursor`. False when the log was read to its end; later events still arrive there.',
  })
  hasNextPage!: boolean;
}
