import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ShipReplacement } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Seller: the replacement (or resend) of a REPLACEMENT / RESEND outcome shipped, with tracking. */
export class ShipReplacementCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ShipReplacement>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ShipReplacementCommand)
export class ShipReplacementHandler implements ICommandHandler<ShipReplacementCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: ShipReplacementCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ShipReplacement => ({
      type: 'ShipReplacement',
      data: { ...input },
      metadata,
    }));
  }
}
