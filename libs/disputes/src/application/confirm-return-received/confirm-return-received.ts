import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ConfirmReturnReceived } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Seller: the returned item arrived as agreed; the refund is released. */
export class ConfirmReturnReceivedCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ConfirmReturnReceived>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ConfirmReturnReceivedCommand)
export class ConfirmReturnReceivedHandler implements ICommandHandler<ConfirmReturnReceivedCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: ConfirmReturnReceivedCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ConfirmReturnReceived => ({
      type: 'ConfirmReturnReceived',
      data: { ...input },
      metadata,
    }));
  }
}
