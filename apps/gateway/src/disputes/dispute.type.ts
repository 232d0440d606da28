import { personIdForAnalysts } from '../graphql/person-ids';
import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { Proposal, ViewerDispute } from '@arbiter/disputes/read-side';

/**
 * The role-shaped `Dispute` GraphQL type and its mapper from the domain's one view (`evolveView`
 * through the visibility rules), which mutations, queries and subscriptions all answer with.
 */

function describedEnum<E extends Record<string, string>>(
  values: E,
  name: string,
  description: string,
  valueDescriptions: { [K in keyof E]: string },
): E {
  const valuesMap = Object.fromEntries(
    Object.entries(valueDescriptions).map(([key, text]) => [key, { description: text }]),
  );
  registerEnumType(values, { name, description, valuesMap: valuesMap as never });
  return values;
}

const keys = <K extends string>(...names: K[]) =>
  Object.fromEntries(names.map((n) => [n, n])) as { [P in K]: P };

export const DisputeStatus = describedEnum(
  keys(
    'AWAITING_SELLER',
    'NEGOTIATING',
    'IN_MEDIATION',
    'DECIDED',
    'IN_APPEAL',
    'RETURN_REQUESTED',
    'RETURN_AWAITING_SHIPMENT',
    'RETURN_IN_TRANSIT',
    'REPLACEMENT_AWAITING_SHIPMENT',
    'REPLACEMENT_IN_TRANSIT',
    'REFUND_PENDING',
    'CLOSED',
    'CANCELLED',
  ),
  'DisputeStatus',
  'Where a dispute is in its life cycle.',
  {
    AWAITING_SELLER: 'Opened; the seller has not responded yet.',
    NEGOTIATING: 'Buyer and seller exchange proposals, evidence and messages.',
    IN_MEDIATION: 'Escalated to a mediator.',
    DECIDED: 'A mediator decided; the appeal window is open.',
    IN_APPEAL: 'A party appealed; a senior mediator decides.',
    RETURN_REQUESTED: 'The item goes back: waiting for the seller to give a return address.',
    RETURN_AWAITING_SHIPMENT: 'Waiting for the buyer to ship the return.',
    RETURN_IN_TRANSIT: 'The return is on its way; the seller confirms its arrival.',
    REPLACEMENT_AWAITING_SHIPMENT:
      'A replacement or resend was agreed or decided: waiting for the seller to ship it (else the buyer is refunded in full).',
    REPLACEMENT_IN_TRANSIT:
      'The replacement is on its way; the buyer confirms it arrived or reports a problem before the complaint window ends.',
    REFUND_PENDING: 'A refund is due; waiting for the platform to confirm the payout.',
    CLOSED: 'Resolved; see the outcome.',
    CANCELLED: 'The buyer cancelled the dispute.',
  },
);

export const DisputeReason = describedEnum(
  keys(
    'ITEM_NOT_RECEIVED',
    'NOT_AS_DESCRIBED',
    'QUALITY_ISSUE',
    'DAMAGED',
    'WRONG_ITEM',
    'MISSING_PARTS',
    'EMPTY_PACKAGE',
    'COUNTERFEIT',
    'OTHER',
  ),
  'DisputeReason',
  'Why the buyer opened the dispute.',
  {
    ITEM_NOT_RECEIVED: 'The item never arrived.',
    NOT_AS_DESCRIBED: 'The item differs from its description.',
    QUALITY_ISSUE: 'The item is of poor quality or does not work.',
    DAMAGED: 'The item arrived damaged.',
    WRONG_ITEM: 'Another item was sent.',
    MISSING_PARTS: 'Parts or accessories are missing.',
    EMPTY_PACKAGE: 'The package arrived empty.',
    COUNTERFEIT: 'The item is a counterfeit.',
    OTHER: 'Any other reason (see the description).',
  },
);

export const SolutionKind = describedEnum(
  keys('FULL_REFUND', 'PARTIAL_REFUND', 'RETURN_AND_REFUND', 'REPLACEMENT', 'RESEND'),
  'SolutionKind',
  'What a buyer, seller or mediator proposes.',
  {
    FULL_REFUND: 'Refund what is left of the order total.',
    PARTIAL_REFUND: 'Refund `amount`; the buyer keeps the item.',
    RETURN_AND_REFUND: 'The buyer returns the item and is refunded `amount`.',
    REPLACEMENT: 'The seller sends a replacement.',
    RESEND: 'The seller sends the item again.',
  },
);

