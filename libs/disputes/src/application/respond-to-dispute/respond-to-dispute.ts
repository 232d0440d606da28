import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { RespondToDispute } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, Issued } from '../dispute-streams';

type Answer = RespondToDispute['data'];
/** ACCEPT names the claim the seller saw; a counter-proposal's id is created here. */
export type RespondToDisputeInput =
  | Extract<Answer, { response: 'ACCEPT' | 'REJECT' }>
  | Omit<Extract<Answer, { response: 'COUNTER' }>, 'proposalId'>;

/** Seller, while the dispute awaits them: accept the buyer's claim, reject it, or counter-propose (the counter-proposal's id is created here). */
export class RespondToDisputeCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: RespondToDisputeInput,
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
      data:
        input.response === 'COUNTER' ? { ...input, proposalId: idFor(issued, 'proposal') } : input,
      metadata,
    }));
  }
}
