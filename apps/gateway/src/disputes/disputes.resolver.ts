import { Inject } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { CurrentRequestContext, RequestContext } from '@arbiter/auth';
import { Actor } from '@arbiter/disputes';
import {
  AcceptDecisionCommand,
  AcceptProposalCommand,
  AddEvidenceCommand,
  AddInternalNoteCommand,
  AppealDecisionCommand,
  CancelDisputeCommand,
  commandIdFor,
  ConfirmRefundPayoutCommand,
  ConfirmReturnReceivedCommand,
  DecideAppealCommand,
  DecideDisputeCommand,
  DisputeOutcome,
  DisputeReturnConditionCommand,
  EscalateDisputeCommand,
  fingerprinted,
  Issued,
  MarkRefundSentCommand,
  OpenDisputeCommand,
  PostMessageCommand,
  ProvideReturnAddressCommand,
  RecordReturnDeliveryCommand,
  RequestEvidenceCommand,
  RespondToDisputeCommand,
  ShipReturnCommand,
  ShipReplacementCommand,
  ConfirmReplacementReceivedCommand,
  ReportReplacementProblemCommand,
  SubmitProposalCommand,
  TakeCaseCommand,
  WithdrawProposalCommand,
} from '@arbiter/disputes/application';
import type { Command } from '@nestjs/cqrs';
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
  const actor = context.actor as Actor;
  const key = input.idempotencyKey ?? context.idempotencyKey;
  return { actor, commandId: commandIdFor(actor, key), correlationId: context.correlationId };
}

const INPUT = { description: 'What to do; see the input type.' };

