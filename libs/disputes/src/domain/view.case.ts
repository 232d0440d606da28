import type { DisputeEvent } from './dispute.events';
import type { Instant } from './time';
import type { DisputeView, ReturnView } from './view.types';
import type { Outcome, ReachedBy } from './vocabulary';

/**
 * One event (already as the audience may see it) folded into the view. The transitions follow
 * the decider's `evolve` fact for fact — status, deadlines, current proposals, requests — so the
 * next action read from a view is the one the decider expects; what `evolve` does not keep (the
 * words, the documents, who acted) is added here. `staff` says whether staff ids may be kept.
 */
export function foldCaseEvent(view: DisputeView, event: DisputeEvent, staff: boolean): DisputeView {
  const at = event.data.at;
  switch (event.type) {
    case 'DisputeOpened':
      // `evolveView` starts the view with it; a second one on a stream is never written.
      return view;
    case 'SellerResponded': {
      const { response, negotiationDueAt } = event.data;
      if (response === 'ACCEPTED') return { ...view, deadline: null };
      return {
        ...view,
        status: 'NEGOTIATING',
        deadline: { kind: 'NEGOTIATION', dueAt: negotiationDueAt as Instant },
      };
    }
    case 'ProposalSubmitted': {
      const { proposalId, proposer, solution, sellerResponseDueAt } = event.data;
      return {
        ...view,
        proposals: {
          ...view.proposals,
          [proposer]: { proposalId, proposer, solution, submittedAt: at, acceptedBy: [] },
        },
        deadline:
          sellerResponseDueAt === undefined
            ? view.deadline
            : { kind: 'SELLER_RESPONSE', dueAt: sellerResponseDueAt },
      };
    }
    case 'ProposalWithdrawn':
      return { ...view, proposals: { ...view.proposals, [event.data.proposer]: null } };
    case 'ProposalAccepted': {
      const current = view.proposals[event.data.proposer];
      // Older streams may accept a proposal a resolution has since superseded: nothing to mark.
      if (current === null) return view;
      const acceptedBy = [...current.acceptedBy, event.data.acceptedBy];
      return {
        ...view,
        proposals: { ...view.proposals, [event.data.proposer]: { ...current, acceptedBy } },
      };
    }
    case 'DisputeResolved':
      return resolved(view, event);
    case 'EvidenceAdded': {
      const { evidenceId, submittedBy, kind, content, description, answersRequestId } = event.data;
      const evidence = {
        evidenceId,
        submittedBy,
        kind,
        text: content.text ?? null,
        file: content.file ?? null,
        description,
        answersRequestId,
        at,
      };
      return {
        ...view,
        evidence: [...view.evidence, evidence],
        evidenceRequests: view.evidenceRequests.map((r) =>
          r.requestId === answersRequestId ? { ...r, status: 'ANSWERED' as const } : r,
        ),
      };
    }
    case 'MessagePosted': {
      const { messageId, by, body } = event.data;
      const message = { messageId, authorRole: by.role, authorId: by.id, body, at };
      return { ...view, messages: [...view.messages, message] };
    }
    case 'DisputeEscalated': {
      const escalatedAt = view.escalatedAt ?? at;
      if (view.resolution !== null) return { ...backToMediation(view, at), escalatedAt };
      return { ...unassigned(view), status: 'IN_MEDIATION', escalatedAt, queuedAt: at };
    }
    case 'DisputeCancelled':
      return closed(view, 'CANCELLED', 'CANCELLED_BY_BUYER', 'BUYER_CANCEL', at);
    case 'CaseTaken':
      return { ...view, mediatorId: staff ? event.data.by.id : null, mediatorAssigned: true };
    case 'EvidenceRequested': {
      const { requestId, from, dueAt, prompt, by } = event.data;
      const request = { requestId, from, dueAt, status: 'OPEN' as const, prompt, requestedBy: by };
      return { ...view, evidenceRequests: [...view.evidenceRequests, request] };
    }
    case 'InternalNoteAdded': {
      const note = { noteId: event.data.noteId, note: event.data.note, authorId: event.data.by.id };
      return { ...view, internalNotes: [...view.internalNotes, { ...note, at }] };
    }
    case 'DisputeDecided': {
      const { decisionId, stage, ruling, rationale, final, appealDueAt, by } = event.data;
      const decision = {
        decisionId,
        stage,
        ruling,
        rationale,
        final,
        appealDueAt,
        acceptedBy: [],
        by,
      };
      if (final) return { ...view, decision, deadline: null };
      const deadline = { kind: 'APPEAL_WINDOW' as const, dueAt: appealDueAt as Instant };
      return { ...view, decision, status: 'DECIDED', deadline };
    }
    case 'DecisionAccepted': {
      const { decision } = view;
      if (decision === null) return view;
      const acceptedBy = [...decision.acceptedBy, event.data.acceptedBy];
      return { ...view, decision: { ...decision, acceptedBy } };
    }
    case 'DecisionAppealed': {
      const { appealId, decisionId, appellant, newInformation } = event.data;
      const appeal = { appealId, decisionId, appellant, newInformation, at };
      return {
        ...unassigned(view),
        status: 'IN_APPEAL',
        appeals: [...view.appeals, appeal],
        queuedAt: at,
      };
    }
    case 'ReturnAddressProvided':
      return {
        ...withReturn(view, { address: event.data.address }),
        status: 'RETURN_AWAITING_SHIPMENT',
        deadline: { kind: 'RETURN_SHIPMENT', dueAt: event.data.shipDueAt },
      };
    case 'ReturnShipped': {
      const { carrier, trackingNumber, deliveryDueAt } = event.data;
      // A return shipped before the delivery clock existed reads (upcast) with none.
      const deadline =
        deliveryDueAt === null ? null : { kind: 'RETURN_DELIVERY' as const, dueAt: deliveryDueAt };
      return {
        ...withReturn(view, { carrier, trackingNumber, shippedAt: at }),
        status: 'RETURN_IN_TRANSIT',
        deadline,
      };
    }
    case 'ReturnDelivered':
      return {
        ...withReturn(view, { deliveredAt: at }),
        deadline: { kind: 'RETURN_RECEIPT', dueAt: event.data.receiptDueAt },
      };
    case 'ReturnReceived':
      return { ...withReturn(view, { receivedAt: at }), deadline: null };
    case 'ReturnConditionDisputed':
      return backToMediation(withReturn(view, { conditionDisputed: event.data.statement }), at);
    case 'ReplacementRequested':
      return {
        ...view,
        status: 'REPLACEMENT_AWAITING_SHIPMENT',
        deadline: { kind: 'REPLACEMENT_SHIPMENT', dueAt: event.data.shipDueAt },
        replacement: {
          kind: event.data.kind,
          shipDueAt: event.data.shipDueAt,
          carrier: null,
          trackingNumber: null,
          shippedAt: null,
          complaintDueAt: null,
          receivedAt: null,
          problemReported: null,
        },
      };
    case 'ReplacementShipped': {
      const { carrier, trackingNumber, complaintDueAt } = event.data;
      return {
        ...view,
        status: 'REPLACEMENT_IN_TRANSIT',
        deadline: { kind: 'REPLACEMENT_COMPLAINT', dueAt: complaintDueAt },
        replacement: view.replacement && {
          ...view.replacement,
          carrier,
          trackingNumber,
          shippedAt: at,
          complaintDueAt,
        },
      };
    }
    case 'ReplacementReceived':
      return {
        ...view,
        deadline: null,
        replacement: view.replacement && { ...view.replacement, receivedAt: at },
      };
    case 'ReplacementProblemReported': {
      const problemReported = event.data.statement;
      const replacement = view.replacement && { ...view.replacement, problemReported };
      return backToMediation({ ...view, replacement }, at);
    }
    case 'RefundReleased':
      return { ...view, status: 'REFUND_PENDING', deadline: null, refundDue: event.data.amount };
    case 'RefundMarkedSent':
      return { ...view, refundMarkedSentAt: at };
    case 'RefundPaidOut':
      return { ...view, refunded: event.data.amount };
    case 'DisputeClosed':
      return closed(view, 'CLOSED', event.data.outcome, event.data.reachedBy, at);
    case 'DeadlinePassed': {
      const { requestId } = event.data;
      if (requestId === null) return { ...view, deadline: null };
      return {
        ...view,
        evidenceRequests: view.evidenceRequests.map((r) =>
          r.requestId === requestId ? { ...r, status: 'LAPSED' as const } : r,
        ),
      };
    }
    default:
      return unknownEvent(event, view);
  }
}

