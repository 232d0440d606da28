import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { RespondToDispute } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** Seller, while the dispute awaits them: accept the buyer's claim, reject it, or counter-propose (the counter-proposal's id is created here). */
export class RespondToDisputeCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<RespondToDispute, 'proposalId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(RespondToDisputeCommand)
export class RespondToDisputeHandler implements ICommandHandler<RespondToDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: RespondToDisputeCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): RespondToDispute => ({
      type: 'RespondToDispute',
      data: { ...input, proposalId: idFor(issued, 'proposal') } as RespondToDispute['data'],
      metadata,
    }));
  }
}
