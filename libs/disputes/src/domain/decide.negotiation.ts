import type {
  AcceptProposal,
  AddEvidence,
  PostMessage,
  SubmitProposal,
  WithdrawProposal,
} from './dispute.commands';
import type { DisputeEvent, Proposal } from './dispute.events';
import { ensure } from './errors';
import {
  type Context,
  isStaff,
  refundable,
  requireAssignedMediator,
  requireBeforeDeadline,
  requireCaseStaff,
  requireEvidence,
  requireFitsReason,
  requireFreshId,
  requireParty,
  requireSolution,
  requireStatus,
  requireTakesEvidenceFrom,
  requireText,
  stamp,
} from './guards';
import { resolutionEvents } from './decide.resolution';
import { addDays, isBefore } from './time';
import type { DisputeStatus, EvidenceContent, PartyRole, Proposer } from './vocabulary';

/**
 * Proposals, evidence and messages: what the parties (and the mediator's platform solution) do
 * while the dispute is argued.
 */

const SELLER_PROPOSES: readonly DisputeStatus[] = ['NEGOTIATING', 'IN_MEDIATION'];
const BUYER_PROPOSES: readonly DisputeStatus[] = ['AWAITING_SELLER', ...SELLER_PROPOSES];

/** Who is proposing: a party of this order, or the mediator who took the case. */
function requireProposer(ctx: Context): Proposer {
  const { actor, dispute } = ctx;
  if (isStaff(actor)) {
    requireStatus(dispute, ['IN_MEDIATION'], 'DISPUTE_NOT_IN_MEDIATION');
    requireAssignedMediator(actor, dispute);
    return 'mediator';
  }
  const role = requireParty(actor, dispute);
  // The buyer may modify the opening claim while the seller has not answered yet.
  requireStatus(
    dispute,
    role === 'buyer' ? BUYER_PROPOSES : SELLER_PROPOSES,
    'DISPUTE_NOT_IN_NEGOTIATION',
  );
  return role;
}

export function submitProposal(command: SubmitProposal, ctx: Context): DisputeEvent[] {
  const proposer = requireProposer(ctx);
  requireBeforeDeadline(ctx);
  const proposalId = requireFreshId(ctx.dispute, command.data.proposalId);
  const solution = requireSolution(command.data.solution, refundable(ctx.dispute));
  requireFitsReason(solution, ctx.dispute.reason);
  const replaces = ctx.dispute.proposals[proposer]?.proposalId ?? null;
  // A claim replaced before the seller answered gets the seller's full response time again, so
  // silence never accepts a claim the seller had no time to read.
  const restartsResponse = ctx.dispute.status === 'AWAITING_SELLER';
  const sellerResponseDueAt = addDays(ctx.now, ctx.policy.sellerResponseDays);
  return [
    {
      type: 'ProposalSubmitted',
      data: {
        ...stamp(ctx),
        proposalId,
        proposer,
        solution,
        replaces,
        ...(restartsResponse ? { sellerResponseDueAt } : {}),
      },
    },
  ];
}

export function withdrawProposal(command: WithdrawProposal, ctx: Context): DisputeEvent[] {
  const proposer = requireProposer(ctx);
  requireStatus(ctx.dispute, ['NEGOTIATING', 'IN_MEDIATION'], 'DISPUTE_NOT_IN_NEGOTIATION');
  requireBeforeDeadline(ctx);
  const current = ctx.dispute.proposals[proposer];
  ensure(
    current?.proposalId === command.data.proposalId,
    'PROPOSAL_NOT_FOUND',
    'not your current proposal',
  );
  return [
    {
      type: 'ProposalWithdrawn',
      data: { ...stamp(ctx), proposalId: command.data.proposalId, proposer },
    },
  ];
}

/**
 * Accepting the other party's proposal settles the dispute by AGREEMENT. The mediator's
 * proposal needs both parties; the second acceptance settles it by MEDIATION.
 */
export function acceptProposal(command: AcceptProposal, ctx: Context): DisputeEvent[] {
  const { dispute } = ctx;
  const role = requireParty(ctx.actor, dispute);
  requireStatus(dispute, ['NEGOTIATING', 'IN_MEDIATION'], 'DISPUTE_NOT_IN_NEGOTIATION');
  requireBeforeDeadline(ctx);
  const proposal = Object.values(dispute.proposals).find(
    (p): p is Proposal => p !== null && p.proposalId === command.data.proposalId,
  );
  ensure(proposal !== undefined, 'PROPOSAL_NOT_FOUND', 'no current proposal has this id');
  const { proposer, proposalId, solution, acceptedBy } = proposal as Proposal;
  ensure(proposer !== role, 'CANNOT_ACCEPT_OWN_PROPOSAL');
  ensure(!acceptedBy.includes(role), 'PROPOSAL_ALREADY_ACCEPTED');
  const accepted: DisputeEvent = {
    type: 'ProposalAccepted',
    data: { ...stamp(ctx), proposalId, proposer, acceptedBy: role, onBehalf: false },
  };
  if (proposer !== 'mediator') return [accepted, ...resolutionEvents(ctx, solution, 'AGREEMENT')];
  if (acceptedBy.length === 0) return [accepted];
  return [accepted, ...resolutionEvents(ctx, solution, 'MEDIATION')];
}

export function addEvidence(command: AddEvidence, ctx: Context): DisputeEvent[] {
  const { dispute } = ctx;
  const role: PartyRole = requireTakesEvidenceFrom(ctx.actor, dispute);
  const { kind, description } = command.data;
  const evidenceId = requireFreshId(dispute, command.data.evidenceId);
  const named = command.data.content;
  ensure(
    named.file !== null,
    'EVIDENCE_FILE_NOT_FOUND',
    'you uploaded no file with this id to this dispute',
  );
  const content = requireEvidence(kind, named as EvidenceContent);
  ensure(typeof description === 'string', 'INVALID_COMMAND', 'description must be a string');
  const answersRequestId = command.data.answersRequestId ?? null;
  if (answersRequestId !== null) {
    const request = dispute.evidenceRequests.find((r) => r.requestId === answersRequestId);
    ensure(
      request?.status === 'OPEN' && request.from === role,
      'EVIDENCE_REQUEST_NOT_OPEN',
      'no open evidence request to you has this id',
    );
    // From its dueAt the request has lapsed, whether or not its timer fired: it can no longer
    // be answered (evidence that answers nothing is still welcome).
    ensure(
      isBefore(ctx.now, (request as { dueAt: string }).dueAt),
      'DEADLINE_PASSED',
      'the evidence request lapsed',
    );
  }
  return [
    {
      type: 'EvidenceAdded',
      data: {
        ...stamp(ctx),
        evidenceId,
        submittedBy: role,
        kind,
        content,
        description,
        answersRequestId,
      },
    },
  ];
}

/**
 * The parties and the staff on the case (its holder, or a senior while it is in mediation) talk
 * in the dispute's thread; internal notes are a separate command.
 */
export function postMessage(command: PostMessage, ctx: Context): DisputeEvent[] {
  const { actor, dispute } = ctx;
  if (isStaff(actor)) requireCaseStaff(actor, dispute);
  else requireParty(actor, dispute);
  const messageId = requireFreshId(dispute, command.data.messageId);
  const body = requireText(command.data.body, 'the message');
  return [{ type: 'MessagePosted', data: { ...stamp(ctx), messageId, body } }];
}
