import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ProvideReturnAddress } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Seller: where the buyer sends the item back. */
export class ProvideReturnAddressCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ProvideReturnAddress>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ProvideReturnAddressCommand)
export class ProvideReturnAddressHandler implements ICommandHandler<ProvideReturnAddressCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: ProvideReturnAddressCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ProvideReturnAddress => ({
      type: 'ProvideReturnAddress',
      data: { ...input },
      metadata,
    }));
  }
}