export const RulingKind = describedEnum(
  keys(
    'FULL_REFUND',
    'PARTIAL_REFUND',
    'RETURN_AND_REFUND',
    'REPLACEMENT',
    'RESEND',
    'SELLER_FAVOUR',
  ),
  'RulingKind',
  'A solution, or (mediators only) the claim rejected in the seller’s favour.',
  {
    FULL_REFUND: 'Refund what is left of the order total.',
    PARTIAL_REFUND: 'Refund `amount`; the buyer keeps the item.',
    RETURN_AND_REFUND: 'The buyer returns the item and is refunded `amount`.',
    REPLACEMENT: 'The seller sends a replacement.',
    RESEND: 'The seller sends the item again.',
    SELLER_FAVOUR: 'The claim is rejected; the payment goes to the seller.',
  },
);

export const ReturnShippingPayer = describedEnum(
  keys('buyer', 'seller', 'platform'),
  'ReturnShippingPayer',
  'Who pays the return shipping.',
  { buyer: 'The buyer pays.', seller: 'The seller pays.', platform: 'The marketplace pays.' },
);

export const Proposer = describedEnum(
  keys('buyer', 'seller', 'mediator'),
  'Proposer',
  'Who made a proposal.',
  {
    buyer: 'The buyer.',
    seller: 'The seller.',
    mediator: 'The mediator (a platform solution).',
  },
);

export const PartyRole = describedEnum(
  keys('buyer', 'seller'),
  'PartyRole',
  'One of the two parties of an order.',
  {
    buyer: 'The buyer.',
    seller: 'The seller.',
  },
);

export const EvidenceKind = describedEnum(
  keys('PHOTO', 'VIDEO', 'DOCUMENT', 'TRACKING', 'TEXT'),
  'EvidenceKind',
  'What a piece of evidence is.',
  {
    PHOTO: 'An uploaded photo.',
    VIDEO: 'An uploaded video.',
    DOCUMENT: 'An uploaded document (PDF, text).',
    TRACKING: 'Carrier tracking, as text or a file.',
    TEXT: 'A written statement.',
  },
);

export const EvidenceRequestStatus = describedEnum(
  keys('OPEN', 'ANSWERED', 'LAPSED'),
  'EvidenceRequestStatus',
  'Where a mediator’s request for evidence stands.',
  {
    OPEN: 'Waiting for the party.',
    ANSWERED: 'The party answered it.',
    LAPSED: 'Its deadline passed unanswered.',
  },
);

export const DecisionStage = describedEnum(
  keys('MEDIATION', 'APPEAL'),
  'DecisionStage',
  'Which decision it is.',
  {
    MEDIATION: 'The mediator’s decision.',
    APPEAL: 'The senior mediator’s decision on an appeal (final).',
  },
);

export const Outcome = describedEnum(
  keys(
    'BUYER_FULL_REFUND',
    'BUYER_PARTIAL_REFUND',
    'REPLACEMENT',
    'RESEND',
    'SELLER_FAVOUR',
    'CANCELLED_BY_BUYER',
  ),
  'Outcome',
  'How a dispute ended.',
  {
    BUYER_FULL_REFUND: 'The buyer was refunded in full.',
    BUYER_PARTIAL_REFUND: 'The buyer was refunded in part.',
    REPLACEMENT: 'The seller replaces the item.',
    RESEND: 'The seller sends the item again.',
    SELLER_FAVOUR: 'The claim was rejected.',
    CANCELLED_BY_BUYER: 'The buyer cancelled.',
  },
);

export const ReachedBy = describedEnum(
  keys('AGREEMENT', 'SELLER_TIMEOUT', 'MEDIATION', 'APPEAL', 'BUYER_CANCEL', 'RETURN_TIMEOUT'),
  'ReachedBy',
  'Who or what reached the outcome.',
  {
    AGREEMENT: 'The parties agreed.',
    SELLER_TIMEOUT: 'The seller did not respond in time.',
    MEDIATION: 'A mediator decided.',
    APPEAL: 'A senior mediator decided an appeal.',
    BUYER_CANCEL: 'The buyer cancelled.',
    RETURN_TIMEOUT: 'A return deadline passed.',
  },
);