function resolved(
  view: DisputeView,
  event: Extract<DisputeEvent, { type: 'DisputeResolved' }>,
): DisputeView {
  const { ruling, outcome, reachedBy, refundAmount, returnRequired, returnShippingPaidBy } =
    event.data;
  // Requests of the mediation just settled are moot (as in the decider's state).
  const settled: DisputeView = {
    ...view,
    resolution: { ruling, outcome, reachedBy, refundAmount, returnRequired, returnShippingPaidBy },
    deadline: null,
    evidenceRequests: view.evidenceRequests.map((r) =>
      r.status === 'OPEN' ? { ...r, status: 'LAPSED' as const } : r,
    ),
  };
  if (returnRequired) {
    const dueAt = event.data.returnAddressDueAt as Instant;
    return {
      ...withReturn(settled, { shippingPaidBy: returnShippingPaidBy }),
      status: 'RETURN_REQUESTED',
      deadline: { kind: 'RETURN_ADDRESS', dueAt },
    };
  }
  if (refundAmount !== null)
    return { ...settled, status: 'REFUND_PENDING', refundDue: refundAmount };
  // No refund and no return: a DisputeClosed or a ReplacementRequested follows.
  return settled;
}

/**
 * The outcome as the dispute ended. A return deadline can close it another way than the ruling
 * reached (no return shipped: SELLER_FAVOUR by RETURN_TIMEOUT): its refund is then not shown.
 */
