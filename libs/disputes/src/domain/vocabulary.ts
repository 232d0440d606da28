import type { Money } from './money';

/** The shared words of the dispute domain (docs/domain.md#roles and #lists). */

export const ROLES = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
  'analyst',
  'system',
] as const;
export type Role = (typeof ROLES)[number];

/** The two parties of an order. */
export const PARTY_ROLES = ['buyer', 'seller'] as const satisfies readonly Role[];
export type PartyRole = (typeof PARTY_ROLES)[number];

/** Platform staff: they mediate, see internal notes, and their ids are hidden from parties. */
export const STAFF_ROLES = ['mediator', 'senior_mediator'] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];
const STAFF: readonly Role[] = STAFF_ROLES;
export const isStaffRole = (role: Role): role is StaffRole => STAFF.includes(role);

/**
 * Who may be expected to act next (views' `nextAction.actor`): never an analyst, who only reads,
 * nor the system, whose part is the deadlines themselves.
 */
export const EXPECTED_ACTORS = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
] as const satisfies readonly Role[];
export type ExpectedActor = (typeof EXPECTED_ACTORS)[number];

/** Whether `role` takes the part of `actor`: its own, and a senior mediator a mediator's too. */
export const actsAs = (role: Role, actor: ExpectedActor): boolean =>
  role === actor || (role === 'senior_mediator' && actor === 'mediator');

/** Who may make a proposal: a party, or the mediator (a platform solution). */
export const PROPOSERS = [...PARTY_ROLES, 'mediator'] as const satisfies readonly Role[];
export type Proposer = (typeof PROPOSERS)[number];

/** Who issues a command. Every command carries one; authorization is decided from it. */
export interface Actor {
  readonly id: string;
  readonly role: Role;
}

export const DISPUTE_REASONS = [
  'ITEM_NOT_RECEIVED',
  'NOT_AS_DESCRIBED',
  'QUALITY_ISSUE',
  'DAMAGED',
  'WRONG_ITEM',
  'MISSING_PARTS',
  'EMPTY_PACKAGE',
  'COUNTERFEIT',
  'OTHER',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export const RETURN_SHIPPING_PAYERS = ['buyer', 'seller', 'platform'] as const;
export type ReturnShippingPayer = (typeof RETURN_SHIPPING_PAYERS)[number];

/** What a buyer, seller or mediator proposes. Refund amounts are in the order's currency. */
export type Solution =
  | { readonly kind: 'FULL_REFUND' }
  | { readonly kind: 'PARTIAL_REFUND'; readonly amount: Money }
  | {
      readonly kind: 'RETURN_AND_REFUND';
      readonly amount: Money;
      readonly returnShippingPaidBy: ReturnShippingPayer;
    }
  | { readonly kind: 'REPLACEMENT' }
  | { readonly kind: 'RESEND' };
export type SolutionKind = Solution['kind'];

/** What a mediator may decide: any solution, or the claim is rejected in the seller's favour. */
export type Ruling = Solution | { readonly kind: 'SELLER_FAVOUR' };
export type RulingKind = Ruling['kind'];

/**
 * `list` as given, when it names every member of `T` (and nothing else): the kinds below are
 * declared by the union types above, so a new kind there fails to compile until it is listed.
 */
export const exhaustiveList =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : never)): L =>
    list;

export const SOLUTION_KINDS = exhaustiveList<SolutionKind>()([
  'FULL_REFUND',
  'PARTIAL_REFUND',
  'RETURN_AND_REFUND',
  'REPLACEMENT',
  'RESEND',
]);
export const RULING_KINDS = exhaustiveList<RulingKind>()([...SOLUTION_KINDS, 'SELLER_FAVOUR']);

export const OUTCOMES = [
  'BUYER_FULL_REFUND',
  'BUYER_PARTIAL_REFUND',
  'REPLACEMENT',
  'RESEND',
  'SELLER_FAVOUR',
  'CANCELLED_BY_BUYER',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How an outcome was reached: seller metrics count MEDIATION, APPEAL and the timeouts. */
export const REACHED_BY = [
  'AGREEMENT',
  'SELLER_TIMEOUT',
  'MEDIATION',
  'APPEAL',
  'BUYER_CANCEL',
  'RETURN_TIMEOUT',
] as const;
export type ReachedBy = (typeof REACHED_BY)[number];

export const DISPUTE_STATUSES = [
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
] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** The deadline of the dispute's current phase; at most one at a time. */
export const PHASE_DEADLINE_KINDS = [
  'SELLER_RESPONSE',
  'NEGOTIATION',
  'APPEAL_WINDOW',
  'RETURN_ADDRESS',
  'RETURN_SHIPMENT',
  'RETURN_DELIVERY',
  'RETURN_RECEIPT',
  'REPLACEMENT_SHIPMENT',
  'REPLACEMENT_COMPLAINT',
] as const;
export type PhaseDeadlineKind = (typeof PHASE_DEADLINE_KINDS)[number];
/** Evidence requests run their own deadlines alongside the phase's. */
export const DEADLINE_KINDS = [...PHASE_DEADLINE_KINDS, 'EVIDENCE_REQUEST'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

/** What happens by itself when a deadline passes, in words a view can show. */
export const DEADLINE_CONSEQUENCES = [
  'BUYER_PROPOSAL_ACCEPTED',
  'ESCALATED_TO_MEDIATION',
  'EVIDENCE_REQUEST_LAPSES',
  'DECISION_BECOMES_FINAL',
  'REFUND_WITHOUT_RETURN',
  'CLOSED_IN_SELLER_FAVOUR',
  'REFUND_RELEASED',
  'REFUND_INSTEAD_OF_REPLACEMENT',
  'REPLACEMENT_DEEMED_RECEIVED',
] as const;
export type DeadlineConsequence = (typeof DEADLINE_CONSEQUENCES)[number];

/** What a role is expected to do next (views' `nextAction`). */
export const EXPECTED_ACTION_KINDS = [
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
] as const;
export type ExpectedActionKind = (typeof EXPECTED_ACTION_KINDS)[number];

export const EVIDENCE_REQUEST_STATUSES = ['OPEN', 'ANSWERED', 'LAPSED'] as const;
export type EvidenceRequestStatus = (typeof EVIDENCE_REQUEST_STATUSES)[number];

/** A mediator's decision, or a senior mediator's on an appeal (final). */
export const DECISION_STAGES = ['MEDIATION', 'APPEAL'] as const;
export type DecisionStage = (typeof DECISION_STAGES)[number];

export const EVIDENCE_KINDS = ['PHOTO', 'VIDEO', 'DOCUMENT', 'TRACKING', 'TEXT'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** A file kept by the blob store; the domain only keeps its fingerprint. */
export interface StoredFile {
  readonly sha256: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
}

/** Evidence is either free text or a stored file (exactly one). */
export type EvidenceContent =
  | { readonly text: string; readonly file?: undefined }
  | { readonly file: StoredFile; readonly text?: undefined };

export interface ReturnAddress {
  readonly name: string;
  readonly lines: readonly string[];
  readonly postalCode: string;
  readonly country: string;
}

export const disputeStreamId = (disputeId: string): string => `dispute-${disputeId}`;
export const orderStreamId = (orderId: string): string => `order-${orderId}`;

/**
 * Carried by every command: who acts and when. The handler fills `now` from its clock; the
 * optional ids are passed through to the events' metadata by the application layer.
 */
export interface CommandMetadata {
  readonly actor: Actor;
  /** ISO-8601 UTC instant. */
  readonly now: string;
  readonly commandId?: string;
  readonly correlationId?: string;
}
