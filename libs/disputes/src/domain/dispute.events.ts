import type { Money } from './money';
import type { Instant } from './time';
import type {
  Actor,
  DeadlineKind,
  DecisionStage,
  DisputeReason,
  DisputeStatus,
  EvidenceContent,
  EvidenceKind,
  EvidenceRequestStatus,
  Outcome,
  PartyRole,
  PhaseDeadlineKind,
  Proposer,
  ReachedBy,
  ReturnAddress,
  ReturnShippingPayer,
  Ruling,
  Solution,
} from './vocabulary';

/**
 * Dispute events (stream `dispute-<disputeId>`), the dispute state and `evolve`.
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

// ---------------------------------------------------------------------------------------------
// State

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

/** Folds a stream of events into state (what the handler does after loading). */
export function replay(
  events: readonly DisputeEvent[],
  from: DisputeState = initialState,
): DisputeState {
  return events.reduce(evolve, from);
}

export function evolve(state: DisputeState, event: DisputeEvent): DisputeState {
  if (event.type === 'DisputeOpened') return opened(event);
  // Anything but an opening on an empty stream is ignored: a decider never produces it.
  if (state.status === 'NONE') return state;
  // `?? state.lastEventAt`: an unknown event type (a newer writer) may be shaped otherwise.
  const at = event.data.at ?? state.lastEventAt;
  const s: Dispute = { ...state, revision: state.revision + 1, lastEventAt: at };
  switch (event.type) {
    case 'SellerResponded': {
      const { response, negotiationDueAt } = event.data;
      if (response === 'ACCEPTED') return { ...s, deadline: null };
      return {
        ...s,
        status: 'NEGOTIATING',
        sellerRejected: response === 'REJECTED',
        deadline: { kind: 'NEGOTIATION', dueAt: negotiationDueAt as Instant },
      };
    }
    case 'ProposalSubmitted': {
      const { proposalId, proposer, solution, at } = event.data;
      const proposal: Proposal = {
        proposalId,
        proposer,
        solution,
        submittedAt: at,
        acceptedBy: [],
      };
      const restarted = event.data.sellerResponseDueAt;
      return {
        ...s,
        proposals: { ...s.proposals, [proposer]: proposal },
        usedIds: [...s.usedIds, proposalId],
        deadline:
          restarted === undefined ? s.deadline : { kind: 'SELLER_RESPONSE', dueAt: restarted },
      };
    }
    case 'ProposalWithdrawn':
      return { ...s, proposals: { ...s.proposals, [event.data.proposer]: null } };
    case 'ProposalAccepted': {
      const current = s.proposals[event.data.proposer];
      // Older streams may accept a proposal a resolution has since superseded: nothing to mark.
      if (current === null) return s;
      const accepted = { ...current, acceptedBy: [...current.acceptedBy, event.data.acceptedBy] };
      return { ...s, proposals: { ...s.proposals, [event.data.proposer]: accepted } };
    }
    case 'DisputeResolved': {
      const { ruling, outcome, reachedBy, refundAmount, returnRequired } = event.data;
      const resolution: Resolution = {
        ruling,
        outcome,
        reachedBy,
        refundAmount,
        returnRequired,
        returnShippingPaidBy: event.data.returnShippingPaidBy,
      };
      // Requests of the mediation just settled are moot: left open they would block a later
      // decision (after a return-condition dispute) that no timer could ever unblock.
      const settled: Dispute = {
        ...s,
        resolvedOnce: true,
        evidenceRequests: s.evidenceRequests.map((r) =>
          r.status === 'OPEN' ? { ...r, status: 'LAPSED' } : r,
        ),
      };
      if (returnRequired) {
        const dueAt = event.data.returnAddressDueAt as Instant;
        return {
          ...settled,
          resolution,
          status: 'RETURN_REQUESTED',
          deadline: { kind: 'RETURN_ADDRESS', dueAt },
        };
      }
      if (refundAmount !== null) {
        return {
          ...settled,
          resolution,
          status: 'REFUND_PENDING',
          deadline: null,
          refundDue: refundAmount,
          refundReachedBy: reachedBy,
        };
      }
      // No refund and no return: a DisputeClosed (or, for a replacement or resend, a
      // ReplacementRequested) follows in the same batch.
      return { ...settled, resolution, deadline: null };
    }
    case 'EvidenceAdded': {
      const { evidenceId, answersRequestId } = event.data;
      return {
        ...s,
        usedIds: [...s.usedIds, evidenceId],
        evidenceRequests: s.evidenceRequests.map((r) =>
          r.requestId === answersRequestId ? { ...r, status: 'ANSWERED' } : r,
        ),
      };
    }
    case 'MessagePosted':
      return { ...s, usedIds: [...s.usedIds, event.data.messageId] };
    case 'DisputeEscalated':
      if (s.resolution !== null) return backToMediation(s);
      return { ...s, status: 'IN_MEDIATION', deadline: null, mediatorId: null };
    case 'DisputeCancelled':
      return {
        ...s,
        status: 'CANCELLED',
        deadline: null,
        outcome: 'CANCELLED_BY_BUYER',
        reachedBy: 'BUYER_CANCEL',
        closedAt: event.data.at,
      };
    case 'CaseTaken':
      return { ...s, mediatorId: event.data.by.id };
    case 'EvidenceRequested': {
      const { requestId, from, dueAt } = event.data;
      return {
        ...s,
        usedIds: [...s.usedIds, requestId],
        evidenceRequests: [...s.evidenceRequests, { requestId, from, dueAt, status: 'OPEN' }],
      };
    }
    case 'InternalNoteAdded':
      return { ...s, usedIds: [...s.usedIds, event.data.noteId] };
    case 'DisputeDecided': {
      const { decisionId, stage, ruling, final, appealDueAt } = event.data;
      const decision: Decision = {
        decisionId,
        stage,
        ruling,
        final,
        appealDueAt,
        acceptedBy: [],
      };
      const base = {
        ...s,
        decision,
        decidedBy: event.data.by.id,
        usedIds: [...s.usedIds, decisionId],
      };
      if (final) return { ...base, deadline: null };
      const dueAt = appealDueAt as Instant;
      return { ...base, status: 'DECIDED', deadline: { kind: 'APPEAL_WINDOW', dueAt } };
    }
    case 'DecisionAccepted': {
      const decision = s.decision as Decision;
      return {
        ...s,
        decision: { ...decision, acceptedBy: [...decision.acceptedBy, event.data.acceptedBy] },
      };
    }
    case 'DecisionAppealed':
      return {
        ...s,
        status: 'IN_APPEAL',
        deadline: null,
        mediatorId: null,
        appealsUsed: s.appealsUsed + 1,
        usedIds: [...s.usedIds, event.data.appealId],
      };
    case 'ReturnAddressProvided':
      return {
        ...s,
        status: 'RETURN_AWAITING_SHIPMENT',
        deadline: { kind: 'RETURN_SHIPMENT', dueAt: event.data.shipDueAt },
      };
    case 'ReturnShipped': {
      // In transit the clock is the platform's (RETURN_DELIVERY, then mediation): only a recorded
      // delivery arms the seller's RETURN_RECEIPT.
      const dueAt = event.data.deliveryDueAt;
      const deadline = dueAt === null ? null : { kind: 'RETURN_DELIVERY' as const, dueAt };
      return { ...s, status: 'RETURN_IN_TRANSIT', deadline };
    }
    case 'ReturnDelivered':
      return { ...s, deadline: { kind: 'RETURN_RECEIPT', dueAt: event.data.receiptDueAt } };
    case 'ReturnReceived':
      return { ...s, deadline: null };
    case 'ReturnConditionDisputed':
      return backToMediation(s);
    case 'ReplacementRequested':
      return {
        ...s,
        status: 'REPLACEMENT_AWAITING_SHIPMENT',
        deadline: { kind: 'REPLACEMENT_SHIPMENT', dueAt: event.data.shipDueAt },
      };
    case 'ReplacementShipped':
      return {
        ...s,
        status: 'REPLACEMENT_IN_TRANSIT',
        deadline: { kind: 'REPLACEMENT_COMPLAINT', dueAt: event.data.complaintDueAt },
      };
    case 'ReplacementReceived':
      return { ...s, deadline: null };
    case 'ReplacementProblemReported':
      // Back before the mediators with a clean slate: no proposal of before the resolution can
      // be accepted around them.
      return backToMediation(s);
    case 'RefundReleased': {
      const viaTimeout = event.data.cause !== 'RETURN_RECEIVED';
      return {
        ...s,
        status: 'REFUND_PENDING',
        deadline: null,
        refundDue: event.data.amount,
        refundReachedBy: viaTimeout ? 'RETURN_TIMEOUT' : (s.resolution as Resolution).reachedBy,
      };
    }
    case 'RefundMarkedSent':
      return { ...s, refundMarkedSentAt: event.data.at };
    case 'RefundPaidOut':
      return { ...s, refunded: event.data.amount };
    case 'DisputeClosed':
      return {
        ...s,
        status: 'CLOSED',
        deadline: null,
        outcome: event.data.outcome,
        reachedBy: event.data.reachedBy,
        closedAt: event.data.at,
      };
    case 'DeadlinePassed': {
      const { requestId } = event.data;
      if (requestId === null) return { ...s, deadline: null };
      return {
        ...s,
        evidenceRequests: s.evidenceRequests.map((r) =>
          r.requestId === requestId ? { ...r, status: 'LAPSED' } : r,
        ),
      };
    }
    default:
      return ignoreUnknown(event, s);
  }
}

