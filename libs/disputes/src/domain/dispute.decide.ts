import type { DisputeCommand } from './dispute.commands';
import type { DisputeEvent, DisputeState } from './dispute.events';
import { DomainError, ensure } from './errors';
import type { Context } from './guards';
import { DEFAULT_POLICY, type DisputePolicy } from './policy';
import { instant, isBefore } from './time';
import { cancelDispute, escalateDispute, openDispute, respondToDispute } from './decide.opening';
import {
  acceptProposal,
  addEvidence,
  postMessage,
  submitProposal,
  withdrawProposal,
} from './decide.negotiation';
import {
  acceptDecision,
  addInternalNote,
  appealDecision,
  decideAppeal,
  decideDispute,
  requestEvidence,
  takeCase,
} from './decide.mediation';
import {
  confirmRefundPayout,
  confirmReturnReceived,
  disputeReturnCondition,
  markRefundSent,
  provideReturnAddress,
  recordReturnDelivery,
  shipReturn,
} from './decide.resolution';
import {
  confirmReplacementReceived,
  reportReplacementProblem,
  shipReplacement,
} from './decide.replacement';
import { fireDeadline } from './decide.timers';

/**
 * The dispute decider: the events a command produces from the current state, or a DomainError.
 * Pure: time, ids and the actor come in the command; order facts come in OpenDispute.
 *
 * Order of the checks: a valid `now`; the dispute exists (except OpenDispute); timers are
 * matched first (so they are no-ops on a closed dispute); anything else on a CLOSED or CANCELLED
 * dispute is refused; analysts never command; then each handler checks role, party, state and
 * input, in that order.
 */
export function decide(
  command: DisputeCommand,
  state: DisputeState,
  policy: DisputePolicy = DEFAULT_POLICY,
): DisputeEvent[] {
  const { actor } = command.metadata;
  const asked = instant(command.metadata.now);
  if (command.type === 'OpenDispute') return openDispute(command, state, actor, asked, policy);
  ensure(state.status !== 'NONE', 'DISPUTE_NOT_FOUND');
  const dispute = state as Exclude<DisputeState, { status: 'NONE' }>;
  // Time never goes backwards within a stream: a command dated before the last event (its clock
  // was read before a concurrent command landed, then it was decided again) happens at that
  // event's time, so events read in revision order are in time order.
  const now = isBefore(asked, dispute.lastEventAt) ? dispute.lastEventAt : asked;
  const ctx: Context = { dispute, actor, now, policy };
  if (command.type === 'FireDeadline') return fireDeadline(command, ctx);
  ensure(dispute.status !== 'CLOSED' && dispute.status !== 'CANCELLED', 'DISPUTE_CLOSED');
  ensure(actor.role !== 'analyst' && actor.role !== 'system', 'FORBIDDEN_FOR_ROLE');

  switch (command.type) {
    case 'RespondToDispute':
      return respondToDispute(command, ctx);
    case 'SubmitProposal':
      return submitProposal(command, ctx);
    case 'WithdrawProposal':
      return withdrawProposal(command, ctx);
    case 'AcceptProposal':
      return acceptProposal(command, ctx);
    case 'AddEvidence':
      return addEvidence(command, ctx);
    case 'PostMessage':
      return postMessage(command, ctx);
    case 'EscalateDispute':
      return escalateDispute(command, ctx);
    case 'CancelDispute':
      return cancelDispute(command, ctx);
    case 'TakeCase':
      return takeCase(command, ctx);
    case 'RequestEvidence':
      return requestEvidence(command, ctx);
    case 'AddInternalNote':
      return addInternalNote(command, ctx);
    case 'DecideDispute':
      return decideDispute(command, ctx);
    case 'AcceptDecision':
      return acceptDecision(command, ctx);
    case 'AppealDecision':
      return appealDecision(command, ctx);
    case 'DecideAppeal':
      return decideAppeal(command, ctx);
    case 'ProvideReturnAddress':
      return provideReturnAddress(command, ctx);
    case 'ShipReturn':
      return shipReturn(command, ctx);
    case 'RecordReturnDelivery':
      return recordReturnDelivery(command, ctx);
    case 'ConfirmReturnReceived':
      return confirmReturnReceived(command, ctx);
    case 'DisputeReturnCondition':
      return disputeReturnCondition(command, ctx);
    case 'ShipReplacement':
      return shipReplacement(command, ctx);
    case 'ConfirmReplacementReceived':
      return confirmReplacementReceived(command, ctx);
    case 'ReportReplacementProblem':
      return reportReplacementProblem(command, ctx);
    case 'MarkRefundSent':
      return markRefundSent(command, ctx);
    case 'ConfirmRefundPayout':
      return confirmRefundPayout(command, ctx);
    default: {
      const unknown: never = command;
      throw new DomainError('INVALID_COMMAND', `unknown command ${JSON.stringify(unknown)}`);
    }
  }
}
