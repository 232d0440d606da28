import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { WithdrawProposal } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** The proposer takes back their current proposal. */
export class WithdrawProposalCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<WithdrawProposal>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(WithdrawProposalCommand)
export class WithdrawProposalHandler implements ICommandHandler<WithdrawProposalCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: WithdrawProposalCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): WithdrawProposal => ({
      type: 'WithdrawProposal',
      data: { ...input },
      metadata,
    }));
  }
}
