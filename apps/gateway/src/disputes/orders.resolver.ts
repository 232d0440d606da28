import { Args, Field, ID, Int, Mutation, ObjectType, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { TestClocks } from '@arbiter/deadlines';
import { CurrentRequestContext, RequestContext } from '@arbiter/auth';
import { DomainError, type OrderState } from '@arbiter/disputes';
import { fingerprinted, OrderCommandMessage, OrderOutcome } from '@arbiter/disputes/application';
import { OrderActionInput, PlaceOrderInput, ShipOrderInput } from './dispute.inputs';
import { MoneyType } from './dispute.type';
import { issuedFrom } from './disputes.resolver';
import { asCommandFailure } from '../errors/error-mapping';

@ObjectType('Order', {
  description: 'The marketplace’s facts about an order, as the platform recorded them.',
})
export class OrderType {
  @Field(() => ID, { description: 'The marketplace’s order id.' })
  orderId!: string;

  @Field({ description: 'PLACED, SHIPPED or DELIVERED.' })
  status!: string;

  @Field(() => ID, { description: 'The buyer.' })
  buyerId!: string;

  @Field(() => ID, { description: 'The seller.' })
  sellerId!: string;

  @Field(() => MoneyType, { description: 'The order total.' })
  total!: MoneyType;

  @Field(() => MoneyType, { description: 'Refunds already paid out on it.' })
  refunded!: MoneyType;

  @Field(() => String, { nullable: true, description: 'When it was placed.' })
  placedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'When it shipped.' })
  shippedAt!: string | null;

  @Field(() => String, { nullable: true, description: 'The promised delivery date.' })
  deliveryDeadline!: string | null;

  @Field(() => String, { nullable: true, description: 'When the buyer confirmed delivery.' })
  deliveryConfirmedAt!: string | null;

  @Field(() => [ID], { description: 'Disputes opened on it, oldest first.' })
  disputeIds!: string[];

  @Field(() => Int, { description: 'Stream revision of the order (0-based).' })
  revision!: number;
}

function toOrderType(state: OrderState): OrderType {
  const { orderId, status, buyerId, sellerId, total, refunded, placedAt, shippedAt, revision } =
    state;
  const { deliveryDeadline, deliveryConfirmedAt, disputeIds } = state;
  return {
    orderId,
    status,
    buyerId,
    sellerId,
    total,
    refunded,
    placedAt,
    shippedAt,
    deliveryDeadline,
    deliveryConfirmedAt,
    disputeIds: [...disputeIds],
    revision,
  };
}

const INPUT = { description: 'What to record; see the input type.' };

/** The platform role's order facts (only the platform's service account may record them). */
@Resolver(() => OrderType)
export class OrdersResolver {
  constructor(
    private readonly bus: CommandBus,
    private readonly testClocks: TestClocks,
  ) {}

  /** An order is placed under an existing clock only (TEST_CLOCK_NOT_FOUND, or TEST_CLOCKS_DISABLED). */
  private async requireTestClock(testClockId: string, context: RequestContext): Promise<void> {
    // Only the platform places orders: nobody else learns which clocks exist.
    if (context.actor?.role !== 'platform') throw new DomainError('FORBIDDEN_FOR_ROLE');
    await this.testClocks.timeOf(testClockId);
  }

  private async run(command: Promise<OrderOutcome>): Promise<OrderType> {
    const outcome = await command.catch((error: unknown) => {
      throw asCommandFailure(error);
    });
    return toOrderType(outcome.state);
  }

  @Mutation(() => OrderType, {
    description: 'Platform: record an order placed on the marketplace.',
  })
  placeOrder(
    @Args('input', INPUT) input: PlaceOrderInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { orderId, buyerId, sellerId, total, items } = input;
    const money = (m: { amountMinor: number; currency: string }) => ({
      amountMinor: m.amountMinor,
      currency: m.currency,
    });
    const lines = items.map((i) => ({
      sku: i.sku,
      title: i.title,
      quantity: i.quantity,
      unitPrice: money(i.unitPrice),
    }));
    const data = { orderId, buyerId, sellerId, total: money(total), items: lines };
    const { testClockId } = input;
    // Only with a clock does the request name one: fingerprints of orders without stay as they were.
    const request = testClockId === undefined ? { input: data } : { input: data, testClockId };
    return this.run(
      (testClockId === undefined
        ? Promise.resolve()
        : this.requireTestClock(testClockId, context)
      ).then(() =>
        this.bus.execute(
          fingerprinted(
            (issued) => new OrderCommandMessage('PlaceOrder', request, issued),
            issuedFrom(context, input),
          ),
        ),
      ),
    );
  }

  @Mutation(() => OrderType, { description: 'Platform: record that the order shipped.' })
  shipOrder(
    @Args('input', INPUT) input: ShipOrderInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    const { orderId, carrier, trackingNumber, deliveryDeadline } = input;
    const data = {
      carrier,
      trackingNumber,
      deliveryDeadline: new Date(deliveryDeadline).toISOString(),
    };
    return this.run(
      this.bus.execute(
        fingerprinted(
          (issued) => new OrderCommandMessage('ShipOrder', { orderId, input: data }, issued),
          issuedFrom(context, input),
        ),
      ),
    );
  }

  @Mutation(() => OrderType, { description: 'Platform: record that the buyer confirmed delivery.' })
  confirmDelivery(
    @Args('input', INPUT) input: OrderActionInput,
    @CurrentRequestContext() context: RequestContext,
  ) {
    return this.run(
      this.bus.execute(
        fingerprinted(
          (issued) =>
            new OrderCommandMessage('ConfirmDelivery', { orderId: input.orderId }, issued),
          issuedFrom(context, input),
        ),
      ),
    );
  }
}
