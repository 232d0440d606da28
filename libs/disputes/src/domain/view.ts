import { viewerActionsOf } from './deadlines';
import { openingProposals } from './dispute.evolve';
import type { DisputeEvent } from './dispute.events';
import type { Money } from './money';
import type { DisputePolicy } from './policy';
import { foldCaseEvent } from './view.case';
import {
  type DecisionView,
  type DisputeView,
  type NextActionView,
  VIEW_VERSION,
} from './view.types';
import { type Audience, visibleEventFor } from './visibility';
import type { Actor, Role } from './vocabulary';

export * from './view.types';

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
  const revision = view.revision + 1;
  const updatedAt = event.data.at ?? view.updatedAt;
  if (visible === null) return { ...view, revision, updatedAt };
  // One copy per event (a replay folds every event of a stream): the fold gets a view of this
  // function's own, and returns it or a new one, never `view` itself, so `refundable` is set in place.
  const next = foldCaseEvent(
    { ...view, revision, updatedAt, sequence: view.sequence + 1 },
    visible,
    audience === 'staff',
  );
  next.refundable = refundableOf(next);
  return next;
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

/** A view as one viewer gets it: with what is expected next of them, or of whom they wait for. */
export interface ViewerDispute extends DisputeView {
  /** The viewer's own next action if they have one, else the first one they wait for. */
  nextAction: NextActionView | null;
  /** Everything expected of anyone now, the viewer's own first. */
  nextActions: NextActionView[];
}

/**
 * `view` for `viewer`, who must be of the audience it was folded for: staff share a view but not
 * their next action (only the mediator holding the case decides it, and only the staff's view
 * says who that is).
 */
export function forViewer(view: DisputeView, viewer: Actor, policy: DisputePolicy): ViewerDispute {
  const nextActions = nextActionsInView(view, viewer, policy);
  return { ...view, nextAction: nextActions[0] ?? null, nextActions };
}

/**
 * What `viewer` is expected to do next, by when, from the view alone; when it is someone else's
 * turn, what that one must do ("waiting for the seller until …"). Null only once nothing is
 * expected of anyone.
 */
export function nextActionInView(
  view: DisputeView,
  viewer: Actor,
  policy: DisputePolicy,
): NextActionView | null {
  return nextActionsInView(view, viewer, policy)[0] ?? null;
}

/** Everything expected of anyone, `viewer`'s own first (`viewerActionsOf`), from the view alone. */
export function nextActionsInView(
  view: DisputeView,
  viewer: Actor,
  policy: DisputePolicy,
): NextActionView[] {
  // The decision under appeal names its decider in the staff's view (others never act on it).
  const decidedBy = view.status === 'IN_APPEAL' ? (view.decision as DecisionView).by.id : null;
  return viewerActionsOf({ ...view, decidedBy }, viewer, policy);
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
    sequence: 1,
    proposals: openingProposals(d),
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
