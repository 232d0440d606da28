import {
  type Actor,
  AUDIENCE_OF_ROLE,
  type DeadlineConsequence,
  type Decision,
  type Dispute,
  type DisputePolicy,
  type ExpectedActionKind,
  type Money,
  nextActionFor,
  type Outcome,
  type PhaseDeadlineKind,
  type Proposal,
  type ReachedBy,
  type Resolution,
  resolutionAsClosed,
} from '@arbiter/disputes';
import type { CaseFile } from './case-file';

/** What the mediators' view adds to a dispute; null for every other audience. */
export interface StaffFacts {
  mediatorId: string | null;
  queuedAt: Date | null;
  /** The earliest armed deadline (evidence requests included). */
  deadlineAt: Date | null;
  abuseSignal: { flagged: boolean; disputes: number; orders: number };
}

/**
 * A dispute as one viewer may see it: the state's facts, what the viewer must do next and by
 * when, and the case file of the viewer's audience (a party's holds no internal note, no staff
 * id; an analyst's no free text).
 */
export interface DisputeView {
  disputeId: string;
  orderId: string;
  buyerId: string;
  sellerId: string;
  status: Dispute['status'];
  reason: Dispute['reason'];
  orderTotal: Money;
  /** Refunds paid on the order before this dispute. */
  refundedBefore: Money;
  openedAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  /** The stream revision this view reflects. */
  revision: number;
  deadline: { kind: PhaseDeadlineKind; dueAt: Date } | null;
  nextAction: {
    action: ExpectedActionKind;
    dueAt: Date | null;
    ifMissed: DeadlineConsequence | null;
  } | null;
  proposals: { buyer: Proposal | null; seller: Proposal | null; mediator: Proposal | null };
  decision: Decision | null;
  resolution: Resolution | null;
  outcome: Outcome | null;
  reachedBy: ReachedBy | null;
  refunded: Money | null;
  refundDue: Money | null;
  mediatorAssigned: boolean;
  file: CaseFile;
  staff: StaffFacts | null;
}

export interface DisputeRowLike {
  updatedAt: Date;
  lastRevision: number;
  state: unknown;
  file: unknown;
}

/** Maps a stored row to the view `viewer` gets; `nextActionFor` (the domain) says what is expected. */
export function toDisputeView(
  row: DisputeRowLike,
  viewer: Actor,
  policy: DisputePolicy,
  staff: StaffFacts | null = null,
  file: CaseFile = row.file as CaseFile,
): DisputeView {
  const state = row.state as Dispute;
  const next = nextActionFor(state, viewer.role, policy);
  const partyOrAnalyst = AUDIENCE_OF_ROLE[viewer.role] !== 'staff';
  return {
    disputeId: state.disputeId,
    orderId: state.orderId,
    buyerId: state.buyerId,
    sellerId: state.sellerId,
    status: state.status,
    reason: state.reason,
    orderTotal: state.orderTotal,
    refundedBefore: state.refundedBefore,
    openedAt: new Date(state.openedAt),
    updatedAt: row.updatedAt,
    closedAt: state.closedAt === null ? null : new Date(state.closedAt),
    revision: row.lastRevision,
    deadline: state.deadline && {
      kind: state.deadline.kind,
      dueAt: new Date(state.deadline.dueAt),
    },
    nextAction: next && {
      action: next.action,
      dueAt: next.dueAt === null ? null : new Date(next.dueAt),
      ifMissed: next.ifMissed,
    },
    proposals: state.proposals,
    decision: state.decision,
    resolution: resolutionAsClosed(state),
    outcome: state.outcome,
    reachedBy: state.reachedBy,
    refunded: state.refunded,
    refundDue: state.refundDue,
    mediatorAssigned: state.mediatorId !== null,
    file,
    staff: partyOrAnalyst ? null : staff,
  };
}
