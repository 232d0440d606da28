import type { FireDeadline } from './dispute.commands';
import type { Decision, DisputeEvent, Proposal } from './dispute.events';
import type { PhaseDeadlineKind } from './vocabulary';
import { ensure } from './errors';
import { type Context, requireRole, stamp } from './guards';
import { instant, isBefore } from './time';
import { closedEvent, refundReleased, resolutionEvents } from './decide.resolution';
import { replacementMadeGood } from './decide.replacement';

/**
 * The system's deadline transitions (docs/domain.md#deadlines-and-automatic-actions).
 * Idempotent: a deadline that is no longer armed with exactly this kind, request and dueAt
 * (because the state moved on, or it already fired) yields no events. Firing before `dueAt`
 * is refused so that a scheduler running early retries rather than losing the deadline.
 */
export function fireDeadline(command: FireDeadline, ctx: Context): DisputeEvent[] {
  const { dispute, now } = ctx;
  requireRole(ctx.actor, ['system']);
  const { kind } = command.data;
  const dueAt = instant(command.data.dueAt);
  const requestId = command.data.requestId ?? null;

  if (kind === 'EVIDENCE_REQUEST') {
    const armed = dispute.evidenceRequests.some(
      (r) => r.requestId === requestId && r.status === 'OPEN' && r.dueAt === dueAt,
    );
    if (!armed || !['IN_MEDIATION', 'IN_APPEAL'].includes(dispute.status)) return [];
  } else if (dispute.deadline?.kind !== kind || dispute.deadline.dueAt !== dueAt) {
    return [];
  }
  ensure(!isBefore(now, dueAt), 'DEADLINE_NOT_DUE', `${kind} is due at ${dueAt}`);

  const passed: DisputeEvent = {
    type: 'DeadlinePassed',
    data: { ...stamp(ctx), kind, dueAt, requestId: kind === 'EVIDENCE_REQUEST' ? requestId : null },
  };
  if (kind === 'EVIDENCE_REQUEST') return [passed];
  return [passed, ...CONSEQUENCES[kind](ctx)];
}

/** What each phase deadline does when it passes (a Record, so a new kind cannot be forgotten). */
const CONSEQUENCES: Readonly<Record<PhaseDeadlineKind, (ctx: Context) => DisputeEvent[]>> = {
  SELLER_RESPONSE: (ctx) => {
    if (ctx.policy.onSellerSilence === 'escalate') {
      return [
        {
          type: 'DisputeEscalated',
          data: { ...stamp(ctx), trigger: 'SELLER_SILENCE', sellerRejected: false },
        },
      ];
    }
    const { proposalId, solution } = ctx.dispute.proposals.buyer as Proposal;
    return [
      {
        type: 'ProposalAccepted',
        data: {
          ...stamp(ctx),
          proposalId,
          proposer: 'buyer',
          acceptedBy: 'seller',
          onBehalf: true,
        },
      },
      ...resolutionEvents(ctx, solution, 'SELLER_TIMEOUT'),
    ];
  },
  NEGOTIATION: (ctx) => [
    {
      type: 'DisputeEscalated',
      data: {
        ...stamp(ctx),
        trigger: 'NEGOTIATION_TIMEOUT',
        sellerRejected: ctx.dispute.sellerRejected,
      },
    },
  ],
  APPEAL_WINDOW: (ctx) => {
    const decision = ctx.dispute.decision as Decision;
    return resolutionEvents(
      ctx,
      decision.ruling,
      decision.stage === 'APPEAL' ? 'APPEAL' : 'MEDIATION',
    );
  },
  RETURN_ADDRESS: (ctx) => [refundReleased(ctx, 'NO_RETURN_ADDRESS')],
  RETURN_SHIPMENT: (ctx) => [closedEvent(ctx, 'SELLER_FAVOUR', 'RETURN_TIMEOUT', null)],
  // Shipped but never recorded as delivered: no refund by timer (the parcel may be lost or never
  // sent), no closing (the buyer may have shipped it): a mediator rules on the tracking.
  RETURN_DELIVERY: (ctx) => [
    {
      type: 'DisputeEscalated',
      data: {
        ...stamp(ctx),
        trigger: 'RETURN_NOT_DELIVERED',
        sellerRejected: ctx.dispute.sellerRejected,
      },
    },
  ],
  RETURN_RECEIPT: (ctx) => [refundReleased(ctx, 'RECEIPT_NOT_CONFIRMED')],
  // The seller did not make good: the buyer is refunded in full, against the seller.
  REPLACEMENT_SHIPMENT: (ctx) => resolutionEvents(ctx, { kind: 'FULL_REFUND' }, 'SELLER_TIMEOUT'),
  // No complaint in the window: the replacement counts as received, the outcome stands.
  REPLACEMENT_COMPLAINT: (ctx) => [replacementMadeGood(ctx)],
};