/**
 * A resolved dispute back before a mediator (the return's condition disputed, or its delivery
 * never recorded): the ruling and every proposal made before it are gone for good; the parties
 * and the mediator start from the item as it is now.
 */
function backToMediation(s: Dispute): Dispute {
  return {
    ...s,
    status: 'IN_MEDIATION',
    deadline: null,
    mediatorId: null,
    decision: null,
    resolution: null,
    proposals: { buyer: null, seller: null, mediator: null },
  };
}

/** An event type this code does not know (a newer writer) leaves the state as it was. */
function ignoreUnknown(_event: never, state: Dispute): Dispute {
  return state;
}

function opened(event: DisputeOpened): Dispute {
  const d = event.data;
  return {
    status: 'AWAITING_SELLER',
    revision: 0,
    disputeId: d.disputeId,
    orderId: d.orderId,
    buyerId: d.buyerId,
    sellerId: d.sellerId,
    reason: d.reason,
    orderTotal: d.orderTotal,
    refundedBefore: d.refundedBefore,
    openedAt: d.at,
    sellerRejected: false,
    proposals: {
      buyer: {
        proposalId: d.proposalId,
        proposer: 'buyer',
        solution: d.claim,
        submittedAt: d.at,
        acceptedBy: [],
      },
      seller: null,
      mediator: null,
    },
    deadline: { kind: 'SELLER_RESPONSE', dueAt: d.sellerResponseDueAt },
    mediatorId: null,
    evidenceRequests: [],
    decision: null,
    decidedBy: null,
    appealsUsed: 0,
    resolution: null,
    refundDue: null,
    refundReachedBy: null,
    refunded: null,
    refundMarkedSentAt: null,
    resolvedOnce: false,
    lastEventAt: d.at,
    outcome: null,
    reachedBy: null,
    closedAt: null,
    usedIds: [d.disputeId, d.proposalId],
  };
}