export const DeadlineKind = describedEnum(
  keys(
    'SELLER_RESPONSE',
    'NEGOTIATION',
    'APPEAL_WINDOW',
    'RETURN_ADDRESS',
    'RETURN_SHIPMENT',
    'RETURN_DELIVERY',
    'RETURN_RECEIPT',
    'REPLACEMENT_SHIPMENT',
    'REPLACEMENT_COMPLAINT',
    'EVIDENCE_REQUEST',
  ),
  'DeadlineKind',
  'A deadline: the current phase’s, or an evidence request’s.',
  {
    SELLER_RESPONSE: 'The seller must respond.',
    NEGOTIATION: 'The negotiation escalates by itself.',
    APPEAL_WINDOW: 'The decision becomes final.',
    RETURN_ADDRESS: 'The seller must give a return address.',
    RETURN_SHIPMENT: 'The buyer must ship the return.',
    RETURN_DELIVERY:
      'The platform must record the return’s delivery; if it does not, the case goes to a mediator.',
    RETURN_RECEIPT: 'The seller must confirm the return arrived.',
    REPLACEMENT_SHIPMENT: 'The seller must ship the replacement or resend.',
    REPLACEMENT_COMPLAINT: 'The buyer may report a problem with the replacement until then.',
    EVIDENCE_REQUEST: 'The party asked must answer the mediator’s evidence request.',
  },
);

export const ExpectedAction = describedEnum(
  keys(
    'RESPOND_TO_DISPUTE',
    'NEGOTIATE',
    'ANSWER_PROPOSAL',
    'TAKE_CASE',
    'ANSWER_EVIDENCE_REQUEST',
    'DECIDE',
    'ACCEPT_OR_APPEAL_DECISION',
    'TAKE_APPEAL',
    'DECIDE_APPEAL',
    'PROVIDE_RETURN_ADDRESS',
    'SHIP_RETURN',
    'RECORD_RETURN_DELIVERY',
    'CONFIRM_RETURN_RECEIVED',
    'CONFIRM_REFUND_PAYOUT',
    'SHIP_REPLACEMENT',
    'CONFIRM_REPLACEMENT_RECEIVED',
    'REPORT_REPLACEMENT_PROBLEM',
  ),
  'ExpectedAction',
  'What the caller is expected to do next.',
  {
    RESPOND_TO_DISPUTE: 'Accept, reject or counter the buyer’s claim.',
    NEGOTIATE: 'Propose, add evidence, message, or escalate.',
    ANSWER_PROPOSAL: 'Accept the other side’s (or the mediator’s) proposal, or counter it.',
    TAKE_CASE: 'Take the escalated case.',
    ANSWER_EVIDENCE_REQUEST: 'Add the evidence the mediator asked for.',
    DECIDE: 'Decide the case.',
    ACCEPT_OR_APPEAL_DECISION: 'Accept the decision or appeal it.',
    TAKE_APPEAL: 'Take the appeal.',
    DECIDE_APPEAL: 'Decide the appeal.',
    PROVIDE_RETURN_ADDRESS: 'Give the return address.',
    SHIP_RETURN: 'Ship the return and give its tracking.',
    RECORD_RETURN_DELIVERY:
      'Record that the carrier delivered the return (starts the seller’s receipt deadline).',
    CONFIRM_RETURN_RECEIVED: 'Confirm the return arrived (or dispute its condition).',
    CONFIRM_REFUND_PAYOUT: 'Confirm the refund was paid out.',
    SHIP_REPLACEMENT: 'Ship the replacement (or resend the item) and give its tracking.',
    CONFIRM_REPLACEMENT_RECEIVED: 'Confirm the replacement arrived as agreed.',
    REPORT_REPLACEMENT_PROBLEM:
      'Report that the replacement did not arrive or is not as agreed (back to mediation).',
  },
);

