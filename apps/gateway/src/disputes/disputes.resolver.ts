import { Inject, UnauthorizedException } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { CurrentRequestContext, RequestContext } from '@arbiter/auth';
import {
  AddEvidenceCommand,
  commandIdFor,
  type CommandMessage,
  ConfirmRefundPayoutCommand,
  DisputeCommandMessage,
  DisputeOutcome,
  fingerprinted,
  Issued,
  OpenDisputeCommand,
  RespondToDisputeInput as RespondToDisputeAnswer,
  TableCommandType,
  TableInput,
} from '@arbiter/disputes/application';
import type { Command } from '@nestjs/cqrs';
import { GraphQLError } from 'graphql';
import {
  AddEvidenceInput,
  AddInternalNoteInput,
  AppealDecisionInput,
  CancelDisputeInput,
  ConfirmRefundPayoutInput,
  DecideInput,
  MarkRefundSentInput,
  DecisionActionInput,
  DisputeActionInput,
  DisputeReturnConditionInput,
  OpenDisputeInput,
  PostMessageInput,
  ProposalActionInput,
  ProvideReturnAddressInput,
  RequestEvidenceInput,
  RespondToDisputeInput,
  ShipReturnInput,
  ShipReplacementInput,
  ReportReplacementProblemInput,
  SubmitProposalInput,
} from './dispute.inputs';
import { toRuling, toSolution } from './solution.inputs';
import { ReadAfterWrite } from '../read/read-after-write';
import { DisputeType, toDisputeType } from './dispute.type';
import { asCommandFailure } from '../errors/error-mapping';

/**
 * The caller's command identity: the same idempotency key (the `idempotencyKey` argument, else
 * the `Idempotency-Key` header) from the same actor is the same command. Commands are sent
 * `fingerprinted`, so the key reused for another request is IDEMPOTENCY_KEY_REUSED.
 */
export function issuedFrom(context: RequestContext, input: { idempotencyKey?: string }): Issued {
  const { actor } = context;
  // The guard refused anonymous calls already; only a @Public() operation could get here without.
  if (!actor) throw new UnauthorizedException('Authentication required');
  const key = input.idempotencyKey ?? context.idempotencyKey;
  return { actor, commandId: commandIdFor(actor, key), correlationId: context.correlationId };
}

const INPUT = { description: 'What to do; see the input type.' };

/** What a response requires that GraphQL's type cannot (the input validation's rules). */
const missing = (field: string) =>
  new GraphQLError(`${field} is required with this response`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });

/** The seller's answer as the command's input: each response with the fields it needs. */
function toAnswer(input: RespondToDisputeInput): RespondToDisputeAnswer {
  const { response, comment, counterProposal, proposalId } = input;
  switch (response) {
    case 'ACCEPT':
      if (proposalId === undefined) throw missing('proposalId');
      return { response, comment, proposalId };
    case 'REJECT':
      return { response, comment };
    case 'COUNTER':
      if (counterProposal === undefined) throw missing('counterProposal');
      return { response, comment, solution: toSolution(counterProposal) };
  }
}

/**
 * Every dispute action of every role (docs/domain.md#roles). Each mutation sends one command and
 * answers with the dispute as the caller may see it after that command: the read model's view
 * once it shows the change (a bounded wait), else the command's own; the response's
 * `extensions.readYourWrites` says which (ReadAfterWrite). Authorization is the domain's: a
 * dispute the caller may not see, or that does not exist, is FORBIDDEN either way.
 */
@Resolver(() => DisputeType)
export class DisputesResolver {
  constructor(
    private readonly bus: CommandBus,
    @Inject(ReadAfterWrite) private readonly readAfterWrite: ReadAfterWrite,
  ) {}

  private async run(
    context: RequestContext,
    input: { idempotencyKey?: string },
    command: (issued: Issued) => Command<DisputeOutcome> & CommandMessage,
  ): Promise<DisputeType> {
    const outcome = await this.bus
      .execute(fingerprinted(command, issuedFrom(context, input)))
      .catch((error: unknown) => {
        throw asCommandFailure(error);
      });
    const { view } = await this.readAfterWrite.answer(context, outcome);
    return toDisputeType(view);
  }

