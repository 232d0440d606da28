import type {
  ConfirmReplacementReceived,
  ReportReplacementProblem,
  ShipReplacement,
} from './dispute.commands';
import type { DisputeEvent, Resolution } from './dispute.events';
import { ensure } from './errors';
import { type Context, requireParty, requireStatus, requireText, stamp } from './guards';
import { closedEvent } from './decide.resolution';
import { addDays, isBefore } from './time';

/**
 * Following a REPLACEMENT or RESEND outcome through (README "Replacement and resend"): the seller
 * ships by `replacementShipDays` (the REPLACEMENT_SHIPMENT timer refunds the buyer in full
 * otherwise); the buyer then confirms receipt, or reports a problem before the complaint window
 * (expected delivery + `replacementComplaintDays`) ends, which puts the case back in mediation;
 * the window passing without complaint closes the dispute as made good.
 */

/** The phase deadline must not have passed, whether or not its timer has fired. */
function requireBeforeDeadline(ctx: Context): void {
  const dueAt = (ctx.dispute.deadline as { dueAt: string }).dueAt;
  ensure(isBefore(ctx.now, dueAt), 'DEADLINE_PASSED', `the deadline was ${dueAt}`);
}

export function shipReplacement(command: ShipReplacement, ctx: Context): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['seller']);
  requireStatus(
    ctx.dispute,
    ['REPLACEMENT_AWAITING_SHIPMENT'],
    'REPLACEMENT_NOT_AWAITING_SHIPMENT',
  );
  requireBeforeDeadline(ctx);
  const carrier = requireText(command.data.carrier, 'the carrier');
  const trackingNumber = requireText(command.data.trackingNumber, 'the tracking number');
  const { replacementDeliveryDays, replacementComplaintDays } = ctx.policy;
  const complaintDueAt = addDays(ctx.now, replacementDeliveryDays + replacementComplaintDays);
  return [
    {
      type: 'ReplacementShipped',
      data: { ...stamp(ctx), carrier, trackingNumber, complaintDueAt },
    },
  ];
}

/** Confirming receipt only favours the seller, so a late confirmation is taken. */
export function confirmReplacementReceived(
  _command: ConfirmReplacementReceived,
  ctx: Context,
): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['buyer']);
  requireStatus(ctx.dispute, ['REPLACEMENT_IN_TRANSIT'], 'REPLACEMENT_NOT_IN_TRANSIT');
  return [{ type: 'ReplacementReceived', data: stamp(ctx) }, replacementMadeGood(ctx)];
}

export function reportReplacementProblem(
  command: ReportReplacementProblem,
  ctx: Context,
): DisputeEvent[] {
  requireParty(ctx.actor, ctx.dispute, ['buyer']);
  requireStatus(ctx.dispute, ['REPLACEMENT_IN_TRANSIT'], 'REPLACEMENT_NOT_IN_TRANSIT');
  requireBeforeDeadline(ctx);
  const statement = requireText(command.data.statement, 'the statement');
  return [{ type: 'ReplacementProblemReported', data: { ...stamp(ctx), statement } }];
}

/** The dispute closes with the outcome as it was reached (REPLACEMENT or RESEND, no refund). */
export function replacementMadeGood(ctx: Context): DisputeEvent {
  const { outcome, reachedBy } = ctx.dispute.resolution as Resolution;
  return closedEvent(ctx, outcome, reachedBy, null);
}