export const DeadlineConsequence = describedEnum(
  keys(
    'BUYER_PROPOSAL_ACCEPTED',
    'ESCALATED_TO_MEDIATION',
    'EVIDENCE_REQUEST_LAPSES',
    'DECISION_BECOMES_FINAL',
    'REFUND_WITHOUT_RETURN',
    'CLOSED_IN_SELLER_FAVOUR',
    'REFUND_RELEASED',
    'REFUND_INSTEAD_OF_REPLACEMENT',
    'REPLACEMENT_DEEMED_RECEIVED',
  ),
  'DeadlineConsequence',
  'What happens by itself when a deadline passes.',
  {
    BUYER_PROPOSAL_ACCEPTED: 'The buyer’s proposal is accepted on the seller’s behalf.',
    ESCALATED_TO_MEDIATION: 'The dispute goes to a mediator.',
    EVIDENCE_REQUEST_LAPSES: 'The request lapses; the mediator may decide without it.',
    DECISION_BECOMES_FINAL: 'The decision becomes final.',
    REFUND_WITHOUT_RETURN: 'The buyer is refunded without returning the item.',
    CLOSED_IN_SELLER_FAVOUR: 'The dispute closes in the seller’s favour.',
    REFUND_RELEASED: 'The refund is released.',
    REFUND_INSTEAD_OF_REPLACEMENT:
      'The seller did not ship the replacement: the buyer is refunded in full instead.',
    REPLACEMENT_DEEMED_RECEIVED:
      'No problem was reported: the replacement counts as received and the dispute closes.',
  },
);

@ObjectType('Money', {
  description: 'An amount in integer minor units (cents) of an ISO 4217 currency.',
})
export class MoneyType {
  @Field(() => Int, { description: 'Minor units, e.g. 1999 for 19.99.' })
  amountMinor!: number;

  @Field({ description: 'ISO 4217 code, e.g. EUR.' })
  currency!: string;
}

@ObjectType('Ruling', { description: 'A proposed solution or a decided ruling.' })
export class RulingType {
  @Field(() => RulingKind, { description: 'What is proposed or decided.' })
  kind!: keyof typeof RulingKind;

  @Field(() => MoneyType, {
    nullable: true,
    description: 'The refund, for partial refunds and returns.',
  })
  amount!: MoneyType | null;

  @Field(() => ReturnShippingPayer, {
    nullable: true,
    description: 'Who pays the return shipping, for returns.',
  })
  returnShippingPaidBy!: keyof typeof ReturnShippingPayer | null;
}

@ObjectType('Proposal', { description: 'The current proposal of one proposer.' })
export class ProposalType {
  @Field(() => ID, { description: 'The proposal id (accept or withdraw it by this id).' })
  proposalId!: string;

  @Field(() => Proposer, { description: 'Who proposes.' })
  proposer!: keyof typeof Proposer;

  @Field(() => RulingType, { description: 'The proposed solution.' })
  solution!: RulingType;

  @Field({ description: 'When it was proposed (ISO-8601 UTC).' })
  submittedAt!: string;

  @Field(() => [PartyRole], { description: 'The parties who accepted it.' })
  acceptedBy!: (keyof typeof PartyRole)[];
}

@ObjectType('StoredFile', { description: 'An uploaded evidence file, by its fingerprint.' })
export class StoredFileType {
  @Field({ description: 'Lowercase hex sha256 of the content.' })
  sha256!: string;

  @Field({ description: 'The detected media type.' })
  mediaType!: string;

  @Field(() => Int, { description: 'Size in bytes.' })
  sizeBytes!: number;
}

@ObjectType('Evidence', { description: 'A piece of evidence a party added.' })
export class EvidenceType {
  @Field(() => ID, { description: 'The evidence id.' })
  evidenceId!: string;

  @Field(() => PartyRole, { description: 'Which party submitted it.' })
  submittedBy!: keyof typeof PartyRole;

  @Field(() => EvidenceKind, { description: 'What it is.' })
  kind!: keyof typeof EvidenceKind;

  @Field(() => String, { nullable: true, description: 'The text, for written evidence.' })
  text!: string | null;

  @Field(() => StoredFileType, { nullable: true, description: 'The file, for uploaded evidence.' })
  file!: StoredFileType | null;

  @Field({ description: 'What the evidence shows.' })
  description!: string;

