import { AuditDigestVerificationType } from './audit.types';
import { personIdForAnalysts } from '../graphql/person-ids';
import type { ActorRole } from '@arbiter/auth';
import type { DisputeEventType } from '@arbiter/disputes';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsDate,
  IsEnum,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { DisputeEventTypeEnum } from '../analytics/analytics-feed.types';
import { DisputeReason, DisputeStatus } from '../disputes/dispute.enums';
import { DisputeType, MoneyType, toDisputeType } from '../disputes/dispute.type';
import type { QueriedDispute } from '@arbiter/read-models';
import { PageArgsType, PageInfoType, TwoWayPageArgsType } from './paging.types';
import { ActorRoleValue } from '../graphql/me.resolver';

@InputType('DisputeFilter', {
  description: 'Narrows a dispute list; every field is optional and they combine with AND.',
})
export class DisputeFilterInput {
  @Field(() => [DisputeStatus], {
    nullable: true,
    description: 'Only disputes in one of these statuses.',
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(DisputeStatus, { each: true })
  status?: (keyof typeof DisputeStatus)[] | null;

  @Field(() => [DisputeReason], {
    nullable: true,
    description: 'Only disputes opened for one of these reasons.',
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(DisputeReason, { each: true })
  reason?: (keyof typeof DisputeReason)[] | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Only disputes opened at or after this instant.',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  openedFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only disputes opened before this instant.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  openedTo?: Date | null;
}

@InputType('MediationQueueFilter', { description: 'Narrows the mediation queue.' })
export class MediationQueueFilterInput extends DisputeFilterInput {
  @Field(() => Boolean, {
    nullable: true,
    description: 'Only cases flagged (true) or not flagged (false) by the buyer abuse signal.',
  })
  @IsOptional()
  @IsBoolean()
  abuseSignal?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'Only cases no mediator has taken yet.' })
  @IsOptional()
  @IsBoolean()
  unassigned?: boolean | null;
}

// One class per query's arguments: a bare `@Args()` is validated whole, so paging and the other
// arguments must be one whitelisted class.
@ArgsType()
export class DisputeListArgs extends TwoWayPageArgsType {
  @Field(() => DisputeFilterInput, {
    nullable: true,
    description: 'Status, reason and date filters.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DisputeFilterInput)
  filter?: DisputeFilterInput | null;
}

@ArgsType()
export class MediationQueueArgs extends TwoWayPageArgsType {
  @Field(() => MediationQueueFilterInput, {
    nullable: true,
    description: 'Status, reason, date, flag filters.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => MediationQueueFilterInput)
  filter?: MediationQueueFilterInput | null;
}

@ArgsType()
export class TimelineArgs extends PageArgsType {
  @Field(() => ID, { description: 'The dispute id.' })
  @IsString()
  @MaxLength(200)
  id!: string;
}

@ObjectType('DisputeEdge', { description: 'A dispute in a list, with its cursor.' })
export class DisputeEdgeType {
  @Field(() => DisputeType, { description: 'The dispute as the caller may see it.' })
  node!: DisputeType;

  @Field({ description: 'Opaque position of this dispute in the list.' })
  cursor!: string;
}

@ObjectType('DisputeConnection', { description: 'A page of disputes.' })
export class DisputeConnectionType {
  @Field(() => [DisputeEdgeType], { description: 'The disputes of this page.' })
  edges!: DisputeEdgeType[];

  @Field(() => PageInfoType, { description: 'Paging information.' })
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'How many disputes match the filters in all.' })
  totalCount!: number;
}

@ObjectType('AbuseSignal', {
  description: 'The buyer abuse signal, computed when the dispute opened; a flag, never a block.',
})
export class AbuseSignalType {
  @Field({
    description:
      'Whether the buyer’s disputes reached the minimum and exceeded the ratio of their orders in the window.',
  })
  flagged!: boolean;

  @Field(() => Int, { description: 'The buyer’s disputes in the window, this one included.' })
  disputes!: number;

  @Field(() => Int, { description: 'The buyer’s orders in the window.' })
  orders!: number;
}

@ObjectType('MediationCase', {
  description: 'A case in the mediators’ queue: the full dispute and the queue’s flags.',
})
export class MediationCaseType {
  @Field(() => DisputeType, {
    description:
      'The whole case as staff see it (both proposals, all evidence, requests, internal notes).',
  })
  dispute!: DisputeType;

  @Field(() => AbuseSignalType, { description: 'The buyer abuse signal.' })
  abuseSignal!: AbuseSignalType;

  @Field(() => MoneyType, { description: 'The amount at stake (the order total).' })
  amount!: MoneyType;

  @Field(() => Date, {
    nullable: true,
    description: 'When the case entered the queue; its age counts from here.',
  })
  queuedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'The earliest armed deadline of the case.' })
  deadlineAt!: Date | null;
}

/** A case as the queue shows it: the staff's view with the queue's facts. */
export const toMediationCase = (node: QueriedDispute): MediationCaseType => ({
  dispute: toDisputeType(node),
  abuseSignal: node.staff?.abuseSignal ?? { flagged: false, disputes: 0, orders: 0 },
  amount: node.orderTotal,
  queuedAt: node.staff?.queuedAt ?? null,
  deadlineAt: node.staff?.deadlineAt ?? null,
});

@ObjectType('MediationCaseEdge', { description: 'A case in the queue, with its cursor.' })
export class MediationCaseEdgeType {
  @Field(() => MediationCaseType, { description: 'The case.' })
  node!: MediationCaseType;

  @Field({ description: 'Opaque position of this case in the queue.' })
  cursor!: string;
}

@ObjectType('MediationQueueConnection', {
  description: 'A page of the mediation queue, earliest deadline first, then longest waiting.',
})
export class MediationQueueConnectionType {
  @Field(() => [MediationCaseEdgeType], { description: 'The cases of this page.' })
  edges!: MediationCaseEdgeType[];

  @Field(() => PageInfoType, { description: 'Paging information.' })
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'How many cases match the filters in all.' })
  totalCount!: number;
}

