import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ShipOrder } from '../../domain';
import { DisputeStreams, Issued, OrderOutcome } from '../dispute-streams';

/** Platform: the order shipped, with its carrier, tracking number and promised delivery date. */
export class ShipOrderCommand extends Command<OrderOutcome> {
  constructor(
    readonly orderId: string,
    readonly input: ShipOrder['data'],
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ShipOrderCommand)
export class ShipOrderHandler implements ICommandHandler<ShipOrderCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ orderId, input, issued }: ShipOrderCommand): Promise<OrderOutcome> {
    return this.streams.order(orderId, issued, (metadata): ShipOrder => ({
      type: 'ShipOrder',
      data: input,
      metadata,
    }));
  }
}