function closed(
  view: DisputeView,
  status: 'CLOSED' | 'CANCELLED',
  outcome: Outcome,
  reachedBy: ReachedBy,
  at: Instant,
): DisputeView {
  const { resolution } = view;
  const asReached = resolution === null || resolution.outcome === outcome;
  return {
    ...view,
    status,
    deadline: null,
    closedAt: at,
    outcome: {
      outcome,
      reachedBy,
      ruling: asReached ? (resolution?.ruling ?? null) : { kind: 'SELLER_FAVOUR' },
      refundAmount: asReached ? (resolution?.refundAmount ?? null) : null,
    },
  };
}

const unassigned = (view: DisputeView): DisputeView => ({
  ...view,
  deadline: null,
  mediatorId: null,
  mediatorAssigned: false,
});

/**
 * Back before a mediator: the ruling and every proposal made before it are gone for good; the
 * return keeps what happened to the item, but nobody pays its shipping any more.
 */
function backToMediation(view: DisputeView, at: Instant): DisputeView {
  return {
    ...unassigned(view),
    status: 'IN_MEDIATION',
    decision: null,
    resolution: null,
    proposals: { buyer: null, seller: null, mediator: null },
    returnInfo: view.returnInfo && { ...view.returnInfo, shippingPaidBy: null },
    queuedAt: at,
  };
}

const EMPTY_RETURN: ReturnView = {
  shippingPaidBy: null,
  address: null,
  carrier: null,
  trackingNumber: null,
  shippedAt: null,
  deliveredAt: null,
  receivedAt: null,
  conditionDisputed: null,
};

const withReturn = (view: DisputeView, change: Partial<ReturnView>): DisputeView => ({
  ...view,
  returnInfo: { ...(view.returnInfo ?? EMPTY_RETURN), ...change },
});

/** A newer writer's event type leaves the view as it was (the timeline still lists it). */
function unknownEvent(_event: never, view: DisputeView): DisputeView {
  return view;
}