@ObjectType('TimelineEntry', { description: 'One event of a dispute, as the caller may see it.' })
export class TimelineEntryType {
  @Field(() => Int, {
    description:
      'The entry’s place in the caller’s own timeline: 1 for the first entry, then consecutive over the entries the caller may see, so it skips nothing (entries only staff see are not counted for anyone else). Stable: a new event never renumbers earlier entries. `totalCount` is the sequence of the last entry.',
  })
  sequence!: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'The event’s revision in the dispute’s stream (0-based, counting every event), for staff only; null for every other role, whose timeline leaves some events out. Compare it with `disputeAsOf(asOfRevision:)`.',
    deprecationReason:
      'Use `sequence` to number and order entries; `revision` is null for every role but staff.',
  })
  revision!: number | null;

  @Field(() => DisputeEventTypeEnum, { description: 'What happened (the event type).' })
  type!: DisputeEventType;

  @Field(() => ActorRoleValue, { description: 'The role of who did it.' })
  actorRole!: ActorRole;

  @Field({
    description:
      'Who did it; staff ids read [redacted] for parties, and every person reads as a pseudonym for analysts.',
    middleware: [personIdForAnalysts],
  })
  actorId!: string;

  @Field(() => Date, { description: 'When it happened.' })
  at!: Date;

  @Field({
    description:
      'What happened, in plain words, on one line, addressed to the caller: what the caller did reads “You …”, and a party reads its own side as “you” (“You opened a dispute…”, “The seller proposed…” to the buyer); staff read the parties in the third person, analysts read everything in the third person. Text a person wrote appears only quoted (“…”, inner quotes and backslashes escaped), cut to 200 code points, without control, bidi or invisible characters; the full text is in the dispute’s own fields (messages, description, ...).',
  })
  summary!: string;
}

@ObjectType('TimelineEdge', { description: 'A timeline entry with its cursor.' })
export class TimelineEdgeType {
  @Field(() => TimelineEntryType, { description: 'The entry.' })
  node!: TimelineEntryType;

  @Field({ description: 'Opaque position of this entry.' })
  cursor!: string;
}

@ObjectType('TimelineConnection', { description: 'A page of a dispute’s timeline, oldest first.' })
export class TimelineConnectionType {
  @Field(() => [TimelineEdgeType], { description: 'The entries of this page.' })
  edges!: TimelineEdgeType[];

  @Field(() => PageInfoType, { description: 'Paging information.' })
  pageInfo!: PageInfoType;

