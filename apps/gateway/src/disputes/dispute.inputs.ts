import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { SELLER_RESPONSES } from '@arbiter/disputes';
import { domainEnum } from '../graphql/domain-enum';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsDate,
  IsDefined,
  IsEnum,
  IsInt,
  IsISO31661Alpha2,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { DisputeReason, EvidenceKind, PartyRole } from './dispute.enums';
import { MoneyInput, RulingInput, SolutionInput } from './solution.inputs';

/**
 * Mutation inputs, validated by the global ValidationPipe (BAD_USER_INPUT with field paths such
 * as `input.claim.amount.currency`). They check shape only: every business rule is the decider's.
 */

/** Ids the marketplace chooses (orders, users): letters, digits and `_ . : -`, at most 64. */
export const EXTERNAL_ID = /^[A-Za-z0-9][\w.:-]{0,63}$/;
const IDEMPOTENCY_KEY = /^[\w.:-]{1,128}$/;
const TEXT = 4000;
const SHORT = 200;

const Text = (max: number) => (target: object, key: string) => {
  IsString()(target, key);
  MinLength(1)(target, key);
  MaxLength(max)(target, key);
};

@InputType({ isAbstract: true })
abstract class MutationInput {
  @Field({
    nullable: true,
    description:
      'Makes the mutation idempotent: the same key from the same caller returns the first result and changes nothing, also when the requests arrive at the same time. Send one with every mutation and retry with the same key when an answer is lost or says it may be retried. A key reused for another request (other input, another dispute or order, another mutation) is refused with IDEMPOTENCY_KEY_REUSED. When given, it wins over the `Idempotency-Key` header.',
  })
  @IsOptional()
  @Matches(IDEMPOTENCY_KEY, { message: 'idempotencyKey must be 1–128 letters, digits or _ . : -' })
  idempotencyKey?: string;
}

@InputType({ isAbstract: true })
abstract class DisputeMutationInput extends MutationInput {
  @Field(() => ID, { description: 'The dispute.' })
  @IsUUID('all', { message: 'disputeId must be a dispute id (a UUID)' })
  disputeId!: string;
}

@InputType('OrderItemInput', { description: 'One line of an order.' })
export class OrderItemInput {
  @Field({ description: 'The product’s SKU.' })
  @Matches(EXTERNAL_ID)
  sku!: string;

  @Field({ description: 'The product’s title.' })
  @Text(SHORT)
  title!: string;

  @Field(() => Int, { description: 'How many.' })
  @IsInt()
  @IsPositive()
  quantity!: number;

  @Field(() => MoneyInput, { description: 'Price of one.' })
  @ValidateNested()
  @Type(() => MoneyInput)
  unitPrice!: MoneyInput;
}

@InputType('PlaceOrderInput', { description: 'Platform: an order placed on the marketplace.' })
export class PlaceOrderInput extends MutationInput {
  @Field(() => ID, { description: 'The marketplace’s order id.' })
  @Matches(EXTERNAL_ID, { message: 'orderId must be 1–64 letters, digits or _ . : -' })
  orderId!: string;

  @Field(() => ID, { description: 'The buyer’s user id.' })
  @Matches(EXTERNAL_ID, { message: 'buyerId must be 1–64 letters, digits or _ . : -' })
  buyerId!: string;

  @Field(() => ID, { description: 'The seller’s user id.' })
  @Matches(EXTERNAL_ID, { message: 'sellerId must be 1–64 letters, digits or _ . : -' })
  sellerId!: string;

  @Field(() => MoneyInput, { description: 'The order total.' })
  @ValidateNested()
  @Type(() => MoneyInput)
  total!: MoneyInput;

  @Field(() => [OrderItemInput], { description: 'The order lines (1–100).' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => OrderItemInput)
  items!: OrderItemInput[];

  @Field(() => ID, {
    nullable: true,
    description:
      'Staging only: the test clock (`createTestClock`) this order and every dispute on it take their time from, so their deadlines pass when the clock is advanced. Refused with TEST_CLOCKS_DISABLED in production.',
  })
  @IsOptional()
  @Matches(EXTERNAL_ID, { message: 'testClockId must be a test clock id' })
  testClockId?: string;
}

@InputType('ShipOrderInput', { description: 'Platform: the order shipped.' })
export class ShipOrderInput extends MutationInput {
  @Field(() => ID, { description: 'The order.' })
  @Matches(EXTERNAL_ID, { message: 'orderId must be 1–64 letters, digits or _ . : -' })
  orderId!: string;

  @Field({ description: 'The carrier.' })
  @Text(SHORT)
  carrier!: string;

  @Field({ description: 'The tracking number.' })
  @Text(SHORT)
  trackingNumber!: string;

