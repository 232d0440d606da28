import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ConfirmDelivery } from '../../domain';
import { DisputeStreams, Issued, OrderOutcome } from '../dispute-streams';

/** Platform: the buyer confirmed delivery (the protection period now runs from here). */
export class ConfirmDeliveryCommand extends Command<OrderOutcome> {
  constructor(
    readonly orderId: string,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ConfirmDeliveryCommand)
export class ConfirmDeliveryHandler implements ICommandHandler<ConfirmDeliveryCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ orderId, issued }: ConfirmDeliveryCommand): Promise<OrderOutcome> {
    return this.streams.order(orderId, issued, (metadata): ConfirmDelivery => ({
      type: 'ConfirmDelivery',
      data: {},
      metadata,
    }));
  }
}
