import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { AcceptProposal } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** A party accepts the other party's or the mediator's current proposal. */
export class AcceptProposalCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<AcceptProposal>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(AcceptProposalCommand)
export class AcceptProposalHandler implements ICommandHandler<AcceptProposalCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: AcceptProposalCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): AcceptProposal => ({
      type: 'AcceptProposal',
      data: { ...input },
      metadata,
    }));
  }
}
