import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { PlaceOrder } from '../../domain';
import { DisputeStreams, Issued, OrderOutcome } from '../dispute-streams';

/** Platform: the marketplace records an order (its id is the marketplace's). */
export class PlaceOrderCommand extends Command<OrderOutcome> {
  constructor(
    readonly input: PlaceOrder['data'],
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ input, issued }: PlaceOrderCommand): Promise<OrderOutcome> {
    return this.streams.order(input.orderId, issued, (metadata): PlaceOrder => ({
      type: 'PlaceOrder',
      data: input,
      metadata,
    }));
  }
}
