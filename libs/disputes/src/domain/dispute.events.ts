import type { Money } from './money';
import type { Instant } from './time';
import type {
  Actor,
  DeadlineKind,
  DecisionStage,
  DisputeReason,
  EvidenceContent,
  EvidenceKind,
  Outcome,
  PartyRole,
  Proposer,
  ReachedBy,
  ReturnAddress,
  ReturnShippingPayer,
  Ruling,
  Solution,
} from './vocabulary';

/**
 * Dispute events (stream `dispute-<disputeId>`); the state they fold into is in dispute.state.ts,
 * the fold (`evolve`) in dispute.evolve.ts.
 *
 * Every event's data carries `disputeId`, `at` (when it happened) and `by` (who did it; `system`
 * for deadlines), so the timeline reads "who did what, when" from any single event. Ids of the
 * order's parties and amounts are repeated where the read side needs them (metrics, abuse signal).
 * The application layer writes `schemaVersion: DISPUTE_EVENT_SCHEMA_VERSIONS[type]` into each
 * recorded event's metadata; bump a version when an event's data changes shape.
 */

type DisputeEventOf<T extends string, D> = {
  readonly type: T;
  readonly data: D & { readonly disputeId: string; readonly at: Instant; readonly by: Actor };
  readonly metadata?: Readonly<Record<string, unknown>>;
};

export type EscalationTrigger =
  | 'BUYER'
  | 'SELLER'
  | 'SELLER_SILENCE'
  | 'NEGOTIATION_TIMEOUT'
  /** The return's delivery was not recorded by RETURN_DELIVERY: a mediator rules afresh. */
  | 'RETURN_NOT_DELIVERED';
export type RefundCause = 'RETURN_RECEIVED' | 'NO_RETURN_ADDRESS' | 'RECEIPT_NOT_CONFIRMED';

export type DisputeOpened = DisputeEventOf<
  'DisputeOpened',
  {
    orderId: string;
    buyerId: string;
    sellerId: string;
    reason: DisputeReason;
    description: string;
    /** The buyer's first proposal. */
    proposalId: string;
    claim: Solution;
    orderTotal: Money;
    /** Refunds paid on the order before this dispute. */
    refundedBefore: Money;
    deliveryConfirmed: boolean;
    /** The cancelled dispute this one reopens, when the policy allows reopening. */
    reopenOf: string | null;
    sellerResponseDueAt: Instant;
  }
>;
export type SellerResponded = DisputeEventOf<
  'SellerResponded',
  {
    response: 'ACCEPTED' | 'COUNTERED' | 'REJECTED';
    comment: string;
    negotiationDueAt: Instant | null;
  }
>;
export type ProposalSubmitted = DisputeEventOf<
  'ProposalSubmitted',
  {
    proposalId: string;
    proposer: Proposer;
    solution: Solution;
    replaces: string | null;
    /** Only when the buyer replaced the claim while AWAITING_SELLER: the restarted deadline. */
    sellerResponseDueAt?: Instant;
  }
>;
export type ProposalWithdrawn = DisputeEventOf<
  'ProposalWithdrawn',
  { proposalId: string; proposer: Proposer }
>;
export type ProposalAccepted = DisputeEventOf<
  'ProposalAccepted',
  {
    proposalId: string;
    proposer: Proposer;
    acceptedBy: PartyRole;
    /** True when the seller's silence accepted it on their behalf. */
    onBehalf: boolean;
  }
>;
export type DisputeResolved = DisputeEventOf<
  'DisputeResolved',
  {
    orderId: string;
    buyerId: string;
    sellerId: string;
    ruling: Ruling;
    outcome: Outcome;
    reachedBy: ReachedBy;
    refundAmount: Money | null;
    returnRequired: boolean;
    returnShippingPaidBy: ReturnShippingPayer | null;
    returnAddressDueAt: Instant | null;
  }
>;
export type EvidenceAdded = DisputeEventOf<
  'EvidenceAdded',
  {
    evidenceId: string;
    submittedBy: PartyRole;
    kind: EvidenceKind;
    content: EvidenceContent;
    description: string;
    answersRequestId: string | null;
  }
>;
export type MessagePosted = DisputeEventOf<'MessagePosted', { messageId: string; body: string }>;
export type DisputeEscalated = DisputeEventOf<
  'DisputeEscalated',
  { trigger: EscalationTrigger; sellerRejected: boolean }
>;
export type DisputeCancelled = DisputeEventOf<
  'DisputeCancelled',
  {
    orderId: string;
    buyerId: string;
    sellerId: string;
    outcome: 'CANCELLED_BY_BUYER';
    reachedBy: 'BUYER_CANCEL';
    comment: string;
  }
>;
export type CaseTaken = DisputeEventOf<'CaseTaken', { previousMediatorId: string | null }>;
export type EvidenceRequested = DisputeEventOf<
  'EvidenceRequested',
  { requestId: string; from: PartyRole; partyId: string; prompt: string; dueAt: Instant }
>;
/** Mediator-only: never shown to parties or analysts (see visibility.ts). */
export type InternalNoteAdded = DisputeEventOf<
  'InternalNoteAdded',
  { noteId: string; note: string }
>;
export type DisputeDecided = DisputeEventOf<
  'DisputeDecided',
  {
    decisionId: string;
    stage: DecisionStage;
    ruling: Ruling;
    rationale: string;
    /** No appeal left: a DisputeResolved follows in the same batch. */
    final: boolean;
    appealDueAt: Instant | null;
  }
>;
export type DecisionAccepted = DisputeEventOf<
  'DecisionAccepted',
  { decisionId: string; acceptedBy: PartyRole }