  @Field(() => Date, {
    description:
      'The promised delivery date. An offset other than `Z` is read as the instant it names; the order answers it at UTC.',
  })
  @Type(() => Date)
  @IsDate()
  deliveryDeadline!: Date;
}

@InputType('OrderActionInput', {
  description: 'Platform: an action on an order that needs nothing else.',
})
export class OrderActionInput extends MutationInput {
  @Field(() => ID, { description: 'The order.' })
  @Matches(EXTERNAL_ID, { message: 'orderId must be 1–64 letters, digits or _ . : -' })
  orderId!: string;
}

@InputType('OpenDisputeInput', { description: 'Buyer: open a dispute on an order.' })
export class OpenDisputeInput extends MutationInput {
  @Field(() => ID, { description: 'The order disputed.' })
  @Matches(EXTERNAL_ID, { message: 'orderId must be 1–64 letters, digits or _ . : -' })
  orderId!: string;

  @Field(() => DisputeReason, { description: 'Why.' })
  @IsEnum(DisputeReason)
  reason!: keyof typeof DisputeReason;

  @Field({ description: 'What went wrong (1–4000 characters).' })
  @Text(TEXT)
  description!: string;

  @Field(() => SolutionInput, { description: 'What the buyer asks for (their first proposal).' })
  @ValidateNested()
  @Type(() => SolutionInput)
  claim!: SolutionInput;
}

export const SellerResponse = domainEnum(
  SELLER_RESPONSES,
  'SellerResponse',
  'The seller’s first answer to a dispute.',
  {
    ACCEPT: 'Accept the buyer’s claim (`proposalId`).',
    REJECT: 'Reject it (the buyer may then escalate at once).',
    COUNTER: 'Propose something else (`counterProposal`).',
  },
);

@InputType('RespondToDisputeInput', { description: 'Seller: answer a new dispute.' })
export class RespondToDisputeInput extends DisputeMutationInput {
  @Field(() => SellerResponse, { description: 'Accept, reject or counter.' })
  @IsEnum(SellerResponse)
  response!: keyof typeof SellerResponse;

  @Field(() => ID, {
    nullable: true,
    description:
      'Required with ACCEPT: the id of the buyer’s claim being accepted. Refused with PROPOSAL_CHANGED if the buyer has replaced it since.',
  })
  @ValidateIf((o: RespondToDisputeInput) => o.response === SellerResponse.ACCEPT)
  @IsDefined({ message: 'proposalId is required to accept' })
  @IsUUID('all')
  proposalId?: string;

  @Field({ description: 'A comment for the buyer (required to reject; may be empty otherwise).' })
  @IsString()
  @MaxLength(TEXT)
  comment!: string;

  @Field(() => SolutionInput, {
    nullable: true,
    description: 'The counter-proposal; required with COUNTER.',
  })
  @ValidateIf((o: RespondToDisputeInput) => o.response === SellerResponse.COUNTER)
  @IsDefined()
  @ValidateNested()
  @Type(() => SolutionInput)
  counterProposal?: SolutionInput;
}

@InputType('SubmitProposalInput', {
  description: 'Buyer, seller or the assigned mediator: propose a solution.',
})
export class SubmitProposalInput extends DisputeMutationInput {
  @Field(() => SolutionInput, { description: 'The solution; replaces the proposer’s current one.' })
  @ValidateNested()
  @Type(() => SolutionInput)
  solution!: SolutionInput;
}

@InputType('ProposalActionInput', { description: 'Accept or withdraw a proposal.' })
export class ProposalActionInput extends DisputeMutationInput {
  @Field(() => ID, { description: 'The proposal.' })
  @IsUUID('all')
  proposalId!: string;
}

@InputType('AddEvidenceInput', {
  description: 'Buyer or seller: add evidence, text or an uploaded file.',
})
export class AddEvidenceInput extends DisputeMutationInput {
  @Field(() => EvidenceKind, { description: 'What it is.' })
  @IsEnum(EvidenceKind)
  kind!: keyof typeof EvidenceKind;

  @Field({ description: 'What it shows (1–4000 characters).' })
  @Text(TEXT)
  description!: string;

  @Field({
    nullable: true,
    description: 'The text of written evidence (exactly one of text and fileId).',
  })
  @IsOptional()
  @Text(TEXT)
  text?: string;

  @Field({
    nullable: true,
    description:
      'A file you uploaded for this dispute: the `id` POST /evidence returned (`sha256:<hex>`). Another dispute’s or another party’s upload is EVIDENCE_FILE_NOT_FOUND.',
  })
  @IsOptional()
  @Matches(/^sha256:[0-9a-f]{64}$/, { message: 'fileId must be sha256:<64 hex digits>' })
  fileId?: string;

  @Field(() => ID, { nullable: true, description: 'The mediator’s request this answers.' })
  @IsOptional()
  @IsUUID('all')
  answersRequestId?: string;
}

@InputType('PostMessageInput', { description: 'Buyer or seller: a message.' })
export class PostMessageInput extends DisputeMutationInput {
  @Field({ description: 'The text (1–4000 characters).' })
  @Text(TEXT)
  body!: string;
}

@InputType('DisputeActionInput', { description: 'An action on a dispute that needs nothing else.' })
export class DisputeActionInput extends DisputeMutationInput {}

@InputType('CancelDisputeInput', { description: 'Buyer: cancel the dispute.' })
export class CancelDisputeInput extends DisputeMutationInput {
  @Field({ description: 'Why (may be empty).' })
  @IsString()
  @MaxLength(TEXT)
  comment!: string;
}

@InputType('RequestEvidenceInput', {
  description: 'The assigned mediator asks a party for evidence.',
})
export class RequestEvidenceInput extends DisputeMutationInput {
  @Field(() => PartyRole, { description: 'Which party.' })
  @IsEnum(PartyRole)
  from!: keyof typeof PartyRole;

