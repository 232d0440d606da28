import type {
  AcceptDecision,
  AddInternalNote,
  AppealDecision,
  DecideAppeal,
  DecideDispute,
  RequestEvidence,
  TakeCase,
} from './dispute.commands';
import type { Decision, DisputeEvent } from './dispute.events';
import { ensure } from './errors';
import {
  type Context,
  refundable,
  requireAssignedMediator,
  requireBeforeDeadline,
  requireCaseStaff,
  requireFitsReason,
  requireFreshId,
  requireParty,
  requireRole,
  requireRuling,
  requireStatus,
  requireText,
  stamp,
} from './guards';
import { addDays, isBefore } from './time';
import { type Ruling, STAFF_ROLES } from './vocabulary';
import { resolutionEvents } from './decide.resolution';

/**
 * The mediator's and senior mediator's actions, and the parties' answer to a decision
 * (accept or appeal). A senior mediator may do everything a mediator may, take over a case
 * someone else holds, speak on any case in mediation (requireCaseStaff), and alone decides
 * appeals. Only the holder steers a case: a senior who wants to steer takes it over first.
 */

export function takeCase(_command: TakeCase, ctx: Context): DisputeEvent[] {
  const { actor, dispute } = ctx;
  requireRole(actor, STAFF_ROLES);
  requireStatus(dispute, ['IN_MEDIATION', 'IN_APPEAL'], 'DISPUTE_NOT_IN_MEDIATION');
  const senior = actor.role === 'senior_mediator';
  if (dispute.status === 'IN_APPEAL') requireAppealReviewer(ctx);
  if (dispute.mediatorId === actor.id) return [];
  ensure(
    dispute.mediatorId === null || senior,
    'CASE_ALREADY_ASSIGNED',
    `held by ${dispute.mediatorId}`,
  );
  return [{ type: 'CaseTaken', data: { ...stamp(ctx), previousMediatorId: dispute.mediatorId } }];
}

export function requestEvidence(command: RequestEvidence, ctx: Context): DisputeEvent[] {
  const { actor, dispute, now, policy } = ctx;
  requireRole(actor, STAFF_ROLES);
  requireStatus(dispute, ['IN_MEDIATION', 'IN_APPEAL'], 'DISPUTE_NOT_IN_MEDIATION');
  requireAssignedMediator(actor, dispute);
  const { from } = command.data;
  ensure(
    from === 'buyer' || from === 'seller',
    'INVALID_COMMAND',
    'evidence is requested from a party',
  );
  const requestId = requireFreshId(dispute, command.data.requestId);
  const prompt = requireText(command.data.prompt, 'the request');
  return [
    {
      type: 'EvidenceRequested',
      data: {
        ...stamp(ctx),
        requestId,
        from,
        partyId: from === 'buyer' ? dispute.buyerId : dispute.sellerId,
        prompt,
        dueAt: addDays(now, policy.evidenceRequestDays),
      },
    },
  ];
}

/** The staff on the case annotate it (requireCaseStaff); parties never see notes (visibility.ts). */
export function addInternalNote(command: AddInternalNote, ctx: Context): DisputeEvent[] {
  requireCaseStaff(ctx.actor, ctx.dispute);
  const noteId = requireFreshId(ctx.dispute, command.data.noteId);
  const note = requireText(command.data.note, 'the note');
  return [{ type: 'InternalNoteAdded', data: { ...stamp(ctx), noteId, note } }];
}

/**
 * A decision is final when no appeal is left (`maxAppeals`); otherwise it opens the appeal
 * window. While an evidence request is open the mediator waits for it (or for it to lapse).
 */
function decisionEvents(
  ctx: Context,
  stage: Decision['stage'],
  data: { decisionId: string; ruling: Ruling; rationale: string },
): DisputeEvent[] {
  const { dispute, now, policy } = ctx;
  ensure(
    dispute.evidenceRequests.every((r) => r.status !== 'OPEN'),
    'EVIDENCE_REQUEST_PENDING',
    'an evidence request is still open',
  );
  const decisionId = requireFreshId(dispute, data.decisionId);
  const ruling = requireRuling(data.ruling, refundable(dispute));
  requireFitsReason(ruling, dispute.reason);
  const rationale = requireText(data.rationale, 'the rationale');
  const final = dispute.appealsUsed >= policy.maxAppeals;
  const decided: DisputeEvent = {
    type: 'DisputeDecided',
    data: {
      ...stamp(ctx),
      decisionId,
      stage,
      ruling,
      rationale,
      final,
      appealDueAt: final ? null : addDays(now, policy.appealWindowDays),
    },
  };
  if (!final) return [decided];
  return [decided, ...resolutionEvents(ctx, ruling, stage === 'APPEAL' ? 'APPEAL' : 'MEDIATION')];
}