/**
 * Every dispute action of every role (DOMAIN.md "Actors"). Each mutation sends one command and
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
    command: (issued: Issued) => Command<DisputeOutcome>,
  ): Promise<DisputeType> {
    const outcome = await this.bus
      .execute(fingerprinted(command, issuedFrom(context, input)))
      .catch((error: unknown) => {
        throw asCommandFailure(error);
      });
    const { view } = await this.readAfterWrite.answer(context, outcome);
    return toDisputeType(view);
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
    const { disputeId, response, comment, counterProposal, proposalId } = input;
    const answer = counterProposal
      ? { response, comment, solution: toSolution(counterProposal) }
      : { response, comment, proposalId };
    return this.run(
      context,
      input,
      (issued) =>
        new RespondToDisputeCommand(disputeId, answer as RespondToDisputeCommand['input'], issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer, seller or the assigned mediator: propose (replaces your current proposal).',
  })
  submitProposal(
    @Args('input', INPUT) input: SubmitProposalInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new SubmitProposalCommand(
          input.disputeId,
          { solution: toSolution(input.solution) },
          issued,
        ),
    );
  }

  @Mutation(() => DisputeType, { description: 'The proposer: withdraw your current proposal.' })
  withdrawProposal(
    @Args('input', INPUT) input: ProposalActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new WithdrawProposalCommand(input.disputeId, { proposalId: input.proposalId }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'A party: accept the other party’s or the mediator’s proposal.',
  })
  acceptProposal(
    @Args('input', INPUT) input: ProposalActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new AcceptProposalCommand(input.disputeId, { proposalId: input.proposalId }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer or seller: add evidence (text, or a file you uploaded to POST /evidence for this dispute), while the dispute is argued or during a return.',
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
    return this.run(
      context,
      input,
      (issued) => new PostMessageCommand(input.disputeId, { body: input.body }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Buyer or seller: escalate the negotiation to a mediator.',
  })
  escalateDispute(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new EscalateDisputeCommand(input.disputeId, {}, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'Buyer: cancel the dispute before it is resolved.' })
  cancelDispute(
    @Args('input', INPUT) input: CancelDisputeInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new CancelDisputeCommand(input.disputeId, { comment: input.comment }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Mediator or senior mediator: take an escalated case (or an appeal).',
  })
  takeCase(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(context, input, (issued) => new TakeCaseCommand(input.disputeId, {}, issued));
  }

  @Mutation(() => DisputeType, { description: 'The assigned mediator: ask a party for evidence.' })
  requestEvidence(
    @Args('input', INPUT) input: RequestEvidenceInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, from, prompt } = input;
    return this.run(
      context,
      input,
      (issued) => new RequestEvidenceCommand(disputeId, { from, prompt }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Staff: add an internal note (never shown to parties).',
  })
  addInternalNote(
    @Args('input', INPUT) input: AddInternalNoteInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new AddInternalNoteCommand(input.disputeId, { note: input.note }, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'The assigned mediator: decide the case.' })
  decideDispute(
    @Args('input', INPUT) input: DecideInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, ruling, rationale } = input;
    return this.run(
      context,
      input,
      (issued) =>
        new DecideDisputeCommand(disputeId, { ruling: toRuling(ruling), rationale }, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'A party: accept the current decision.' })
  acceptDecision(
    @Args('input', INPUT) input: DecisionActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new AcceptDecisionCommand(input.disputeId, { decisionId: input.decisionId }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'A party: appeal the current decision with new information.',
  })
  appealDecision(
    @Args('input', INPUT) input: AppealDecisionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, decisionId, newInformation } = input;
    return this.run(
      context,
      input,
      (issued) => new AppealDecisionCommand(disputeId, { decisionId, newInformation }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Senior mediator (who took the appeal): the final decision.',
  })
  decideAppeal(
    @Args('input', INPUT) input: DecideInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, ruling, rationale } = input;
    return this.run(
      context,
      input,
      (issued) =>
        new DecideAppealCommand(disputeId, { ruling: toRuling(ruling), rationale }, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'Seller: give the return address.' })
  provideReturnAddress(
    @Args('input', INPUT) input: ProvideReturnAddressInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { name, lines, postalCode, country } = input.address;
    const address = { name, lines: [...lines], postalCode, country };
    return this.run(
      context,
      input,
      (issued) => new ProvideReturnAddressCommand(input.disputeId, { address }, issued),
    );
  }

  @Mutation(() => DisputeType, { description: 'Buyer: the return shipped, with its tracking.' })
  shipReturn(
    @Args('input', INPUT) input: ShipReturnInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, carrier, trackingNumber } = input;
    return this.run(
      context,
      input,
      (issued) => new ShipReturnCommand(disputeId, { carrier, trackingNumber }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Platform: the carrier delivered the return (once; the seller’s receipt deadline starts).',
  })
  recordReturnDelivery(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new RecordReturnDeliveryCommand(input.disputeId, {}, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Seller: the return arrived as agreed (releases the refund).',
  })
  confirmReturnReceived(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new ConfirmReturnReceivedCommand(input.disputeId, {}, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Seller: the replacement (or resend) of a REPLACEMENT / RESEND outcome shipped, with its tracking; before the ship deadline (else DEADLINE_PASSED), which otherwise refunds the buyer in full.',
  })
  shipReplacement(
    @Args('input', INPUT) input: ShipReplacementInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, carrier, trackingNumber } = input;
    return this.run(
      context,
      input,
      (issued) => new ShipReplacementCommand(disputeId, { carrier, trackingNumber }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Buyer: the replacement arrived as agreed; the dispute closes.',
  })
  confirmReplacementReceived(
    @Args('input', INPUT) input: DisputeActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) => new ConfirmReplacementReceivedCommand(input.disputeId, {}, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Buyer: the replacement did not arrive or is not as agreed; the case goes back to mediation. Only before the complaint window ends (else DEADLINE_PASSED).',
  })
  reportReplacementProblem(
    @Args('input', INPUT) input: ReportReplacementProblemInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new ReportReplacementProblemCommand(
          input.disputeId,
          { statement: input.statement },
          issued,
        ),
    );
  }

  @Mutation(() => DisputeType, {
    description: 'Seller: the returned item, once delivered, is not as agreed (back to mediation).',
  })
  disputeReturnCondition(
    @Args('input', INPUT) input: DisputeReturnConditionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      context,
      input,
      (issued) =>
        new DisputeReturnConditionCommand(input.disputeId, { statement: input.statement }, issued),
    );
  }

  @Mutation(() => DisputeType, {
    description:
      'Seller: you sent the refund due yourself (once). The dispute stays REFUND_PENDING until the platform confirms the payout.',
  })
  markRefundSent(
    @Args('input', INPUT) input: MarkRefundSentInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { disputeId, reference, amount } = input;
    const sent = { amountMinor: amount.amountMinor, currency: amount.currency };
    return this.run(
      context,
      input,
      (issued) => new MarkRefundSentCommand(disputeId, { reference, amount: sent }, issued),
    );
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
