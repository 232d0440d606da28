import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { CancelDispute } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Buyer, before a resolution: withdraw the dispute (it cannot be reopened by default). */
export class CancelDisputeCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<CancelDispute>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(CancelDisputeCommand)
export class CancelDisputeHandler implements ICommandHandler<CancelDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: CancelDisputeCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): CancelDispute => ({
      type: 'CancelDispute',
      data: { ...input },
      metadata,
    }));
  }
}
