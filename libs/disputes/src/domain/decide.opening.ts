import type {
  CancelDispute,
  EscalateDispute,
  OpenDispute,
  RespondToDispute,
} from './dispute.commands';
import type { DisputeEvent, DisputeState, Proposal } from './dispute.events';
import { DomainError, ensure } from './errors';
import {
  ARGUED,
  type Context,
  refundable,
  requireBeforeDeadline,
  requireFitsReason,
  requireFreshId,
  requireParty,
  requireRole,
  requireSolution,
  requireStatus,
  requireText,
  stamp,
} from './guards';
import { money, subtractMoney } from './money';
import type { DisputePolicy } from './policy';
import { addDays, type Instant, instant, isBefore } from './time';
import { type Actor, DISPUTE_REASONS, type DisputeStatus } from './vocabulary';
import { resolutionEvents } from './decide.resolution';

/**
 * Opening a dispute, the seller's first response, escalation and cancellation.
 *
 * One dispute per order: the handler passes `order.previousDispute` (the last dispute linked to
 * the order and whether it was cancelled). Any previous dispute refuses the opening
 * (DISPUTE_ALREADY_EXISTS), except a cancelled one when `allowReopenAfterCancel` is set; then the
 * new dispute records `reopenOf`. The handler then links the dispute on the order stream
 * (`LinkDispute`) with the order revision it loaded, which settles concurrent openings.
 */
/**
 * Only an order's buyer opens a dispute. The handler asks this before it looks the order up, so
 * a role that may never open (analyst, seller, staff) gets one answer whether or not the order
 * exists: order ids cannot be probed.
 */
export function requireMayOpenDispute(actor: Actor): void {
  requireRole(actor, ['buyer']);
}

export function openDispute(
  command: OpenDispute,
  state: DisputeState,
  actor: Actor,
  now: Instant,
  policy: DisputePolicy,
): DisputeEvent[] {
  const { order, disputeId, proposalId, reason } = command.data;
  requireMayOpenDispute(actor);
  ensure(actor.id === order.buyerId, 'NOT_A_PARTY', `${actor.id} is not this order's buyer`);
  ensure(state.status === 'NONE', 'DISPUTE_ALREADY_EXISTS', `dispute ${disputeId} exists`);
  const previous = order.previousDispute;
  if (previous !== null) {
    ensure(previous.cancelled, 'DISPUTE_ALREADY_EXISTS', `order has dispute ${previous.disputeId}`);
    ensure(
      policy.allowReopenAfterCancel,
      'DISPUTE_REOPEN_NOT_ALLOWED',
      'a cancelled dispute cannot be reopened',
    );
  }
  ensure(DISPUTE_REASONS.includes(reason), 'INVALID_COMMAND', `unknown reason ${reason}`);
  const description = requireText(command.data.description, 'the description');
  requireText(disputeId, 'the dispute id');
  requireText(proposalId, 'the proposal id');
  ensure(proposalId !== disputeId, 'DUPLICATE_ID', 'the proposal needs its own id');

  ensure(order.shippedAt !== null, 'ORDER_NOT_SHIPPED', 'a dispute opens once the order shipped');
  const shippedAt = instant(order.shippedAt as Instant);
  const protectionEnd = addDays(
    instant((order.deliveryConfirmedAt ?? order.deliveryDeadline) as Instant),
    policy.protectionDays,
  );
  ensure(!isBefore(now, shippedAt), 'ORDER_NOT_SHIPPED', 'a dispute opens once the order shipped');
  ensure(
    !isBefore(protectionEnd, now),
    'PROTECTION_PERIOD_EXPIRED',
    `protection ended ${protectionEnd}`,
  );
  if (reason === 'ITEM_NOT_RECEIVED') {
    ensure(
      order.deliveryConfirmedAt === null,
      'ITEM_DELIVERY_CONFIRMED',
      'the buyer confirmed delivery',
    );
    const earliest = addDays(shippedAt, policy.minDaysAfterShipmentForNotReceived);
    ensure(!isBefore(now, earliest), 'NOT_RECEIVED_TOO_EARLY', `not before ${earliest}`);
  }

  const orderTotal = money(order.total.amountMinor, order.total.currency);
  const refundedBefore = money(order.refunded.amountMinor, order.refunded.currency);
  const left = subtractMoney(orderTotal, refundedBefore);
  ensure(left.amountMinor > 0, 'ORDER_FULLY_REFUNDED', 'nothing is left to refund on this order');
  const claim = requireSolution(command.data.claim, left);
  requireFitsReason(claim, reason);

  return [
    {
      type: 'DisputeOpened',
      data: {
        disputeId,
        at: now,
        by: actor,
        orderId: order.orderId,
        buyerId: order.buyerId,
        sellerId: order.sellerId,
        reason,
        description,
        proposalId,
        claim,
        orderTotal,
        refundedBefore,
        deliveryConfirmed: order.deliveryConfirmedAt !== null,
        reopenOf: previous === null ? null : previous.disputeId,
        sellerResponseDueAt: addDays(now, policy.sellerResponseDays),
      },
    },
  ];
}

