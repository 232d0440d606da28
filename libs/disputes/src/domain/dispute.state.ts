import type { Money } from './money';
import type { Instant } from './time';
import type {
  DecisionStage,
  DisputeReason,
  DisputeStatus,
  EvidenceRequestStatus,
  Outcome,
  PartyRole,
  PhaseDeadlineKind,
  Proposer,
  ReachedBy,
  ReturnShippingPayer,
  Ruling,
  Solution,
} from './vocabulary';

// What a dispute's events fold into (see dispute.evolve.ts): what the decider decides on.

export interface Proposal {
  readonly proposalId: string;
  readonly proposer: Proposer;
  readonly solution: Solution;
  readonly submittedAt: Instant;
  readonly acceptedBy: readonly PartyRole[];
}

export interface EvidenceRequest {
  readonly requestId: string;
  readonly from: PartyRole;
  readonly dueAt: Instant;
  readonly status: EvidenceRequestStatus;
}

export interface Decision {
  readonly decisionId: string;
  readonly stage: DecisionStage;
  readonly ruling: Ruling;
  readonly final: boolean;
  readonly appealDueAt: Instant | null;
  readonly acceptedBy: readonly PartyRole[];
}

export interface Resolution {
  readonly ruling: Ruling;
  readonly outcome: Outcome;
  readonly reachedBy: ReachedBy;
  readonly refundAmount: Money | null;
  readonly returnRequired: boolean;
  readonly returnShippingPaidBy: ReturnShippingPayer | null;
}

export interface NoDispute {
  readonly status: 'NONE';
  readonly revision: -1;
}

export interface Dispute {
  readonly status: DisputeStatus;
  /** Stream revision of the last applied event (0-based): the handler's expectedRevision. */
  readonly revision: number;
  readonly disputeId: string;
  readonly orderId: string;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly reason: DisputeReason;
  readonly orderTotal: Money;
  readonly refundedBefore: Money;
  readonly openedAt: Instant;
  readonly sellerRejected: boolean;
  /** The current proposal of each proposer; a modification replaces it. */
  readonly proposals: { readonly [P in Proposer]: Proposal | null };
  readonly deadline: { readonly kind: PhaseDeadlineKind; readonly dueAt: Instant } | null;
  readonly mediatorId: string | null;
  readonly evidenceRequests: readonly EvidenceRequest[];
  readonly decision: Decision | null;
  /**
   * Who made the latest decision (a staff id, kept out of `decision` so views that show the
   * decision never carry it): an appeal of it goes to another senior.
   */
  readonly decidedBy: string | null;
  readonly appealsUsed: number;
  readonly resolution: Resolution | null;
  /** Set once the refund may be paid out. */
  readonly refundDue: Money | null;
  /** How the pending refund came about; RETURN_TIMEOUT when a return deadline forced it. */
  readonly refundReachedBy: ReachedBy | null;
  readonly refunded: Money | null;
  /** When the seller marked the pending refund sent; the platform's confirmation still closes it. */
  readonly refundMarkedSentAt: Instant | null;
  /** Set by the first resolution and never cleared: a cancellation is for before one. */
  readonly resolvedOnce: boolean;
  /** The `at` of the last event: a later command is never dated before it. */
  readonly lastEventAt: Instant;
  readonly outcome: Outcome | null;
  readonly reachedBy: ReachedBy | null;
  readonly closedAt: Instant | null;
  /** Ids of proposals, evidence, messages, requests, notes, decisions and appeals: never reused. */
  readonly usedIds: readonly string[];
}

export type DisputeState = NoDispute | Dispute;

export const initialState: DisputeState = { status: 'NONE', revision: -1 };