export function decideDispute(command: DecideDispute, ctx: Context): DisputeEvent[] {
  requireRole(ctx.actor, STAFF_ROLES);
  requireStatus(ctx.dispute, ['IN_MEDIATION'], 'DISPUTE_NOT_IN_MEDIATION');
  requireAssignedMediator(ctx.actor, ctx.dispute);
  return decisionEvents(ctx, 'MEDIATION', command.data);
}

/**
 * An appeal is a review by a higher level (seed 004): a senior mediator other than the one who
 * decided the decision under appeal (`decidedBy`, kept while IN_APPEAL).
 */
function requireAppealReviewer(ctx: Context): void {
  requireRole(ctx.actor, ['senior_mediator']);
  ensure(
    ctx.dispute.decidedBy !== ctx.actor.id,
    'APPEAL_NEEDS_ANOTHER_SENIOR',
    'you decided the decision under appeal',
  );
}

export function decideAppeal(command: DecideAppeal, ctx: Context): DisputeEvent[] {
  requireRole(ctx.actor, ['senior_mediator']);
  requireStatus(ctx.dispute, ['IN_APPEAL'], 'DISPUTE_NOT_IN_APPEAL');
  requireAssignedMediator(ctx.actor, ctx.dispute);
  requireAppealReviewer(ctx);
  return decisionEvents(ctx, 'APPEAL', command.data);
}

function requireCurrentDecision(ctx: Context, decisionId: string): Decision {
  requireStatus(ctx.dispute, ['DECIDED'], 'DISPUTE_NOT_DECIDED');
  const decision = ctx.dispute.decision as Decision;
  ensure(decision.decisionId === decisionId, 'DECISION_NOT_FOUND', 'not the current decision');
  return decision;
}

/** Both parties accepting ends the appeal window early. */
export function acceptDecision(command: AcceptDecision, ctx: Context): DisputeEvent[] {
  const role = requireParty(ctx.actor, ctx.dispute);
  const decision = requireCurrentDecision(ctx, command.data.decisionId);
  requireBeforeDeadline(ctx);
  ensure(!decision.acceptedBy.includes(role), 'DECISION_ALREADY_ACCEPTED');
  const accepted: DisputeEvent = {
    type: 'DecisionAccepted',
    data: { ...stamp(ctx), decisionId: decision.decisionId, acceptedBy: role },
  };
  if (decision.acceptedBy.length === 0) return [accepted];
  const reachedBy = decision.stage === 'APPEAL' ? 'APPEAL' : 'MEDIATION';
  return [accepted, ...resolutionEvents(ctx, decision.ruling, reachedBy)];
}

export function appealDecision(command: AppealDecision, ctx: Context): DisputeEvent[] {
  const { dispute, now, policy } = ctx;
  const role = requireParty(ctx.actor, dispute);
  const decision = requireCurrentDecision(ctx, command.data.decisionId);
  ensure(
    !decision.acceptedBy.includes(role),
    'DECISION_ALREADY_ACCEPTED',
    'you accepted this decision',
  );
  ensure(isBefore(now, decision.appealDueAt as string), 'APPEAL_WINDOW_CLOSED');
  ensure(dispute.appealsUsed < policy.maxAppeals, 'APPEAL_LIMIT_REACHED');
  const newInformation = requireText(
    command.data.newInformation,
    'new information',
    'NEW_INFORMATION_REQUIRED',
  );
  const appealId = requireFreshId(dispute, command.data.appealId);
  return [
    {
      type: 'DecisionAppealed',
      data: {
        ...stamp(ctx),
        appealId,
        decisionId: decision.decisionId,
        appellant: role,
        newInformation,
        appealNumber: dispute.appealsUsed + 1,
      },
    },
  ];
}
