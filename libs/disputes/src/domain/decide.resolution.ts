import type {
  ConfirmRefundPayout,
  ConfirmReturnReceived,
  DisputeReturnCondition,
  MarkRefundSent,
  ProvideReturnAddress,
  RecordReturnDelivery,
  ShipReturn,
} from './dispute.commands';
import type { DisputeEvent, RefundCause, Resolution } from './dispute.events';
import { ensure } from './errors';
import {
  type Context,
  refundable,
  requireBeforeDeadline,
  requireParty,
  requireRole,
  requireStatus,
  requireText,
  stamp,
} from './guards';
import type { Money } from './money';
import { addDays } from './time';
import type { Outcome, ReachedBy, ReturnAddress, Ruling } from './vocabulary';

/**
 * Carrying out a resolution: the events that settle a ruling, the return flow and the payout.
 */

/**
 * The events that settle `ruling`: a DisputeResolved, plus a DisputeClosed when nothing is left
 * to do (no refund, no replacement to ship). A REPLACEMENT or RESEND waits for the seller's
 * shipment (REPLACEMENT_AWAITING_SHIPMENT). A refund without return goes to REFUND_PENDING; with a return, to
 * RETURN_REQUESTED with the seller's address deadline armed.
 */
export function resolutionEvents(
  ctx: Context,
  ruling: Ruling,
  reachedBy: ReachedBy,
): DisputeEvent[] {
  const { dispute, now, policy } = ctx;
  const left = refundable(dispute);
  let refundAmount: Money | null = null;
  let outcome: Outcome;
  switch (ruling.kind) {
    case 'FULL_REFUND':
      refundAmount = left;
      outcome = 'BUYER_FULL_REFUND';
      break;
    case 'PARTIAL_REFUND':
    case 'RETURN_AND_REFUND':
      refundAmount = ruling.amount;
      outcome =
        ruling.amount.amountMinor === left.amountMinor
          ? 'BUYER_FULL_REFUND'
          : 'BUYER_PARTIAL_REFUND';
      break;
    default:
      outcome = ruling.kind;
  }
  const returnRequired = ruling.kind === 'RETURN_AND_REFUND';
  const parties = {
    orderId: dispute.orderId,
    buyerId: dispute.buyerId,
    sellerId: dispute.sellerId,
  };
  const resolved: DisputeEvent = {
    type: 'DisputeResolved',
    data: {
      ...stamp(ctx),
      ...parties,
      ruling,
      outcome,
      reachedBy,
      refundAmount,
      returnRequired,
      returnShippingPaidBy:
        ruling.kind === 'RETURN_AND_REFUND' ? ruling.returnShippingPaidBy : null,
      returnAddressDueAt: returnRequired ? addDays(now, policy.returnAddressDays) : null,
    },
  };
  if (refundAmount !== null) return [resolved];
  if (ruling.kind === 'REPLACEMENT' || ruling.kind === 'RESEND') {
    // Made good only once it arrives: see decide.replacement.ts.
    const shipDueAt = addDays(now, policy.replacementShipDays);
    return [
      resolved,
      { type: 'ReplacementRequested', data: { ...stamp(ctx), kind: ruling.kind, shipDueAt } },
    ];
  }
  return [resolved, closedEvent(ctx, outcome, reachedBy, null)];
}

export function closedEvent(
  ctx: Context,
  outcome: Outcome,
  reachedBy: ReachedBy,
  refunded: Money | null,
): DisputeEvent {
  const { dispute } = ctx;
  return {
    type: 'DisputeClosed',
    data: {
      ...stamp(ctx),
      orderId: dispute.orderId,
      buyerId: dispute.buyerId,
      sellerId: dispute.sellerId,
      outcome,
      reachedBy,
      refunded,
    },
  };
}

export function refundReleased(ctx: Context, cause: RefundCause): DisputeEvent {
  const amount = (ctx.dispute.resolution as Resolution).refundAmount as Money;
  return { type: 'RefundReleased', data: { ...stamp(ctx), amount, cause } };
}

function requireAddress(address: ReturnAddress): ReturnAddress {
  ensure(
    Array.isArray(address.lines) &&
      address.lines.length > 0 &&
      address.lines.every((line) => line.trim().length > 0) &&
      /^[A-Z]{2}$/.test(address.country),
    'INVALID_COMMAND',
    'a return address needs lines and an ISO 3166 country code',
  );
  requireText(address.name, 'the addressee');
  requireText(address.postalCode, 'the postal code');
  return {
    name: address.name,
    lines: [...address.lines],
    postalCode: address.postalCode,
    country: address.country,
  };
}

export function provideReturnAddress(command: ProvideReturnAddress, ctx: Context): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['seller']);
  requireStatus(ctx.dispute, ['RETURN_REQUESTED'], 'RETURN_NOT_AWAITING_ADDRESS');
  requireBeforeDeadline(ctx);
  const address = requireAddress(command.data.address);
  const shipDueAt = addDays(ctx.now, ctx.policy.returnShipDays);
  return [{ type: 'ReturnAddressProvided', data: { ...stamp(ctx), address, shipDueAt } }];
}

