import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ShipReturn } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Buyer: the return is on its way (carrier and tracking number). */
export class ShipReturnCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ShipReturn>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ShipReturnCommand)
export class ShipReturnHandler implements ICommandHandler<ShipReturnCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: ShipReturnCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ShipReturn => ({
      type: 'ShipReturn',
      data: { ...input },
      metadata,
    }));
  }
}
