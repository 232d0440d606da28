import {
  Actor,
  AUDIENCE_OF_ROLE,
  canViewDispute,
  DeadlineConsequence,
  DisputeEvent,
  DisputePolicy,
  DisputeReason,
  DisputeState,
  DisputeStatus,
  EvidenceKind,
  EvidenceRequest,
  ExpectedActionKind,
  Instant,
  Money,
  nextActionFor,
  resolutionAsClosed,
  Outcome,
  PartyRole,
  PhaseDeadlineKind,
  Proposal,
  ReachedBy,
  ReturnAddress,
  ReturnShippingPayer,
  Ruling,
  StoredFile,
  subtractMoney,
  zeroOf,
  visibleEventFor,
} from '../domain';

/**
 * A dispute as one viewer may see it, built from the folded write-side state and the stream's
 * events passed through the domain's visibility rules: parties never see internal notes or staff
 * ids, analysts see no personal free text (it reads `[redacted]`). The GraphQL `Dispute` type is a
 * one-to-one rendering of this; the read side can build the same shape from its read models.
 */
export interface DisputeView {
  disputeId: string;
  orderId: string;
  buyerId: string;
  sellerId: string;
  status: DisputeStatus;
  reason: DisputeReason;
  description: string;
  orderTotal: Money;
  refundable: Money;
  openedAt: Instant;
  /** Stream revision the view reflects (0-based). */
  revision: number;
  proposals: Proposal[];
  evidence: EvidenceView[];
  messages: MessageView[];
  evidenceRequests: (EvidenceRequest & { prompt: string })[];
  /** Staff only; empty for everyone else. */
  internalNotes: { noteId: string; note: string; authorId: string; at: Instant }[];
  decision: DecisionView | null;
  appeals: {
    appealId: string;
    decisionId: string;
    appellant: PartyRole;
    newInformation: string;
    at: Instant;
  }[];
  returnInfo: ReturnView | null;
  /** The follow-through of a REPLACEMENT or RESEND outcome, once one was reached. */
  replacement: ReplacementView | null;
  deadline: { kind: PhaseDeadlineKind; dueAt: Instant } | null;
  /** Null for parties: staff identities are not theirs to know. */
  mediatorId: string | null;
  mediatorAssigned: boolean;
  outcome: {
    outcome: Outcome;
    reachedBy: ReachedBy;
    ruling: Ruling | null;
    refundAmount: Money | null;
  } | null;
  refundDue: Money | null;
  refunded: Money | null;
  refundMarkedSentAt: string | null;
  closedAt: Instant | null;
  nextAction: {
    action: ExpectedActionKind;
    dueAt: Instant | null;
    ifMissed: DeadlineConsequence | null;
  } | null;
}

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
  authorRole: string;
  authorId: string;
  body: string;
  at: Instant;
}

