import type { DeadlineConsequence, ExpectedActionKind, ExpectationFacts } from './deadlines';
import { nextActionOf } from './deadlines';
import type {
  DisputeEvent,
  DisputeStatus,
  EvidenceRequest,
  PhaseDeadlineKind,
  Proposal,
  Proposer,
  Resolution,
} from './dispute.events';
import type { Money } from './money';
import type { DisputePolicy } from './policy';
import type { Instant } from './time';
import { foldCaseEvent } from './view.case';
import { type Audience, visibleEventFor } from './visibility';
import type {
  Actor,
  DisputeReason,
  EvidenceKind,
  Outcome,
  PartyRole,
  ReachedBy,
  ReturnAddress,
  ReturnShippingPayer,
  Role,
  Ruling,
  StoredFile,
} from './vocabulary';

/**
 * A dispute as one audience may see it: what every screen, mutation answer and audit replay
 * shows, folded from the events that audience may see (`visibleEventFor`) by `evolveView` alone.
 * Plain JSON with instants as strings: read models store it as is. It holds every fact
 * `nextActionInView` needs, so no other state is kept beside it.
 *
 * `v` is the shape's version: a stored view of another version is rebuilt from the log, never
 * read (a change of shape bumps it and ships with a migration that empties the view tables).
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

export const VIEW_VERSION = 1;

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

export interface NextActionView {
  action: ExpectedActionKind;
  dueAt: Instant | null;
  ifMissed: DeadlineConsequence | null;
}

/** Before the opening: no dispute. `evolveView` starts every view from here. */
export function initialView(): null {
  return null;
}

/** The role whose sight stands for an audience's (visibility is decided per audience). */
const ROLE_OF_AUDIENCE: Readonly<Record<Audience, Role>> = {
  staff: 'mediator',
  party: 'buyer',
  platform: 'platform',
  analyst: 'analyst',
};

/**
 * The view after `event`, as `audience` may see it. Pure; never mutates `view`. Returns null
 * while the stream has not opened a dispute (anything before a DisputeOpened is ignored).
 */
export function evolveView(
  view: DisputeView | null,
  event: DisputeEvent,
  audience: Audience,
): DisputeView | null {
  const visible = visibleEventFor(ROLE_OF_AUDIENCE[audience], event);
  if (view === null) return visible?.type === 'DisputeOpened' ? opened(visible) : null;
  const counted: DisputeView = {
    ...view,
    revision: view.revision + 1,
    updatedAt: event.data.at ?? view.updatedAt,
  };
  if (visible === null) return counted;
  const next = foldCaseEvent(counted, visible, audience === 'staff');
  return { ...next, refundable: refundableOf(next) };
}

/** The view of a whole history (e.g. a stream read for an audit or a command's answer). */
export function replayView(
  events: readonly DisputeEvent[],
  audience: Audience,
): DisputeView | null {
  return events.reduce<DisputeView | null>(
    (view, event) => evolveView(view, event, audience),
    initialView(),
  );
}

/** A view as one viewer gets it: with what that viewer is expected to do next. */
export interface ViewerDispute extends DisputeView {
  nextAction: NextActionView | null;
}

/** `view` for a viewer of `role` (staff roles share a view but not their next action). */
export function forViewer(view: DisputeView, role: Role, policy: DisputePolicy): ViewerDispute {
  return { ...view, nextAction: nextActionInView(view, role, policy) };
}

/** What `role` is expected to do next, by when, from the view alone. */
export function nextActionInView(
  view: DisputeView,
  role: Role,
  policy: DisputePolicy,
): NextActionView | null {
  const next = nextActionOf(view, role, policy);
  return next && { action: next.action, dueAt: next.dueAt, ifMissed: next.ifMissed };
}

function opened(event: Extract<DisputeEvent, { type: 'DisputeOpened' }>): DisputeView {
  const d = event.data;
  const view: DisputeView = {
    v: VIEW_VERSION,
    disputeId: d.disputeId,
    orderId: d.orderId,
    buyerId: d.buyerId,
    sellerId: d.sellerId,
    status: 'AWAITING_SELLER',
    reason: d.reason,
    description: d.description,
    orderTotal: d.orderTotal,
    refundedBefore: d.refundedBefore,
    refundable: d.orderTotal,
    openedAt: d.at,
    updatedAt: d.at,
    revision: 0,
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
    evidence: [],
    messages: [],
    evidenceRequests: [],
    internalNotes: [],
    decision: null,
    appeals: [],
    returnInfo: null,
    replacement: null,
    deadline: { kind: 'SELLER_RESPONSE', dueAt: d.sellerResponseDueAt },
    mediatorId: null,
    mediatorAssigned: false,
    resolution: null,
    outcome: null,
    refundDue: null,
    refunded: null,
    refundMarkedSentAt: null,
    closedAt: null,
    escalatedAt: null,
    queuedAt: null,
  };
  return { ...view, refundable: refundableOf(view) };
}

/** Never below zero, whatever an old stream holds. */
function refundableOf(view: DisputeView): Money {
  const paid = view.refundedBefore.amountMinor + (view.refunded?.amountMinor ?? 0);
  const left = view.orderTotal.amountMinor - paid;
  return { amountMinor: Math.max(0, left), currency: view.orderTotal.currency };
}