>;
export type DecisionAppealed = DisputeEventOf<
  'DecisionAppealed',
  {
    appealId: string;
    decisionId: string;
    appellant: PartyRole;
    newInformation: string;
    appealNumber: number;
  }
>;
export type ReturnAddressProvided = DisputeEventOf<
  'ReturnAddressProvided',
  { address: ReturnAddress; shipDueAt: Instant }
>;
/**
 * `deliveryDueAt` arms RETURN_DELIVERY; null for a return shipped before that deadline existed
 * (version 1 events, upcast in upcasters.ts), which runs no clock.
 */
export type ReturnShipped = DisputeEventOf<
  'ReturnShipped',
  { carrier: string; trackingNumber: string; deliveryDueAt: Instant | null }
>;
/** The platform learnt from the carrier that the return arrived: the seller's receipt clock starts. */
export type ReturnDelivered = DisputeEventOf<'ReturnDelivered', { receiptDueAt: Instant }>;
export type ReturnReceived = DisputeEventOf<'ReturnReceived', Record<never, never>>;
export type ReturnConditionDisputed = DisputeEventOf<
  'ReturnConditionDisputed',
  { statement: string }
>;
/**
 * A REPLACEMENT or RESEND outcome is not closed at once: the seller must ship it by `shipDueAt`
 * (else the buyer is refunded in full). Follows the DisputeResolved in the same batch.
 */
export type ReplacementRequested = DisputeEventOf<
  'ReplacementRequested',
  { kind: 'REPLACEMENT' | 'RESEND'; shipDueAt: Instant }
>;
/** The seller shipped it; the buyer may report a problem until `complaintDueAt`. */
export type ReplacementShipped = DisputeEventOf<
  'ReplacementShipped',
  { carrier: string; trackingNumber: string; complaintDueAt: Instant }
>;
/** The buyer confirmed the replacement arrived: a DisputeClosed follows in the same batch. */
export type ReplacementReceived = DisputeEventOf<'ReplacementReceived', Record<never, never>>;
/** The buyer reports the replacement missing or not as agreed: the case goes (back) to mediation. */
export type ReplacementProblemReported = DisputeEventOf<
  'ReplacementProblemReported',
  { statement: string }
>;
export type RefundReleased = DisputeEventOf<
  'RefundReleased',
  { amount: Money; cause: RefundCause }
>;
/**
 * The seller says they sent the refund themselves (docs/domain.md#money-and-refunds).
 * Nothing is paid by this: the refund stays pending until the platform confirms the payout.
 */
export type RefundMarkedSent = DisputeEventOf<
  'RefundMarkedSent',
  { amount: Money; reference: string }
>;
export type RefundPaidOut = DisputeEventOf<
  'RefundPaidOut',
  { orderId: string; amount: Money; payoutReference: string }
>;
export type DisputeClosed = DisputeEventOf<
  'DisputeClosed',
  {
    orderId: string;
    buyerId: string;
    sellerId: string;
    outcome: Outcome;
    reachedBy: ReachedBy;
    refunded: Money | null;
  }
>;
export type DeadlinePassed = DisputeEventOf<
  'DeadlinePassed',
  { kind: DeadlineKind; dueAt: Instant; requestId: string | null }
>;

export type DisputeEvent =
  | DisputeOpened
  | SellerResponded
  | ProposalSubmitted
  | ProposalWithdrawn
  | ProposalAccepted
  | DisputeResolved
  | EvidenceAdded
  | MessagePosted
  | DisputeEscalated
  | DisputeCancelled
  | CaseTaken
  | EvidenceRequested
  | InternalNoteAdded
  | DisputeDecided
  | DecisionAccepted
  | DecisionAppealed
  | ReturnAddressProvided
  | ReturnShipped
  | ReturnDelivered
  | ReturnReceived
  | ReturnConditionDisputed
  | ReplacementRequested
  | ReplacementShipped
  | ReplacementReceived
  | ReplacementProblemReported
  | RefundReleased
  | RefundMarkedSent
  | RefundPaidOut
  | DisputeClosed
  | DeadlinePassed;
export type DisputeEventType = DisputeEvent['type'];

export const DISPUTE_EVENT_SCHEMA_VERSIONS: Readonly<Record<DisputeEventType, number>> = {
  DisputeOpened: 1,
  SellerResponded: 1,
  ProposalSubmitted: 1,
  ProposalWithdrawn: 1,
  ProposalAccepted: 1,
  DisputeResolved: 1,
  EvidenceAdded: 1,
  MessagePosted: 1,
  DisputeEscalated: 1,
  DisputeCancelled: 1,
  CaseTaken: 1,
  EvidenceRequested: 1,
  InternalNoteAdded: 1,
  DisputeDecided: 1,
  DecisionAccepted: 1,
  DecisionAppealed: 1,
  ReturnAddressProvided: 1,
  ReturnShipped: 2,
  ReturnDelivered: 1,
  ReturnReceived: 1,
  ReturnConditionDisputed: 1,
  ReplacementRequested: 1,
  ReplacementShipped: 1,
  ReplacementReceived: 1,
  ReplacementProblemReported: 1,
  RefundReleased: 1,
  RefundMarkedSent: 1,
  RefundPaidOut: 1,
  DisputeClosed: 1,
  DeadlinePassed: 1,
};
export const DISPUTE_EVENT_TYPES = Object.keys(DISPUTE_EVENT_SCHEMA_VERSIONS) as DisputeEventType[];

// The state's types are imported from here across the domain; `evolve` comes from dispute.evolve.ts.
export * from './dispute.state';
