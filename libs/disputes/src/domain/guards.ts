import type { Dispute, DisputeState } from './dispute.events';
import { DomainError, type DomainErrorCode, ensure } from './errors';
import { money, type Money, subtractMoney } from './money';
import type { DisputePolicy } from './policy';
import { type Instant, isBefore } from './time';
import {
  type Actor,
  type DisputeReason,
  EVIDENCE_KINDS,
  type DisputeStatus,
  type EvidenceContent,
  type EvidenceKind,
  isStaffRole,
  type PartyRole,
  type Role,
  type Ruling,
  type Solution,
  PARTY_ROLES,
  RETURN_SHIPPING_PAYERS,
  STAFF_ROLES,
} from './vocabulary';

/** What every dispute command handler works with: the dispute, who acts, when, under which policy. */
export interface Context {
  readonly dispute: Dispute;
  readonly actor: Actor;
  readonly now: Instant;
  readonly policy: DisputePolicy;
}

/** The fields every dispute event starts with. */
export const stamp = ({ dispute, actor, now }: Context) => ({
  disputeId: dispute.disputeId,
  at: now,
  by: actor,
});

export const isStaff = (actor: Actor): boolean => isStaffRole(actor.role);

export function requireRole(actor: Actor, roles: readonly Role[]): void {
  ensure(roles.includes(actor.role), 'FORBIDDEN_FOR_ROLE', `${actor.role} may not do this`);
}

/** The actor is the order's buyer or seller; returns which. */
export function requireParty(
  actor: Actor,
  dispute: Dispute,
  roles: readonly PartyRole[] = PARTY_ROLES,
): PartyRole {
  requireRole(actor, roles);
  const role = actor.role as PartyRole;
  const partyId = role === 'buyer' ? dispute.buyerId : dispute.sellerId;
  ensure(actor.id === partyId, 'NOT_A_PARTY', `${actor.id} is not this order's ${role}`);
  return role;
}

/** The actor is a mediator (or senior) who has taken the case: the one who steers it. */
export function requireAssignedMediator(actor: Actor, dispute: Dispute): void {
  requireRole(actor, STAFF_ROLES);
  ensure(dispute.mediatorId === actor.id, 'NOT_ASSIGNED_MEDIATOR', 'take the case first');
}

/** A case is before the mediators from escalation until the final decision. */
const BEFORE_MEDIATORS: readonly DisputeStatus[] = ['IN_MEDIATION', 'DECIDED', 'IN_APPEAL'];

/**
 * Staff who may speak on a case (messages to the parties, internal notes): the mediator holding
 * it, or a senior mediator while the case is before the mediators — seniors supervise without
 * taking the case away. Any other mediator only reads: parties must know who speaks for the
 * platform, and a case nobody took has no mediator yet. Steering (evidence requests, proposals,
 * decisions) stays with the holder: `requireAssignedMediator`.
 */
export function requireCaseStaff(actor: Actor, dispute: Dispute): void {
  requireRole(actor, STAFF_ROLES);
  if (dispute.mediatorId === actor.id) return;
  requireStatus(dispute, BEFORE_MEDIATORS, 'DISPUTE_NOT_IN_MEDIATION');
  ensure(actor.role === 'senior_mediator', 'NOT_ASSIGNED_MEDIATOR', 'take the case first');
}

/**
 * The deadline of the current phase has not passed. From its `dueAt` on, the phase belongs to
 * its timer (FireDeadline), whether or not the scheduler fired it yet: a late party never wins.
 */
export function requireBeforeDeadline({ dispute, now }: Context): void {
  const { deadline } = dispute;
  if (deadline === null) return;
  ensure(
    isBefore(now, deadline.dueAt),
    'DEADLINE_PASSED',
    `${deadline.kind} passed at ${deadline.dueAt}`,
  );
}

export function requireStatus(
  dispute: Dispute,
  statuses: readonly DisputeStatus[],
  code: DomainErrorCode,
): void {
  ensure(statuses.includes(dispute.status), code, `not allowed while ${dispute.status}`);
}

/** Before a resolution: the states in which the dispute is still argued. */
export const ARGUED: readonly DisputeStatus[] = [
  'AWAITING_SELLER',
  'NEGOTIATING',
  'IN_MEDIATION',
  'DECIDED',
  'IN_APPEAL',
];

const MAX_TEXT = 10_000;

export function requireText(
  value: string,
  what: string,
  code: DomainErrorCode = 'INVALID_COMMAND',
): string {
  ensure(
    typeof value === 'string' && value.trim().length > 0 && value.length <= MAX_TEXT,
    code,
    `${what} must be 1–${MAX_TEXT} characters`,
  );
  return value;
}

/** A new id: non-empty and never used before in this dispute. */
export function requireFreshId(dispute: Dispute, id: string): string {
  requireText(id, 'an id');
  ensure(!dispute.usedIds.includes(id), 'DUPLICATE_ID', `${id} is already used in this dispute`);
  return id;
}

export function refundable(dispute: Pick<Dispute, 'orderTotal' | 'refundedBefore'>): Money {
  return subtractMoney(dispute.orderTotal, dispute.refundedBefore);
}

