import type { DisputeEvent, DisputeOpened } from './dispute.events';
import {
  Decision,
  Dispute,
  DisputeState,
  initialState,
  Proposal,
  Resolution,
} from './dispute.state';
import type { Instant } from './time';

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

/** A new dispute's proposals: the buyer's claim, nothing from the others yet. */
export function openingProposals(d: DisputeOpened['data']): Dispute['proposals'] {
  return {
    buyer: {
      proposalId: d.proposalId,
      proposer: 'buyer',
      solution: d.claim,
      submittedAt: d.at,
      acceptedBy: [],
    },
    seller: null,
    mediator: null,
  };
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
    proposals: openingProposals(d),
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
