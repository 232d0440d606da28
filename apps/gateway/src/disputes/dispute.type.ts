import { personIdForAnalysts } from '../graphql/person-ids';
import { ActorRoleValue } from '../graphql/me.resolver';
import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import type { ActorRole } from '@arbiter/auth';
import type { Ruling } from '@arbiter/disputes';
import type { Proposal, ViewerDispute } from '@arbiter/disputes/read-side';
import { NextActionType, toNextActionType } from './next-action.type';
import {
  DeadlineKind,
  DecisionStage,
  DisputeReason,
  DisputeStatus,
  EvidenceKind,
  EvidenceRequestStatus,
  Outcome,
  PartyRole,
  Proposer,
  ReachedBy,
  ReturnShippingPayer,
  RulingKind,
} from './dispute.enums';

/**
 * The role-shaped `Dispute` GraphQL type and its mapper from the domain's one view (`evolveView`
 * through the visibility rules), which mutations, queries and subscriptions all answer with.
 * Instants stay the domain's ISO-8601 strings here; their fields are declared `Date` so the
 * schema types them `DateTime`, whose serializer answers a string at UTC like a Date.
 */

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

  @Field(() => Date, { description: 'When it was proposed (ISO-8601 UTC).' })
  submittedAt!: string;

  @Field(() => [PartyRole], { description: 'The parties who accepted it.' })
  acceptedBy!: (keyof typeof PartyRole)[];
}

@ObjectType('StoredFile', {
  description: 'An uploaded evidence file, by its fingerprint; open it with url.',
})
export class StoredFileType {
  @Field({ description: 'Lowercase hex sha256 of the content.' })
  sha256!: string;

  @Field({ description: 'The detected media type.' })
  mediaType!: string;

  @Field(() => Int, { description: 'Size in bytes.' })
  sizeBytes!: number;

  /** The dispute the file is evidence in: its download link opens it through that dispute only. */
  disputeId!: string;
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

  @Field(() => Date, { description: 'When it was added (ISO-8601 UTC).' })
  at!: string;
}

@ObjectType('Message', { description: 'A message on the dispute.' })
export class MessageType {
  @Field(() => ID, { description: 'The message id.' })
  messageId!: string;

  @Field(() => ActorRoleValue, { description: 'The author’s role.' })
  authorRole!: ActorRole;

  @Field({
    description: 'The author’s id (staff ids are hidden from parties; a pseudonym for analysts).',
    middleware: [personIdForAnalysts],
  })
  authorId!: string;

  @Field({ description: 'The text.' })
  body!: string;

  @Field(() => Date, { description: 'When it was posted (ISO-8601 UTC).' })
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

  @Field(() => Date, { description: 'The deadline (ISO-8601 UTC).' })
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

  @Field(() => Date, { description: 'When it was written (ISO-8601 UTC).' })
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

  @Field(() => Date, { nullable: true, description: 'End of the appeal window (ISO-8601 UTC).' })
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

  @Field(() => Date, { description: 'When (ISO-8601 UTC).' })
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

  @Field(() => Date, { nullable: true, description: 'When the buyer shipped it.' })
  shippedAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the carrier delivered it.' })
  deliveredAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the seller confirmed its arrival.' })
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

  @Field(() => Date, { description: 'By when the seller must ship it (ISO-8601 UTC).' })
  shipDueAt!: string;

  @Field(() => String, { nullable: true, description: 'The carrier, once shipped.' })
  carrier!: string | null;

  @Field(() => String, { nullable: true, description: 'The tracking number, once shipped.' })
  trackingNumber!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the seller shipped it.' })
  shippedAt!: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Until when the buyer may report a problem with it (expected delivery + window).',
  })
  complaintDueAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the buyer confirmed it arrived.' })
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

  @Field(() => Date, { description: 'When it passes (ISO-8601 UTC).' })
  dueAt!: string;
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

  @Field(() => Date, { description: 'When it was opened (ISO-8601 UTC).' })
  openedAt!: string;

  @Field(() => Int, {
    description:
      'How many entries of this dispute’s timeline the caller may see, which is the `sequence` of the last one: it grows by one with each event the caller sees and never counts what is hidden from the caller, so a greater value is a newer view.',
  })
  sequence!: number;

  /** The stream revision (0-based, hidden events counted); served to staff only (`DisputeFieldsResolver`). */
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

  @Field(() => PhaseDeadlineType, {
    nullable: true,
    description: 'The current phase’s deadline.',
    deprecationReason:
      'Use `nextAction` (its `dueAt` and `ifMissed`, for the caller or whoever they wait for), or `nextActions` for every deadline running.',
  })
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

  @Field(() => Date, {
    nullable: true,
    description:
      'When the seller marked the refund due as sent (ISO-8601 UTC); the platform’s payout confirmation still closes the dispute.',
  })
  refundMarkedSentAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it closed or was cancelled.' })
  closedAt!: string | null;

  @Field(() => NextActionType, {
    nullable: true,
    description:
      'What next, by when: the caller’s own next action when they have one (`yours: true`), else the one they wait for (`yours: false`; e.g. the buyer of a new dispute sees the seller’s RESPOND_TO_DISPUTE with its `dueAt` and `ifMissed`). When several may act at once (both parties while NEGOTIATING or DECIDED; both parties answering a mediator’s proposal), it is the caller’s own if any, else the first of `nextActions`, which lists them all. Null only when nothing is expected of anyone (CLOSED, CANCELLED). Every role gets it, analysts included.',
  })
  nextAction!: NextActionType | null;

  @Field(() => [NextActionType], {
    description:
      'Everything expected of anyone now, the caller’s own first (`yours: true`), then whom they wait for; e.g. both parties while NEGOTIATING. Empty only when nothing is expected of anyone (CLOSED, CANCELLED).',
  })
  nextActions!: NextActionType[];
}

/** A domain ruling in the GraphQL shape: fields a kind does not carry read null. */
const ruling = (value: Ruling): RulingType => ({
  kind: value.kind,
  amount: 'amount' in value ? value.amount : null,
  returnShippingPaidBy: 'returnShippingPaidBy' in value ? value.returnShippingPaidBy : null,
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
    evidence: view.evidence.map((e) => ({
      ...e,
      file: e.file && { ...e.file, disputeId: view.disputeId },
    })),
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
    nextAction: view.nextAction && toNextActionType(view.nextAction),
    nextActions: view.nextActions.map(toNextActionType),
  };
}
