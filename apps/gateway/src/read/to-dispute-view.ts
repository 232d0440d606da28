import type { DisputeView as ApplicationDisputeView } from '@arbiter/disputes/application';
import type { Proposal } from '@arbiter/disputes';
import type { DisputeView as ReadDisputeView } from '@arbiter/read-models';

/**
 * A read-model view in the shape of the command side's `DisputeView`, so queries and mutations
 * answer with the same GraphQL `Dispute` type. The read model is already role-shaped (the
 * projection filtered the events through the domain's visibility rules); this only rearranges.
 */
export function toApplicationView(view: ReadDisputeView): ApplicationDisputeView {
  const { file } = view;
  const staff = view.staff !== null;
  const refundedSoFar = view.refunded?.amountMinor ?? 0;
  const resolution = view.resolution;
  const decisionEntry =
    view.decision && file.decisions.find((d) => d.decisionId === view.decision?.decisionId);
  const shipment = file.returnShipment;
  const proposals = [view.proposals.buyer, view.proposals.seller, view.proposals.mediator].filter(
    (p): p is Proposal => p !== null,
  );
  return {
    disputeId: view.disputeId,
    orderId: view.orderId,
    buyerId: view.buyerId,
    sellerId: view.sellerId,
    status: view.status,
    reason: view.reason,
    description: file.description,
    orderTotal: view.orderTotal,
    refundable: {
      amountMinor: Math.max(
        0,
        view.orderTotal.amountMinor - view.refundedBefore.amountMinor - refundedSoFar,
      ),
      currency: view.orderTotal.currency,
    },
    openedAt: view.openedAt.toISOString(),
    revision: view.revision,
    proposals,
    evidence: file.evidence.map((e) => ({
      evidenceId: e.evidenceId,
      submittedBy: e.submittedBy,
      kind: e.kind,
      text: e.content.text ?? null,
      file: e.content.file ?? null,
      description: e.description,
      answersRequestId: e.answersRequestId,
      at: e.at,
    })),
    messages: file.messages.map((m) => ({
      messageId: m.messageId,
      authorRole: m.by.role,
      authorId: m.by.id,
      body: m.body,
      at: m.at,
    })),
    evidenceRequests: file.evidenceRequests.map((r) => ({
      requestId: r.requestId,
      from: r.from,
      dueAt: r.dueAt,
      status: r.status,
      prompt: r.prompt,
    })),
    internalNotes: staff
      ? file.internalNotes.map((n) => ({
          noteId: n.noteId,
          note: n.note,
          authorId: n.by.id,
          at: n.at,
        }))
      : [],
    decision: view.decision && {
      ...view.decision,
      rationale: decisionEntry?.rationale ?? '',
      acceptedBy: [...view.decision.acceptedBy],
    },
    appeals: file.appeals,
    returnInfo:
      resolution?.returnRequired || shipment
        ? {
            shippingPaidBy: resolution?.returnShippingPaidBy ?? null,
            address: shipment?.address ?? null,
            carrier: shipment?.carrier ?? null,
            trackingNumber: shipment?.trackingNumber ?? null,
            shippedAt: shipment?.shippedAt ?? null,
            deliveredAt: shipment?.deliveredAt ?? null,
            receivedAt: shipment?.receivedAt ?? null,
            conditionDisputed: shipment?.conditionDisputed?.statement ?? null,
          }
        : null,
    replacement: file.replacement
      ? {
          ...file.replacement,
          problemReported: file.replacement.problemReported?.statement ?? null,
        }
      : null,
    deadline: view.deadline && {
      kind: view.deadline.kind,
      dueAt: view.deadline.dueAt.toISOString(),
    },
    mediatorId: staff ? (view.staff?.mediatorId ?? null) : null,
    mediatorAssigned: view.mediatorAssigned,
    outcome:
      view.outcome && view.reachedBy
        ? {
            outcome: view.outcome,
            reachedBy: view.reachedBy,
            ruling: resolution?.ruling ?? null,
            refundAmount: resolution?.refundAmount ?? null,
          }
        : null,
    refundDue: view.refundDue,
    refunded: view.refunded,
    refundMarkedSentAt: file.refund.markedSentAt ?? null,
    closedAt: view.closedAt?.toISOString() ?? null,
    nextAction: view.nextAction && {
      action: view.nextAction.action,
      dueAt: view.nextAction.dueAt?.toISOString() ?? null,
      ifMissed: view.nextAction.ifMissed,
    },
  };
}
