import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { RecordReturnDelivery } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Platform: the carrier reports the return delivered. */
export class RecordReturnDeliveryCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<RecordReturnDelivery>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(RecordReturnDeliveryCommand)
export class RecordReturnDeliveryHandler implements ICommandHandler<RecordReturnDeliveryCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: RecordReturnDeliveryCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): RecordReturnDelivery => ({
      type: 'RecordReturnDelivery',
      data: { ...input },
      metadata,
    }));
  }
}