export function shipReturn(command: ShipReturn, ctx: Context): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['buyer']);
  requireStatus(ctx.dispute, ['RETURN_AWAITING_SHIPMENT'], 'RETURN_NOT_AWAITING_SHIPMENT');
  requireBeforeDeadline(ctx);
  const carrier = requireText(command.data.carrier, 'the carrier');
  const trackingNumber = requireText(command.data.trackingNumber, 'the tracking number');
  // The receipt deadline starts at delivery (recordReturnDelivery), not here: a parcel the
  // carrier never delivers must not end in a refund by timeout. What runs instead is the
  // platform's RETURN_DELIVERY: unrecorded by then, the case goes to a mediator.
  const deliveryDueAt = addDays(ctx.now, ctx.policy.returnDeliveryDays);
  return [
    { type: 'ReturnShipped', data: { ...stamp(ctx), carrier, trackingNumber, deliveryDueAt } },
  ];
}

/** In transit, the platform recorded the delivery: the seller's receipt deadline runs. */
const returnDelivered = ({ dispute }: Context): boolean =>
  dispute.deadline?.kind === 'RETURN_RECEIPT';

export function recordReturnDelivery(_command: RecordReturnDelivery, ctx: Context): DisputeEvent[] {
  requireRole(ctx.actor, ['platform']);
  requireStatus(ctx.dispute, ['RETURN_IN_TRANSIT'], 'RETURN_NOT_IN_TRANSIT');
  // Once: a second record would restart the seller's receipt clock and delay the refund.
  ensure(!returnDelivered(ctx), 'RETURN_ALREADY_DELIVERED');
  requireBeforeDeadline(ctx);
  const receiptDueAt = addDays(ctx.now, ctx.policy.returnReceiptDays);
  return [{ type: 'ReturnDelivered', data: { ...stamp(ctx), receiptDueAt } }];
}

export function confirmReturnReceived(
  _command: ConfirmReturnReceived,
  ctx: Context,
): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['seller']);
  requireStatus(ctx.dispute, ['RETURN_IN_TRANSIT'], 'RETURN_NOT_IN_TRANSIT');
  // Before the platform's record too: the seller's own word that the item arrived only speeds
  // the buyer's refund.
  requireBeforeDeadline(ctx);
  return [{ type: 'ReturnReceived', data: stamp(ctx) }, refundReleased(ctx, 'RETURN_RECEIVED')];
}

export function disputeReturnCondition(
  command: DisputeReturnCondition,
  ctx: Context,
): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['seller']);
  requireStatus(ctx.dispute, ['RETURN_IN_TRANSIT'], 'RETURN_NOT_IN_TRANSIT');
  // Only an item the carrier delivered can be judged: no sending the case back to mediation
  // over a parcel still on its way.
  ensure(returnDelivered(ctx), 'RETURN_NOT_DELIVERED', 'the return is not recorded as delivered');
  requireBeforeDeadline(ctx);
  const statement = requireText(command.data.statement, 'the statement');
  return [{ type: 'ReturnConditionDisputed', data: { ...stamp(ctx), statement } }];
}

function requireRefundDue(amount: Money, due: Money): void {
  ensure(
    amount.amountMinor === due.amountMinor && amount.currency === due.currency,
    'REFUND_AMOUNT_MISMATCH',
    `the refund due is ${due.amountMinor} ${due.currency}`,
  );
}

/**
 * The seller records that they sent the refund due (docs/domain.md#roles: the seller may mark a
 * refund sent). Only a record: the dispute stays REFUND_PENDING until the platform confirms the
 * payout, and a second mark is refused, so money is never counted twice.
 */
export function markRefundSent(command: MarkRefundSent, ctx: Context): DisputeEvent[] {
  const { dispute } = ctx;
  requireParty(ctx.actor, dispute, ['seller']);
  requireStatus(dispute, ['REFUND_PENDING'], 'REFUND_NOT_PENDING');
  ensure(dispute.refundMarkedSentAt === null, 'REFUND_ALREADY_MARKED_SENT');
  const due = dispute.refundDue as Money;
  requireRefundDue(command.data.amount, due);
  const reference = requireText(command.data.reference, 'the transfer reference');
  return [{ type: 'RefundMarkedSent', data: { ...stamp(ctx), amount: due, reference } }];
}

export function confirmRefundPayout(command: ConfirmRefundPayout, ctx: Context): DisputeEvent[] {
  const { dispute } = ctx;
  requireRole(ctx.actor, ['platform']);
  requireStatus(dispute, ['REFUND_PENDING'], 'REFUND_NOT_PENDING');
  const due = dispute.refundDue as Money;
  requireRefundDue(command.data.amount, due);
  const payoutReference = requireText(command.data.payoutReference, 'the payout reference');
  const resolution = dispute.resolution as Resolution;
  return [
    {
      type: 'RefundPaidOut',
      data: { ...stamp(ctx), orderId: dispute.orderId, amount: due, payoutReference },
    },
    closedEvent(ctx, resolution.outcome, dispute.refundReachedBy as ReachedBy, due),
  ];
}