  @Field(() => ID, { nullable: true, description: 'The mediator’s request it answers, if any.' })
  answersRequestId!: string | null;

  @Field({ description: 'When it was added (ISO-8601 UTC).' })
  at!: string;
}

@ObjectType('Message', { description: 'A message on the dispute.' })
export class MessageType {
  @Field(() => ID, { description: 'The message id.' })
  messageId!: string;

  @Field({ description: 'The author’s role.' })
  authorRole!: string;

  @Field({
    description: 'The author’s id (staff ids are hidden from parties; a pseudonym for analysts).',
    middleware: [personIdForAnalysts],
  })
  authorId!: string;

  @Field({ description: 'The text.' })
  body!: string;

  @Field({ description: 'When it was posted (ISO-8601 UTC).' })
  at!: string;
}

@ObjectType('EvidenceRequest', { description: 'A mediator’s request for evidence from a party.' })
export class EvidenceRequestType {
  @Field(() => ID, { description: 'The request id (answer it with addEvidence.answersRequestId).' })
  requestId!: string;

  @Field(() => PartyRole, { description: 'Which party is asked.' })
  from!: keyof typeof PartyRole;

  @Field({ description: 'What is asked for.' })
  prompt!: string;

  @Field({ description: 'The deadline (ISO-8601 UTC).' })
  dueAt!: string;

  @Field(() => EvidenceRequestStatus, { description: 'Open, answered or lapsed.' })
  status!: keyof typeof EvidenceRequestStatus;
}

@ObjectType('InternalNote', { description: 'A staff-only note (never shown to parties).' })
export class InternalNoteType {
  @Field(() => ID, { description: 'The note id.' })
  noteId!: string;

  @Field({ description: 'The note.' })
  note!: string;

  @Field({ description: 'The staff member who wrote it.' })
  authorId!: string;

  @Field({ description: 'When it was written (ISO-8601 UTC).' })
  at!: string;
}

@ObjectType('Decision', { description: 'The current decision of a mediator or senior mediator.' })
export class DecisionType {
  @Field(() => ID, { description: 'The decision id (accept or appeal it by this id).' })
  decisionId!: string;

  @Field(() => DecisionStage, { description: 'Mediation or appeal.' })
  stage!: keyof typeof DecisionStage;

  @Field(() => RulingType, { description: 'What was decided.' })
  ruling!: RulingType;

  @Field({ description: 'Why.' })
  rationale!: string;

  @Field({ description: 'True when no appeal is possible.' })
  final!: boolean;

  @Field(() => String, { nullable: true, description: 'End of the appeal window (ISO-8601 UTC).' })
  appealDueAt!: string | null;

  @Field(() => [PartyRole], { description: 'The parties who accepted it.' })
  acceptedBy!: (keyof typeof PartyRole)[];
}

@ObjectType('Appeal', { description: 'A party’s appeal of a decision.' })
export class AppealType {
  @Field(() => ID, { description: 'The appeal id.' })
  appealId!: string;

  @Field(() => ID, { description: 'The decision appealed.' })
  decisionId!: string;

  @Field(() => PartyRole, { description: 'Who appealed.' })
  appellant!: keyof typeof PartyRole;

  @Field({ description: 'The new information the appeal brings.' })
  newInformation!: string;

  @Field({ description: 'When (ISO-8601 UTC).' })
  at!: string;
}

@ObjectType('ReturnAddress', { description: 'Where a return goes.' })
export class ReturnAddressType {
  @Field({ description: 'Addressee.' })
  name!: string;

  @Field(() => [String], { description: 'Street lines.' })
  lines!: string[];

  @Field({ description: 'Postal code.' })
  postalCode!: string;

  @Field({ description: 'ISO 3166-1 alpha-2 country code.' })
  country!: string;
}

@ObjectType('ReturnInfo', { description: 'The return of the item, when the resolution needs one.' })
export class ReturnInfoType {
  @Field(() => ReturnShippingPayer, {
    nullable: true,
    description: 'Who pays the return shipping.',
  })
  shippingPaidBy!: keyof typeof ReturnShippingPayer | null;

  @Field(() => ReturnAddressType, { nullable: true, description: 'The seller’s return address.' })
  address!: ReturnAddressType | null;

