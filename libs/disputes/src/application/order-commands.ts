import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { PlaceOrder, ShipOrder } from '../domain';
import { DisputeStreams, Issued, OrderOutcome } from './dispute-streams';

/**
 * The marketplace's order facts, written to the order's stream by the order decider. Explicit
 * rather than in the dispute table: another stream, keyed by the order, and placing names its
 * order in its data.
 */

/** Platform: the marketplace records an order (its id is the marketplace's). */
export class PlaceOrderCommand extends Command<OrderOutcome> {
  readonly type = 'PlaceOrder';
  constructor(
    readonly input: PlaceOrder['data'],
    readonly issued: Issued,
  ) {
    super();
  }
}

/** Platform: the order shipped, with its carrier, tracking number and promised delivery date. */
export class ShipOrderCommand extends Command<OrderOutcome> {
  readonly type = 'ShipOrder';
  constructor(
    readonly orderId: string,
    readonly input: ShipOrder['data'],
    readonly issued: Issued,
  ) {
    super();
  }
}

/** Platform: the buyer confirmed delivery (the protection period now runs from here). */
export class ConfirmDeliveryCommand extends Command<OrderOutcome> {
  readonly type = 'ConfirmDelivery';
  constructor(
    readonly orderId: string,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(PlaceOrderCommand)
export class PlaceOrderHandler implements ICommandHandler<PlaceOrderCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ type, input, issued }: PlaceOrderCommand): Promise<OrderOutcome> {
    return this.streams.order(input.orderId, issued, (metadata) => ({
      type,
      data: input,
      metadata,
    }));
  }
}

@CommandHandler(ShipOrderCommand)
export class ShipOrderHandler implements ICommandHandler<ShipOrderCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ type, orderId, input, issued }: ShipOrderCommand): Promise<OrderOutcome> {
    return this.streams.order(orderId, issued, (metadata) => ({ type, data: input, metadata }));
  }
}

@CommandHandler(ConfirmDeliveryCommand)
export class ConfirmDeliveryHandler implements ICommandHandler<ConfirmDeliveryCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ type, orderId, issued }: ConfirmDeliveryCommand): Promise<OrderOutcome> {
    return this.streams.order(orderId, issued, (metadata) => ({ type, data: {}, metadata }));
  }
}