/** A refund amount: positive, in the order's currency, within what is left to refund. */
export function requireRefund(amount: Money, left: Money): Money {
  const valid = money(amount.amountMinor, amount.currency);
  ensure(valid.amountMinor > 0, 'INVALID_MONEY', 'a refund is positive');
  ensure(
    valid.currency === left.currency,
    'CURRENCY_MISMATCH',
    'a refund is in the order currency',
  );
  ensure(valid.amountMinor <= left.amountMinor, 'REFUND_EXCEEDS_ORDER_TOTAL');
  return valid;
}

/** A solution or ruling that can be carried out on this order. */
export function requireRuling<R extends Ruling>(ruling: R, left: Money): R {
  switch (ruling.kind) {
    case 'PARTIAL_REFUND':
      return { ...ruling, amount: requireRefund(ruling.amount, left) };
    case 'RETURN_AND_REFUND':
      ensure(
        RETURN_SHIPPING_PAYERS.includes(ruling.returnShippingPaidBy),
        'INVALID_COMMAND',
        'who pays the return?',
      );
      return { ...ruling, amount: requireRefund(ruling.amount, left) };
    case 'FULL_REFUND':
    case 'REPLACEMENT':
    case 'RESEND':
    case 'SELLER_FAVOUR':
      return { kind: ruling.kind } as R;
    default: {
      const unknown: never = ruling;
      return ensureNever(unknown);
    }
  }
}

/**
 * A ruling that fits the dispute's reason: an item that never arrived cannot be returned, so an
 * ITEM_NOT_RECEIVED dispute is never settled by RETURN_AND_REFUND (claim, proposal or decision).
 */
export function requireFitsReason(ruling: Ruling, reason: DisputeReason): void {
  ensure(
    !(reason === 'ITEM_NOT_RECEIVED' && ruling.kind === 'RETURN_AND_REFUND'),
    'SOLUTION_NOT_FOR_REASON',
    'an item that was not received cannot be returned',
  );
}

/** A proposal's solution: a ruling other than SELLER_FAVOUR (which only a mediator decides). */
export function requireSolution(solution: Solution, left: Money): Solution {
  ensure(
    (solution.kind as string) !== 'SELLER_FAVOUR',
    'INVALID_COMMAND',
    'a proposal is a solution',
  );
  return requireRuling(solution, left);
}

function ensureNever(value: never): never {
  throw new DomainError('INVALID_COMMAND', `unknown variant ${JSON.stringify(value)}`);
}

const SHA256 = /^[0-9a-f]{64}$/;
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
const FILE_KINDS: readonly EvidenceKind[] = ['PHOTO', 'VIDEO', 'DOCUMENT'];

/** Text evidence is text; photos, videos and documents are files; tracking may be either. */
export function requireEvidence(kind: EvidenceKind, content: EvidenceContent): EvidenceContent {
  ensure(EVIDENCE_KINDS.includes(kind), 'INVALID_EVIDENCE', `unknown evidence kind ${kind}`);
  const { text, file } = content;
  ensure(
    (text === undefined) !== (file === undefined),
    'INVALID_EVIDENCE',
    'text or a file, not both',
  );
  if (file !== undefined) {
    ensure(kind !== 'TEXT', 'INVALID_EVIDENCE', 'TEXT evidence has no file');
    ensure(
      SHA256.test(file.sha256) &&
        MEDIA_TYPE.test(file.mediaType) &&
        Number.isSafeInteger(file.sizeBytes) &&
        file.sizeBytes > 0,
      'INVALID_EVIDENCE',
      'a file needs a sha256, a media type and a positive size',
    );
    return { file: { sha256: file.sha256, mediaType: file.mediaType, sizeBytes: file.sizeBytes } };
  }
  ensure(!FILE_KINDS.includes(kind), 'INVALID_EVIDENCE', `${kind} evidence is a file`);
  return { text: requireText(text as string, 'evidence text', 'INVALID_EVIDENCE') };
}

/**
 * Where a party may still add evidence: while the dispute is argued, during a return (the
 * buyer's proof of shipment, the seller's photos of the item that came back before disputing its
 * condition) and while a replacement is shipped (proof of what was sent). Not once the refund is all that is left (REFUND_PENDING), nor when closed.
 */
export const TAKES_EVIDENCE: readonly DisputeStatus[] = [
  ...ARGUED,
  'RETURN_REQUESTED',
  'RETURN_AWAITING_SHIPMENT',
  'RETURN_IN_TRANSIT',
  'REPLACEMENT_AWAITING_SHIPMENT',
  'REPLACEMENT_IN_TRANSIT',
];

/**
 * The actor may add evidence to this dispute now: its own buyer or seller, in a state that takes
 * evidence. Party first, so an outsider learns nothing of the dispute's state. The decider's rule,
 * also asked by the app before it looks an uploaded file up or stores one.
 */
export function requireTakesEvidenceFrom(actor: Actor, state: DisputeState): PartyRole {
  ensure(state.status !== 'NONE', 'DISPUTE_NOT_FOUND');
  const dispute = state as Dispute;
  const role = requireParty(actor, dispute);
  ensure(dispute.status !== 'CLOSED' && dispute.status !== 'CANCELLED', 'DISPUTE_CLOSED');
  requireStatus(dispute, TAKES_EVIDENCE, 'DISPUTE_ALREADY_RESOLVED');
  return role;
}

/** `requireTakesEvidenceFrom` as a yes or no. */
export function takesEvidenceFrom(actor: Actor, state: DisputeState): boolean {
  try {
    requireTakesEvidenceFrom(actor, state);
    return true;
  } catch {
    return false; // only DomainErrors: the guard does no IO
  }
}