  @Field(() => String, { nullable: true, description: 'The return’s carrier.' })
  carrier!: string | null;

  @Field(() => String, { nullable: true, description: 'The return’s tracking number.' })
  trackingNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'When the buyer shipped it.' })
  shippedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When the carrier delivered it.' })
  deliveredAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When the seller confirmed its arrival.' })
  receivedAt!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The seller’s statement when the condition is disputed.',
  })
  conditionDisputed!: string | null;
}

@ObjectType('ReplacementInfo', {
  description:
    'The follow-through of a REPLACEMENT or RESEND outcome: the seller ships by a deadline, the buyer confirms or reports a problem.',
})
export class ReplacementInfoType {
  @Field(() => RulingKind, { description: 'REPLACEMENT or RESEND.' })
  kind!: keyof typeof RulingKind;

  @Field({ description: 'By when the seller must ship it (ISO-8601 UTC).' })
  shipDueAt!: string;

  @Field(() => String, { nullable: true, description: 'The carrier, once shipped.' })
  carrier!: string | null;

  @Field(() => String, { nullable: true, description: 'The tracking number, once shipped.' })
  trackingNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'When the seller shipped it.' })
  shippedAt!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Until when the buyer may report a problem with it (expected delivery + window).',
  })
  complaintDueAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When the buyer confirmed it arrived.' })
  receivedAt!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The buyer’s report of a problem (the case went back to mediation), if any.',
  })
  problemReported!: string | null;
}

@ObjectType('DisputeOutcome', { description: 'How the dispute ended (or is ending).' })
export class DisputeOutcomeType {
  @Field(() => Outcome, { description: 'The outcome.' })
  outcome!: keyof typeof Outcome;

  @Field(() => ReachedBy, { description: 'Who or what reached it.' })
  reachedBy!: keyof typeof ReachedBy;

  @Field(() => RulingType, { nullable: true, description: 'The ruling carried out, if any.' })
  ruling!: RulingType | null;

  @Field(() => MoneyType, { nullable: true, description: 'The refund, if any.' })
  refundAmount!: MoneyType | null;
}

@ObjectType('PhaseDeadline', { description: 'The deadline of the current phase.' })
export class PhaseDeadlineType {
  @Field(() => DeadlineKind, { description: 'Which deadline.' })
  kind!: keyof typeof DeadlineKind;

  @Field({ description: 'When it passes (ISO-8601 UTC).' })
  dueAt!: string;
}

@ObjectType('NextAction', { description: 'What the caller is expected to do next, by when.' })
export class NextActionType {
  @Field(() => ExpectedAction, { description: 'The action.' })
  action!: keyof typeof ExpectedAction;

  @Field(() => String, {
    nullable: true,
    description: 'Its deadline (ISO-8601 UTC), if one applies.',
  })
  dueAt!: string | null;

  @Field(() => DeadlineConsequence, {
    nullable: true,
    description: 'What happens if the deadline passes.',
  })
  ifMissed!: keyof typeof DeadlineConsequence | null;
}

@ObjectType('Dispute', {
  description:
    'A dispute as the caller may see it: parties never see internal notes or staff ids; analysts see no personal free text.',
})
export class DisputeType {
  @Field(() => ID, { description: 'The dispute id.' })
  disputeId!: string;

  @Field(() => ID, {
    description: 'The order disputed (a pseudonym for analysts).',
    middleware: [personIdForAnalysts],
  })
  orderId!: string;

  @Field(() => ID, {
    description: 'The order’s buyer (a pseudonym for analysts).',
    middleware: [personIdForAnalysts],
  })
  buyerId!: string;

  @Field(() => ID, {
    description: 'The order’s seller (a pseudonym for analysts).',
    middleware: [personIdForAnalysts],
  })
  sellerId!: string;

  @Field(() => DisputeStatus, { description: 'Where the dispute is in its life cycle.' })
  status!: keyof typeof DisputeStatus;

  @Field(() => DisputeReason, { description: 'Why it was opened.' })
  reason!: keyof typeof DisputeReason;

  @Field({ description: 'The buyer’s description of the problem.' })
  description!: string;

  @Field(() => MoneyType, { description: 'The order total.' })
  orderTotal!: MoneyType;