  /** A table command (`DISPUTE_COMMANDS`): its type, its dispute and the client's input as its data. */
  private send<T extends TableCommandType>(
    context: RequestContext,
    input: { idempotencyKey?: string; disputeId: string },
    type: T,
    data: TableInput<T>,
  ): Promise<DisputeType> {
    return this.run(
      context,
      input,
      (issued) => new DisputeCommandMessage(type, input.disputeId, data, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Buyer: open a dispute on an order (one per order).',
  })
  openDispute(
    @Args('input', INPUT) input: OpenDisputeInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { orderId, reason, description, claim } = input;
    return this.run(
      context,
      input,
      (issued) =>
        new OpenDisputeCommand(orderId, { reason, description, claim: toSolution(claim) }, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'Seller: accept, reject or counter a new dispute.' })
  respondToDispute(
    @Args('input', INPUT) input: RespondToDisputeInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'RespondToDispute', toAnswer(input));
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer, seller or the assigned mediator: propose (replaces your current proposal).',
  })
  submitProposal(
    @Args('input', INPUT) input: SubmitProposalInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'SubmitProposal', { solution: toSolution(input.solution) });
  }

  @Mutation(() => DisputeType, { description: 'The proposer: withdraw your current proposal.' })
  withdrawProposal(
    @Args('input', INPUT) input: ProposalActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'WithdrawProposal', { proposalId: input.proposalId });
  }

  @Mutation(() => DisputeType, {
    description: 'A party: accept the other party’s or the mediator’s proposal.',
  })
  acceptProposal(
    @Args('input', INPUT) input: ProposalActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'AcceptProposal', { proposalId: input.proposalId });
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer or seller: add evidence (text, or a file you uploaded to POST /evidence for this dispute), while the dispute is argued, during a return or while a replacement is shipped.',
  })
  addEvidence(
    @Args('input', INPUT) input: AddEvidenceInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, kind, description, text, fileId, answersRequestId } = input;
    const fileSha256 = fileId?.replace(/^sha256:/, '');
    return this.run(
      context,
      input,
      (issued) =>
        new AddEvidenceCommand(
          disputeId,
          { kind, description, text, fileSha256, answersRequestId },
          issued,
        ),
    );
  }

  @Mutation(() => DisputeType, { description: 'Buyer or seller: post a message.' })
  postMessage(
    @Args('input', INPUT) input: PostMessageInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'PostMessage', { body: input.body });
  }

  @Mutation(() => DisputeType, {
    description: 'Buyer or seller: escalate the negotiation to a mediator.',
  })
  escalateDispute(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'EscalateDispute', {});
  }

  @Mutation(() => DisputeType, { description: 'Buyer: cancel the dispute before it is resolved.' })
  cancelDispute(
    @Args('input', INPUT) input: CancelDisputeInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'CancelDispute', { comment: input.comment });
  }

  @Mutation(() => DisputeType, {
    description: 'Mediator or senior mediator: take an escalated case (or an appeal).',
  })
  takeCase(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'TakeCase', {});
  }

  @Mutation(() => DisputeType, { description: 'The assigned mediator: ask a party for evidence.' })
  requestEvidence(
    @Args('input', INPUT) input: RequestEvidenceInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { from, prompt } = input;
    return this.send(context, input, 'RequestEvidence', { from, prompt });
  }

  @Mutation(() => DisputeType, {
    description: 'Staff: add an internal note (never shown to parties).',
  })
  addInternalNote(
    @Args('input', INPUT) input: AddInternalNoteInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'AddInternalNote', { note: input.note });
  }

  @Mutation(() => DisputeType, { description: 'The assigned mediator: decide the case.' })
  decideDispute(
    @Args('input', INPUT) input: DecideInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { ruling, rationale } = input;
    return this.send(context, input, 'DecideDispute', { ruling: toRuling(ruling), rationale });
  }

  @Mutation(() => DisputeType, { description: 'A party: accept the current decision.' })
  acceptDecision(
    @Args('input', INPUT) input: DecisionActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'AcceptDecision', { decisionId: input.decisionId });
  }

  @Mutation(() => DisputeType, {
    description: 'A party: appeal the current decision with new information.',
  })
  appealDecision(
    @Args('input', INPUT) input: AppealDecisionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { decisionId, newInformation } = input;
    return this.send(context, input, 'AppealDecision', { decisionId, newInformation });
  }

  @Mutation(() => DisputeType, {
    description: 'Senior mediator (who took the appeal): the final decision.',
  })
  decideAppeal(
    @Args('input', INPUT) input: DecideInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { ruling, rationale } = input;
    return this.send(context, input, 'DecideAppeal', { ruling: toRuling(ruling), rationale });
  }

  @Mutation(() => DisputeType, { description: 'Seller: give the return address.' })
  provideReturnAddress(
    @Args('input', INPUT) input: ProvideReturnAddressInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { name, lines, postalCode, country } = input.address;
    const address = { name, lines: [...lines], postalCode, country };
    return this.send(context, input, 'ProvideReturnAddress', { address });
  }

  @Mutation(() => DisputeType, { description: 'Buyer: the return shipped, with its tracking.' })
  shipReturn(
    @Args('input', INPUT) input: ShipReturnInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { carrier, trackingNumber } = input;
    return this.send(context, input, 'ShipReturn', { carrier, trackingNumber });
  }

  @Mutation(() => DisputeType, {
    description:
      'Platform: the carrier delivered the return (once; the seller’s receipt deadline starts).',
  })
  recordReturnDelivery(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'RecordReturnDelivery', {});
  }

  @Mutation(() => DisputeType, {
    description: 'Seller: the return arrived as agreed (releases the refund).',
  })
  confirmReturnReceived(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'ConfirmReturnReceived', {});
  }

  @Mutation(() => DisputeType, {
    description:
      'Seller: the replacement (or resend) of a REPLACEMENT / RESEND outcome shipped, with its tracking; before the ship deadline (else DEADLINE_PASSED), which otherwise refunds the buyer in full.',
  })
  shipReplacement(
    @Args('input', INPUT) input: ShipReplacementInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { carrier, trackingNumber } = input;
    return this.send(context, input, 'ShipReplacement', { carrier, trackingNumber });
  }

  @Mutation(() => DisputeType, {
    description: 'Buyer: the replacement arrived as agreed; the dispute closes.',
  })
  confirmReplacementReceived(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'ConfirmReplacementReceived', {});
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer: the replacement did not arrive or is not as agreed; the case goes back to mediation. Only before the complaint window ends (else DEADLINE_PASSED).',
  })
  reportReplacementProblem(
    @Args('input', INPUT) input: ReportReplacementProblemInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'ReportReplacementProblem', { statement: input.statement });
  }

  @Mutation(() => DisputeType, {
    description: 'Seller: the returned item, once delivered, is not as agreed (back to mediation).',
  })
  disputeReturnCondition(
    @Args('input', INPUT) input: DisputeReturnConditionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.send(context, input, 'DisputeReturnCondition', { statement: input.statement });
  }

  @Mutation(() => DisputeType, {
    description:
      'Seller: you sent the refund due yourself (once). The dispute stays REFUND_PENDING until the platform confirms the payout.',
  })
  markRefundSent(
    @Args('input', INPUT) input: MarkRefundSentInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { reference, amount } = input;
    const sent = { amountMinor: amount.amountMinor, currency: amount.currency };
    return this.send(context, input, 'MarkRefundSent', { reference, amount: sent });
  }

  @Mutation(() => DisputeType, {
    description: 'Platform: the refund due was paid out (closes the dispute).',
  })
  confirmRefundPayout(
    @Args('input', INPUT) input: ConfirmRefundPayoutInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, payoutReference, amount } = input;
    const paid = { amountMinor: amount.amountMinor, currency: amount.currency };
    return this.run(
      context,
      input,
      (issued) =>
        new ConfirmRefundPayoutCommand(disputeId, { payoutReference, amount: paid }, issued),
    );
  }
}