export interface DecisionView {
  decisionId: string;
  stage: 'MEDIATION' | 'APPEAL';
  ruling: Ruling;
  rationale: string;
  final: boolean;
  appealDueAt: Instant | null;
  acceptedBy: PartyRole[];
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

type Recorded = { type: string; data: unknown };

/** The view of `state` for `viewer`, or null when the viewer may not see this dispute at all. */
export function disputeViewFor(
  viewer: Actor,
  state: DisputeState,
  history: readonly Recorded[],
  policy: DisputePolicy,
): DisputeView | null {
  if (state.status === 'NONE' || !canViewDispute(viewer, state)) return null;
  const staff = AUDIENCE_OF_ROLE[viewer.role] === 'staff';
  const events = history
    .slice(0, state.revision + 1)
    .map((event) => visibleEventFor(viewer.role, event as DisputeEvent))
    .filter((event): event is DisputeEvent => event !== null);
  const view: DisputeView = {
    disputeId: state.disputeId,
    orderId: state.orderId,
    buyerId: state.buyerId,
    sellerId: state.sellerId,
    status: state.status,
    reason: state.reason,
    description: '',
    orderTotal: state.orderTotal,
    // What is left to refund on the order: before this dispute, less what this one paid out
    // (as the read model's view computes it, so a mutation and a query answer the same).
    refundable: subtractMoney(
      subtractMoney(state.orderTotal, state.refundedBefore),
      state.refunded ?? zeroOf(state.orderTotal.currency),
    ),
    openedAt: state.openedAt,
    revision: state.revision,
    proposals: [state.proposals.buyer, state.proposals.seller, state.proposals.mediator].filter(
      (p): p is Proposal => p !== null,
    ),
    evidence: [],
    messages: [],
    evidenceRequests: [],
    internalNotes: [],
    decision: null,
    appeals: [],
    returnInfo: null,
    replacement: null,
    deadline: state.deadline,
    mediatorId: staff ? state.mediatorId : null,
    mediatorAssigned: state.mediatorId !== null,
    outcome: null,
    refundDue: state.refundDue,
    refunded: state.refunded,
    refundMarkedSentAt: state.refundMarkedSentAt,
    closedAt: state.closedAt,
    nextAction: null,
  };
  const prompts = new Map<string, string>();
  const rationales = new Map<string, string>();
  for (const event of events) applyToView(view, event, prompts, rationales);
  view.evidenceRequests = state.evidenceRequests.map((r) => ({
    ...r,
    prompt: prompts.get(r.requestId) ?? '',
  }));
  if (state.decision !== null) {
    const { decisionId, stage, ruling, final, appealDueAt, acceptedBy } = state.decision;
    const rationale = rationales.get(decisionId) ?? '';
    view.decision = {
      decisionId,
      stage,
      ruling,
      rationale,
      final,
      appealDueAt,
      acceptedBy: [...acceptedBy],
    };
  }
  const resolution = resolutionAsClosed(state);
  if (state.outcome !== null && state.reachedBy !== null) {
    view.outcome = {
      outcome: state.outcome,
      reachedBy: state.reachedBy,
      ruling: resolution?.ruling ?? null,
      refundAmount: resolution?.refundAmount ?? null,
    };
  }
  if (resolution?.returnRequired) {
    view.returnInfo = {
      ...(view.returnInfo ?? emptyReturn()),
      shippingPaidBy: resolution.returnShippingPaidBy,
    };
  }
  const next = nextActionFor(state, viewer.role, policy);
  view.nextAction = next && { action: next.action, dueAt: next.dueAt, ifMissed: next.ifMissed };
  return view;
}

const emptyReturn = (): ReturnView => ({
  shippingPaidBy: null,
  address: null,
  carrier: null,
  trackingNumber: null,
  shippedAt: null,
  deliveredAt: null,
  receivedAt: null,
  conditionDisputed: null,
});

/** The free text and lists the state does not keep, read from the (already filtered) events. */
function applyToView(
  view: DisputeView,
  event: DisputeEvent,
  prompts: Map<string, string>,
  rationales: Map<string, string>,
): void {
  const at = event.data.at;
  const returnInfo = () => (view.returnInfo ??= emptyReturn());
  switch (event.type) {
    case 'DisputeOpened':
      view.description = event.data.description;
      return;
    case 'EvidenceAdded': {
      const { evidenceId, submittedBy, kind, content, description, answersRequestId } = event.data;
      view.evidence.push({
        evidenceId,
        submittedBy,
        kind,
        text: content.text ?? null,
        file: content.file ?? null,
        description,
        answersRequestId,
        at,
      });
      return;
    }
    case 'MessagePosted':
      view.messages.push({
        messageId: event.data.messageId,
        authorRole: event.data.by.role,
        authorId: event.data.by.id,
        body: event.data.body,
        at,
      });
      return;
    case 'EvidenceRequested':
      prompts.set(event.data.requestId, event.data.prompt);
      return;
    case 'InternalNoteAdded':
      view.internalNotes.push({
        noteId: event.data.noteId,
        note: event.data.note,
        authorId: event.data.by.id,
        at,
      });
      return;
    case 'DisputeDecided':
      rationales.set(event.data.decisionId, event.data.rationale);
      return;
    case 'DecisionAppealed': {
      const { appealId, decisionId, appellant, newInformation } = event.data;
      view.appeals.push({ appealId, decisionId, appellant, newInformation, at });
      return;
    }
    case 'ReturnAddressProvided':
      returnInfo().address = event.data.address;
      return;
    case 'ReturnShipped':
      Object.assign(returnInfo(), {
        carrier: event.data.carrier,
        trackingNumber: event.data.trackingNumber,
        shippedAt: at,
      });
      return;
    case 'ReturnDelivered':
      returnInfo().deliveredAt = at;
      return;
    case 'ReturnReceived':
      returnInfo().receivedAt = at;
      return;
    case 'ReturnConditionDisputed':
      returnInfo().conditionDisputed = event.data.statement;
      return;
    case 'ReplacementRequested':
      view.replacement = {
        kind: event.data.kind,
        shipDueAt: event.data.shipDueAt,
        carrier: null,
        trackingNumber: null,
        shippedAt: null,
        complaintDueAt: null,
        receivedAt: null,
        problemReported: null,
      };
      return;
    case 'ReplacementShipped':
      Object.assign(view.replacement ?? {}, {
        carrier: event.data.carrier,
        trackingNumber: event.data.trackingNumber,
        shippedAt: at,
        complaintDueAt: event.data.complaintDueAt,
      });
      return;
    case 'ReplacementReceived':
      Object.assign(view.replacement ?? {}, { receivedAt: at });
      return;
    case 'ReplacementProblemReported':
      Object.assign(view.replacement ?? {}, { problemReported: event.data.statement });
      return;
    default:
      return;
  }
}
