import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { EscalateDispute } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Buyer or seller: take the negotiation to a mediator. */
export class EscalateDisputeCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<EscalateDispute>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(EscalateDisputeCommand)
export class EscalateDisputeHandler implements ICommandHandler<EscalateDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: EscalateDisputeCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): EscalateDispute => ({
      type: 'EscalateDispute',
      data: { ...input },
      metadata,
    }));
  }
}