  @Field(() => MoneyType, { description: 'What is left to refund on the order.' })
  refundable!: MoneyType;

  @Field({ description: 'When it was opened (ISO-8601 UTC).' })
  openedAt!: string;

  @Field(() => Int, {
    description: 'Stream revision this view reflects (0-based); grows with every event.',
  })
  revision!: number;

  @Field(() => [ProposalType], { description: 'The current proposal of each proposer.' })
  proposals!: ProposalType[];

  @Field(() => [EvidenceType], { description: 'All evidence, oldest first.' })
  evidence!: EvidenceType[];

  @Field(() => [MessageType], { description: 'All messages, oldest first.' })
  messages!: MessageType[];

  @Field(() => [EvidenceRequestType], { description: 'The mediators’ requests for evidence.' })
  evidenceRequests!: EvidenceRequestType[];

  @Field(() => [InternalNoteType], {
    description: 'Staff-only notes; always empty for other roles.',
  })
  internalNotes!: InternalNoteType[];

  @Field(() => DecisionType, { nullable: true, description: 'The current decision, if any.' })
  decision!: DecisionType | null;

  @Field(() => [AppealType], { description: 'Appeals, oldest first.' })
  appeals!: AppealType[];

  @Field(() => ReturnInfoType, { nullable: true, description: 'The return, when one is required.' })
  returnInfo!: ReturnInfoType | null;

  @Field(() => ReplacementInfoType, {
    nullable: true,
    description: 'The replacement or resend to ship, once such an outcome was reached.',
  })
  replacement!: ReplacementInfoType | null;

  @Field(() => PhaseDeadlineType, { nullable: true, description: 'The current phase’s deadline.' })
  deadline!: PhaseDeadlineType | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The assigned mediator (staff only; null for others).',
  })
  mediatorId!: string | null;

  @Field({ description: 'Whether a mediator has taken the case.' })
  mediatorAssigned!: boolean;

  @Field(() => DisputeOutcomeType, {
    nullable: true,
    description: 'How it ended, once closed or cancelled.',
  })
  outcome!: DisputeOutcomeType | null;

  @Field(() => MoneyType, { nullable: true, description: 'The refund due, once one is.' })
  refundDue!: MoneyType | null;

  @Field(() => MoneyType, { nullable: true, description: 'The refund paid out, once it is.' })
  refunded!: MoneyType | null;

  @Field(() => String, {
    nullable: true,
    description:
      'When the seller marked the refund due as sent (ISO-8601 UTC); the platform’s payout confirmation still closes the dispute.',
  })
  refundMarkedSentAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When it closed or was cancelled.' })
  closedAt!: string | null;

  @Field(() => NextActionType, {
    nullable: true,
    description: 'What the caller is expected to do next.',
  })
  nextAction!: NextActionType | null;
}

const ruling = (value: {
  kind: string;
  amount?: MoneyType;
  returnShippingPaidBy?: string;
}): RulingType => ({
  kind: value.kind as RulingType['kind'],
  amount: value.amount ?? null,
  returnShippingPaidBy: (value.returnShippingPaidBy ?? null) as RulingType['returnShippingPaidBy'],
});

/**
 * The view → `Dispute`: the view is already role-shaped and holds every fact; only the current
 * proposals become a list and rulings change form.
 */
export function toDisputeType(view: ViewerDispute): DisputeType {
  const { buyer, seller, mediator } = view.proposals;
  return {
    ...view,
    proposals: [buyer, seller, mediator]
      .filter((p): p is Proposal => p !== null)
      .map((p) => ({ ...p, solution: ruling(p.solution), acceptedBy: [...p.acceptedBy] })),
    evidence: view.evidence.map((e) => ({ ...e, file: e.file && { ...e.file } })),
    decision: view.decision && { ...view.decision, ruling: ruling(view.decision.ruling) },
    returnInfo: view.returnInfo && {
      ...view.returnInfo,
      address: view.returnInfo.address && {
        ...view.returnInfo.address,
        lines: [...view.returnInfo.address.lines],
      },
    },
    outcome: view.outcome && {
      ...view.outcome,
      ruling: view.outcome.ruling && ruling(view.outcome.ruling),
    },
  } as DisputeType;
}