  @Field(() => Int, { description: 'How many entries the caller may see in all.' })
  totalCount!: number;
}

@ObjectType('SellerMetrics', {
  description: 'A seller’s dispute metrics over the last 30 days.',
})
export class SellerMetricsType {
  @Field(() => Int, { description: 'Length of the window in days.' })
  windowDays!: number;

  @Field(() => Int, { description: 'Orders placed in the window.' })
  orders!: number;

  @Field(() => Int, { description: 'Disputes opened in the window.' })
  disputes!: number;

  @Field(() => Int, { description: 'Of those, escalated to mediation.' })
  escalated!: number;

  @Field(() => Int, {
    description: 'Of those, closed against the seller by mediation, appeal or a timeout.',
  })
  atFault!: number;

  @Field(() => Float, { nullable: true, description: 'disputes / orders; null without orders.' })
  disputeRate!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'escalated / disputes; null without disputes.',
  })
  escalationRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'atFault / disputes; null without disputes.' })
  sellerAtFaultRate!: number | null;
}

@ObjectType('CountByKey', { description: 'How many disputes have this value.' })
export class CountByKeyType {
  @Field({
    description:
      'The value counted: a DisputeStatus value in byStatus, a DisputeReason in byReason, an Outcome in byOutcome. A String because one type serves the three lists.',
  })
  key!: string;

  @Field(() => Int, { description: 'How many disputes.' })
  count!: number;
}

@ObjectType('DisputeStats', { description: 'Aggregates for analysts; no personal data.' })
export class DisputeStatsType {
  @Field(() => Int, { description: 'Disputes matching the filter.' })
  total!: number;

  @Field(() => [CountByKeyType], { description: 'Counts by status.' })
  byStatus!: CountByKeyType[];

  @Field(() => [CountByKeyType], { description: 'Counts by reason.' })
  byReason!: CountByKeyType[];

  @Field(() => [CountByKeyType], { description: 'Counts by outcome (ended disputes).' })
  byOutcome!: CountByKeyType[];

  @Field(() => Float, {
    nullable: true,
    description: 'Median milliseconds from opening to closing, over closed disputes.',
  })
  medianResolutionMs!: number | null;

  @Field(() => Int, { description: 'How many closed disputes the median covers.' })
  resolvedCount!: number;
}

@ObjectType('AuditEvent', { description: 'One recorded event of a dispute’s stream, as stored.' })
export class AuditEventType {
  @Field(() => Int, { description: 'Revision in the stream.' })
  revision!: number;

  @Field(() => DisputeEventTypeEnum, { description: 'The event type, as stored.' })
  type!: DisputeEventType;

  @Field(() => Date, { description: 'When the store recorded it.' })
  recordedAt!: Date;

  @Field({ description: 'The event data as JSON.' })
  data!: string;

  @Field(() => String, { nullable: true, description: 'The chained sha256 of the event.' })
  hash!: string | null;
}

@ObjectType('DisputeAudit', {
  description: 'A dispute as it stood at a revision or instant, replayed from its events.',
})
export class DisputeAuditType {
  @Field(() => Int, { description: 'The last revision included (-1: nothing yet).' })
  revision!: number;

  @Field({ description: 'The replayed state as JSON.' })
  state!: string;

  @Field(() => DisputeType, {
    nullable: true,
    description: 'The dispute as the caller would have seen it then; null before it opened.',
  })
  dispute!: DisputeType | null;

  @Field(() => [AuditEventType], { description: 'The events up to that point, in order.' })
  events!: AuditEventType[];
}

@ObjectType('AuditVerification', {
  description: 'Whether a dispute’s stored history is unaltered.',
})
export class AuditVerificationType {
  @Field({
    description:
      'True when every hash matches its chain and, with a digest, nothing it signed of this dispute changed.',
  })
  intact!: boolean;

  @Field(() => Int, { description: 'Events checked.' })
  events!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'The first revision whose hash breaks; null when intact.',
  })
  brokenAtRevision!: number | null;

  @Field(() => AuditDigestVerificationType, {
    nullable: true,
    description:
      'With a digest: the dispute checked against it (findings, inclusion proofs); null without one.',
  })
  digest!: AuditDigestVerificationType | null;
}
