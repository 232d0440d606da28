import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { SubmitProposal } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** Buyer, seller or the assigned mediator: a (new) proposal that replaces the proposer's own. */
export class SubmitProposalCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<SubmitProposal, 'proposalId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(SubmitProposalCommand)
export class SubmitProposalHandler implements ICommandHandler<SubmitProposalCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: SubmitProposalCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): SubmitProposal => ({
      type: 'SubmitProposal',
      data: { ...input, proposalId: idFor(issued, 'proposal') },
      metadata,
    }));
  }
}
