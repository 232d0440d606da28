import type { ExpectationFacts } from './deadlines';
import type { EvidenceRequest, Proposal, Resolution } from './dispute.events';
import type { Money } from './money';
import type { Instant } from './time';
import type {
  Actor,
  DisputeReason,
  DisputeStatus,
  EvidenceKind,
  Outcome,
  PartyRole,
  PhaseDeadlineKind,
  Proposer,
  ReachedBy,
  ReturnAddress,
  ReturnShippingPayer,
  Role,
  Ruling,
  StoredFile,
} from './vocabulary';

export type { NextActionView } from './deadlines';

/**
 * A dispute as one audience may see it: what every screen, mutation answer and audit replay
 * shows, folded from the events that audience may see (`visibleEventFor`) by `evolveView` alone.
 * Plain JSON with instants as strings: read models store it as is. It holds every fact
 * `nextActionInView` needs, so no other state is kept beside it.
 *
 * `v` is the shape's version: a stored view of another version is rebuilt from the log, never
 * read. A change of shape bumps `VIEW_VERSION` and ships with a read-model migration that empties
 * the view tables and resets their projections' checkpoints (as 0004 does), so the runner
 * replays them. A row of another version found anyway (a skipped migration, a restored backup)
 * is refused by the projections and the queries with STORED_VIEW_VERSION_MISMATCH, whose message
 * says to run `npm run projections -- rebuild <name>`.
 */
export interface DisputeView extends ExpectationFacts {
  v: typeof VIEW_VERSION;
  disputeId: string;
  orderId: string;
  buyerId: string;
  sellerId: string;
  status: DisputeStatus;
  reason: DisputeReason;
  description: string;
  orderTotal: Money;
  /** Refunds paid on the order before this dispute. */
  refundedBefore: Money;
  /** What is left to refund on the order: the total, less earlier refunds and this dispute's. */
  refundable: Money;
  openedAt: Instant;
  /** The `at` of the last event (hidden ones included). */
  updatedAt: Instant;
  /** Stream revision the view reflects (0-based); hidden events count too. */
  revision: number;
  /**
   * How many of the stream's events this audience sees (1 after the opening): the `sequence` of
   * the last entry of its timeline. Unlike `revision` it skips hidden events, so it may be shown
   * to an audience without telling that events were hidden from it.
   */
  sequence: number;
  /** The current proposal of each proposer; a new one replaces it. */
  proposals: { [P in Proposer]: Proposal | null };
  evidence: EvidenceView[];
  messages: MessageView[];
  evidenceRequests: EvidenceRequestView[];
  /** Staff only; always empty for other audiences (they never receive the events). */
  internalNotes: { noteId: string; note: string; authorId: string; at: Instant }[];
  decision: DecisionView | null;
  appeals: AppealView[];
  returnInfo: ReturnView | null;
  /** The follow-through of a REPLACEMENT or RESEND outcome, once one was reached. */
  replacement: ReplacementView | null;
  deadline: { kind: PhaseDeadlineKind; dueAt: Instant } | null;
  /** Staff only; null for everyone else, who only learn whether one is assigned. */
  mediatorId: string | null;
  mediatorAssigned: boolean;
  /** The resolution being carried out; cleared when the case goes back to mediation. */
  resolution: Resolution | null;
  /** How it ended, once closed or cancelled. */
  outcome: OutcomeView | null;
  refundDue: Money | null;
  refunded: Money | null;
  refundMarkedSentAt: Instant | null;
  closedAt: Instant | null;
  /** The first escalation to mediation (the seller's metrics count it). */
  escalatedAt: Instant | null;
  /** When the case last entered the mediators' queue (escalation, appeal, back to mediation). */
  queuedAt: Instant | null;
}

export const VIEW_VERSION = 2;

export interface EvidenceView {
  evidenceId: string;
  submittedBy: PartyRole;
  kind: EvidenceKind;
  text: string | null;
  file: StoredFile | null;
  description: string;
  answersRequestId: string | null;
  at: Instant;
}

export interface MessageView {
  messageId: string;
  authorRole: Role;
  authorId: string;
  body: string;
  at: Instant;
}

export interface EvidenceRequestView extends EvidenceRequest {
  prompt: string;
  /** Staff ids read REDACTED for parties. */
  requestedBy: Actor;
}

export interface DecisionView {
  decisionId: string;
  stage: 'MEDIATION' | 'APPEAL';
  ruling: Ruling;
  rationale: string;
  final: boolean;
  appealDueAt: Instant | null;
  acceptedBy: PartyRole[];
  /** Staff ids read REDACTED for parties. */
  by: Actor;
}

export interface AppealView {
  appealId: string;
  decisionId: string;
  appellant: PartyRole;
  newInformation: string;
  at: Instant;
}

export interface ReturnView {
  shippingPaidBy: ReturnShippingPayer | null;
  address: ReturnAddress | null;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: Instant | null;
  deliveredAt: Instant | null;
  receivedAt: Instant | null;
  conditionDisputed: string | null;
}

export interface ReplacementView {
  kind: 'REPLACEMENT' | 'RESEND';
  shipDueAt: Instant;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: Instant | null;
  complaintDueAt: Instant | null;
  receivedAt: Instant | null;
  /** The buyer's statement when they reported a problem (the case went back to mediation). */
  problemReported: string | null;
}

export interface OutcomeView {
  outcome: Outcome;
  reachedBy: ReachedBy;
  /** The ruling carried out (SELLER_FAVOUR when a return deadline closed it otherwise). */
  ruling: Ruling | null;
  refundAmount: Money | null;
}
