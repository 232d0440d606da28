import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ConfirmReplacementReceived } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Buyer: the replacement arrived as agreed; the dispute closes. */
export class ConfirmReplacementReceivedCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ConfirmReplacementReceived>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ConfirmReplacementReceivedCommand)
export class ConfirmReplacementReceivedHandler implements ICommandHandler<ConfirmReplacementReceivedCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({
    disputeId,
    input,
    issued,
  }: ConfirmReplacementReceivedCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ConfirmReplacementReceived => ({
      type: 'ConfirmReplacementReceived',
      data: { ...input },
      metadata,
    }));
  }
}