  @Field({ description: 'What is asked for (1–4000 characters).' })
  @Text(TEXT)
  prompt!: string;
}

@InputType('AddInternalNoteInput', { description: 'Staff: a note parties never see.' })
export class AddInternalNoteInput extends DisputeMutationInput {
  @Field({ description: 'The note (1–4000 characters).' })
  @Text(TEXT)
  note!: string;
}

@InputType('DecideInput', {
  description: 'A mediator’s decision, or a senior mediator’s on an appeal.',
})
export class DecideInput extends DisputeMutationInput {
  @Field(() => RulingInput, { description: 'What is decided.' })
  @ValidateNested()
  @Type(() => RulingInput)
  ruling!: RulingInput;

  @Field({ description: 'Why (1–4000 characters).' })
  @Text(TEXT)
  rationale!: string;
}

@InputType('DecisionActionInput', { description: 'A party accepts the current decision.' })
export class DecisionActionInput extends DisputeMutationInput {
  @Field(() => ID, { description: 'The decision.' })
  @IsUUID('all')
  decisionId!: string;
}

@InputType('AppealDecisionInput', { description: 'A party appeals the current decision.' })
export class AppealDecisionInput extends DecisionActionInput {
  @Field({ description: 'The new information the appeal brings (1–4000 characters).' })
  @Text(TEXT)
  newInformation!: string;
}

@InputType('ReturnAddressInput', { description: 'Where the buyer sends the item back.' })
export class ReturnAddressInput {
  @Field({ description: 'Addressee.' })
  @Text(SHORT)
  name!: string;

  @Field(() => [String], { description: 'Street lines (1–4).' })
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MaxLength(SHORT, { each: true })
  lines!: string[];

  @Field({ description: 'Postal code.' })
  @Text(20)
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2 country code.' })
  @IsISO31661Alpha2()
  country!: string;
}

@InputType('ProvideReturnAddressInput', { description: 'Seller: the return address.' })
export class ProvideReturnAddressInput extends DisputeMutationInput {
  @Field(() => ReturnAddressInput, { description: 'The address.' })
  @ValidateNested()
  @Type(() => ReturnAddressInput)
  address!: ReturnAddressInput;
}

@InputType('ShipReturnInput', { description: 'Buyer: the return shipped.' })
export class ShipReturnInput extends DisputeMutationInput {
  @Field({ description: 'The carrier.' })
  @Text(SHORT)
  carrier!: string;

  @Field({ description: 'The tracking number.' })
  @Text(SHORT)
  trackingNumber!: string;
}

@InputType('ShipReplacementInput', {
  description: 'Seller: the replacement (or resend) of the item shipped.',
})
export class ShipReplacementInput extends DisputeMutationInput {
  @Field({ description: 'The carrier.' })
  @Text(SHORT)
  carrier!: string;

  @Field({ description: 'The tracking number the buyer can follow.' })
  @Text(SHORT)
  trackingNumber!: string;
}

@InputType('ReportReplacementProblemInput', {
  description: 'Buyer: the replacement did not arrive or is not as agreed.',
})
export class ReportReplacementProblemInput extends DisputeMutationInput {
  @Field({ description: 'What is wrong (1–4000 characters).' })
  @Text(TEXT)
  statement!: string;
}

@InputType('DisputeReturnConditionInput', {
  description: 'Seller: the returned item is not as agreed.',
})
export class DisputeReturnConditionInput extends DisputeMutationInput {
  @Field({ description: 'What is wrong with it (1–4000 characters).' })
  @Text(TEXT)
  statement!: string;
}

@InputType('MarkRefundSentInput', {
  description: 'Seller: you sent the refund due yourself; the platform then confirms the payout.',
})
export class MarkRefundSentInput extends DisputeMutationInput {
  @Field({ description: 'Your transfer’s reference, for the platform to find the payment.' })
  @Text(SHORT)
  reference!: string;

  @Field(() => MoneyInput, { description: 'The amount sent; must equal the refund due.' })
  @ValidateNested()
  @Type(() => MoneyInput)
  amount!: MoneyInput;
}

@InputType('ConfirmRefundPayoutInput', { description: 'Platform: the refund was paid out.' })
export class ConfirmRefundPayoutInput extends DisputeMutationInput {
  @Field({ description: 'The payment system’s reference.' })
  @Text(SHORT)
  payoutReference!: string;

  @Field(() => MoneyInput, { description: 'The amount paid; must equal the refund due.' })
  @ValidateNested()
  @Type(() => MoneyInput)
  amount!: MoneyInput;
}
