import { Args, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { CommandBus } from '@nestjs/cqrs';
import { TestClocks } from '@arbiter/deadlines';
import {
  type Actor,
  CurrentActor,
  CurrentRequestContext,
  RequestContext,
  Roles,
} from '@arbiter/auth';
import {
  DomainError,
  ORDER_STATUSES,
  type OrderState,
  type OrderStatus,
  STAFF_ROLES,
} from '@arbiter/disputes';
import {
  DisputeReader,
  fingerprinted,
  OrderCommandMessage,
  OrderOutcome,
} from '@arbiter/disputes/application';
import { EXTERNAL_ID, OrderActionInput, PlaceOrderInput, ShipOrderInput } from './dispute.inputs';
import { MoneyType } from './dispute.type';
import { issuedFrom } from './disputes.resolver';
import { asCommandFailure } from '../errors/error-mapping';
import { domainEnum } from '../graphql/domain-enum';

export const OrderStatusValue = domainEnum(
  ORDER_STATUSES,
  'OrderStatus',
  'Where an order is, as the platform recorded it.',
  {
    PLACED: 'Placed; not shipped yet.',
    SHIPPED: 'Shipped; the buyer has not confirmed delivery.',
    DELIVERED: 'The buyer confirmed delivery.',
  },
);

@ObjectType('Order', {
  description: 'The marketplace’s facts about an order, as the platform recorded them.',
})
export class OrderType {
  @Field(() => ID, { description: 'The marketplace’s order id.' })
  orderId!: string;

  @Field(() => OrderStatusValue, {
    description: 'Where the order is: placed, shipped or delivered.',
  })
  status!: OrderStatus;

  @Field(() => ID, { description: 'The buyer.' })
  buyerId!: string;

  @Field(() => ID, { description: 'The seller.' })
  sellerId!: string;

  @Field(() => MoneyType, { description: 'The order total.' })
  total!: MoneyType;

  @Field(() => MoneyType, { description: 'Refunds already paid out on it.' })
  refunded!: MoneyType;

  @Field(() => Date, { nullable: true, description: 'When it was placed.' })
  placedAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it shipped.' })
  shippedAt!: string | null;

  @Field(() => Date, { nullable: true, description: 'The promised delivery date.' })
  deliveryDeadline!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the buyer confirmed delivery.' })
  deliveryConfirmedAt!: string | null;

  @Field(() => [ID], { description: 'Disputes opened on it, oldest first.' })
  disputeIds!: string[];

  @Field(() => Int, { description: 'Stream revision of the order (0-based).' })
  revision!: number;
}

/** A placed order in the GraphQL shape; an order never placed reads as missing. */
function toOrderType(state: OrderState): OrderType {
  const { status } = state;
  if (status === 'NONE') throw new DomainError('ORDER_NOT_FOUND');
  const { orderId, buyerId, sellerId, total, refunded, placedAt, shippedAt, revision } = state;
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

/**
 * The platform role's order facts (only the platform's service account may record them), and
 * the order as its parties, staff and the platform read it.
 */
@Resolver(() => OrderType)
export class OrdersResolver {
  constructor(
    private readonly bus: CommandBus,
    private readonly testClocks: TestClocks,
    private readonly reader: DisputeReader,
  ) {}

  /** An order is placed under an existing clock only (TEST_CLOCK_NOT_FOUND, or TEST_CLOCKS_DISABLED). */
  private async requireTestClock(testClockId: string, context: RequestContext): Promise<void> {
    // Only the platform places orders: nobody else learns which clocks exist.
    if (context.actor?.role !== 'platform') throw new DomainError('FORBIDDEN_FOR_ROLE');
    await this.testClocks.timeOf(testClockId);
  }

  @Roles('buyer', 'seller', 'platform', ...STAFF_ROLES)
  @Query(() => OrderType, {
    description:
      'One order, for its buyer, its seller, staff and the platform. A buyer or seller gets FORBIDDEN alike for an order that is not theirs and one that does not exist; staff and the platform get ORDER_NOT_FOUND; other roles FORBIDDEN.',
  })
  async order(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID, description: 'The marketplace’s order id.' }) id: string,
  ): Promise<OrderType> {
    // Missing and not-theirs raise the same code, which parties receive as FORBIDDEN.
    // An id no order can have is not looked up: the store never sees a name it may refuse.
    const state = EXTERNAL_ID.test(id) ? await this.reader.order(actor, id) : null;
    if (!state) throw new DomainError('ORDER_NOT_FOUND');
    return toOrderType(state);
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
      deliveryDeadline: deliveryDeadline.toISOString(),
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