export function respondToDispute(command: RespondToDispute, ctx: Context): DisputeEvent[] {
  const { dispute, now, policy } = ctx;
  requireParty(ctx.actor, dispute, ['seller']);
  requireStatus(dispute, ['AWAITING_SELLER'], 'DISPUTE_NOT_AWAITING_SELLER');
  requireBeforeDeadline(ctx);
  const comment = command.data.comment;
  ensure(typeof comment === 'string', 'INVALID_COMMAND', 'comment must be a string');
  const negotiationDueAt = addDays(now, policy.negotiationDays);
  const data = command.data;
  switch (data.response) {
    case 'ACCEPT': {
      const buyerProposal = dispute.proposals.buyer as Proposal;
      // The buyer may replace the claim while the seller reads it: accept only what was seen.
      ensure(
        data.proposalId === buyerProposal.proposalId,
        'PROPOSAL_CHANGED',
        `the buyer's current claim is ${buyerProposal.proposalId}`,
      );
      return [
        {
          type: 'SellerResponded',
          data: { ...stamp(ctx), response: 'ACCEPTED', comment, negotiationDueAt: null },
        },
        {
          type: 'ProposalAccepted',
          data: {
            ...stamp(ctx),
            proposalId: buyerProposal.proposalId,
            proposer: 'buyer',
            acceptedBy: 'seller',
            onBehalf: false,
          },
        },
        ...resolutionEvents(ctx, buyerProposal.solution, 'AGREEMENT'),
      ];
    }
    case 'REJECT':
      requireText(comment, 'the reason for rejecting');
      return [
        {
          type: 'SellerResponded',
          data: { ...stamp(ctx), response: 'REJECTED', comment, negotiationDueAt },
        },
      ];
    case 'COUNTER': {
      const proposalId = requireFreshId(dispute, data.proposalId);
      const solution = requireSolution(data.solution, refundable(dispute));
      requireFitsReason(solution, dispute.reason);
      return [
        {
          type: 'SellerResponded',
          data: { ...stamp(ctx), response: 'COUNTERED', comment, negotiationDueAt },
        },
        {
          type: 'ProposalSubmitted',
          data: { ...stamp(ctx), proposalId, proposer: 'seller', solution, replaces: null },
        },
      ];
    }
    default: {
      const unknown: never = data;
      throw new DomainError('INVALID_COMMAND', `unknown response ${JSON.stringify(unknown)}`);
    }
  }
}

const BEFORE_DECISION: readonly DisputeStatus[] = [
  'AWAITING_SELLER',
  'NEGOTIATING',
  'IN_MEDIATION',
];

/** Buyer or seller, in negotiation, once `minDaysBeforeEscalation` passed or the seller rejected. */
export function escalateDispute(_command: EscalateDispute, ctx: Context): DisputeEvent[] {
  const { dispute, now, policy } = ctx;
  const role = requireParty(ctx.actor, dispute);
  requireStatus(dispute, ['NEGOTIATING'], 'DISPUTE_NOT_IN_NEGOTIATION');
  requireBeforeDeadline(ctx);
  const allowedFrom = addDays(dispute.openedAt, policy.minDaysBeforeEscalation);
  ensure(
    dispute.sellerRejected || !isBefore(now, allowedFrom),
    'ESCALATION_TOO_EARLY',
    `escalation opens at ${allowedFrom}`,
  );
  return [
    {
      type: 'DisputeEscalated',
      data: {
        ...stamp(ctx),
        trigger: role === 'buyer' ? 'BUYER' : 'SELLER',
        sellerRejected: dispute.sellerRejected,
      },
    },
  ];
}

/**
 * Buyer, before a decision; the payment is released to the seller. Once a mediator decided, the
 * buyer accepts or appeals: a cancellation (and, with allowReopenAfterCancel, a fresh dispute)
 * would get around the decision and maxAppeals. Once settled, a return-condition dispute
 * (back IN_MEDIATION) cannot be cancelled either.
 */
export function cancelDispute(command: CancelDispute, ctx: Context): DisputeEvent[] {
  const { dispute } = ctx;
  requireParty(ctx.actor, dispute, ['buyer']);
  requireStatus(dispute, ARGUED, 'DISPUTE_ALREADY_RESOLVED');
  ensure(!dispute.resolvedOnce, 'DISPUTE_ALREADY_RESOLVED', 'the dispute was settled before');
  requireStatus(dispute, BEFORE_DECISION, 'DISPUTE_ALREADY_DECIDED');
  const comment = command.data.comment;
  ensure(typeof comment === 'string', 'INVALID_COMMAND', 'comment must be a string');
  return [
    {
      type: 'DisputeCancelled',
      data: {
        ...stamp(ctx),
        orderId: dispute.orderId,
        buyerId: dispute.buyerId,
        sellerId: dispute.sellerId,
        outcome: 'CANCELLED_BY_BUYER',
        reachedBy: 'BUYER_CANCEL',
        comment,
      },
    },
  ];
}
