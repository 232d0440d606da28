import { DomainError, ensure } from './errors';
import { addMoney, money, type Money, subtractMoney, zeroOf } from './money';
import { type Instant, instant, isBefore } from './time';
import { type Actor, type CommandMetadata, isStaffRole } from './vocabulary';

/**
 * The marketplace's facts about an order, on stream `order-<orderId>`. The platform records them;
 * the dispute decider reads them through `OrderFacts`, which the OpenDispute handler builds.
 * `OrderDisputeLinked` is the order-level reservation behind "one dispute per order": the
 * OpenDispute handler appends it with the order revision it loaded, so two concurrent openings
 * cannot both succeed.
 */

export interface OrderItem {
  readonly sku: string;
  readonly title: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

export const ORDER_EVENT_SCHEMA_VERSION = 1;

export type OrderPlaced = {
  type: 'OrderPlaced';
  data: {
    orderId: string;
    buyerId: string;
    sellerId: string;
    total: Money;
    items: readonly OrderItem[];
    placedAt: Instant;
  };
  metadata?: Record<string, unknown>;
};
export type OrderShipped = {
  type: 'OrderShipped';
  data: {
    orderId: string;
    carrier: string;
    trackingNumber: string;
    shippedAt: Instant;
    deliveryDeadline: Instant;
  };
  metadata?: Record<string, unknown>;
};
export type OrderDeliveryConfirmed = {
  type: 'OrderDeliveryConfirmed';
  data: { orderId: string; confirmedAt: Instant };
  metadata?: Record<string, unknown>;
};
export type OrderRefundPaidOut = {
  type: 'OrderRefundPaidOut';
  data: {
    orderId: string;
    refundId: string;
    disputeId: string | null;
    amount: Money;
    paidAt: Instant;
  };
  metadata?: Record<string, unknown>;
};
export type OrderDisputeLinked = {
  type: 'OrderDisputeLinked';
  data: { orderId: string; disputeId: string; linkedAt: Instant };
  metadata?: Record<string, unknown>;
};
export type OrderEvent =
  OrderPlaced | OrderShipped | OrderDeliveryConfirmed | OrderRefundPaidOut | OrderDisputeLinked;

/** The life of a recorded order; its state is NONE only before it is placed. */
export const ORDER_STATUSES = ['PLACED', 'SHIPPED', 'DELIVERED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderState {
  readonly status: 'NONE' | OrderStatus;
  /** Stream revision of the last applied event; -1 for no stream (use as expectedRevision). */
  readonly revision: number;
  readonly orderId: string;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly total: Money;
  readonly items: readonly OrderItem[];
  readonly placedAt: Instant | null;
  readonly shippedAt: Instant | null;
  readonly deliveryDeadline: Instant | null;
  readonly deliveryConfirmedAt: Instant | null;
  readonly refunded: Money;
  readonly refundIds: readonly string[];
  /** Every dispute ever opened on the order, oldest first. */
  readonly disputeIds: readonly string[];
}

/**
 * Whether `viewer` may read the order: its buyer, its seller, staff and the platform that
 * records it. Analysts work from pseudonymised feeds, never one order; an order never placed
 * is nobody's, so a caller cannot tell it from another's.
 */
export function canViewOrder(viewer: Actor, state: OrderState): boolean {
  if (state.status === 'NONE') return false;
  if (viewer.role === 'buyer') return viewer.id === state.buyerId;
  if (viewer.role === 'seller') return viewer.id === state.sellerId;
  return viewer.role === 'platform' || isStaffRole(viewer.role);
}

export const initialOrderState: OrderState = {
  status: 'NONE',
  revision: -1,
  orderId: '',
  buyerId: '',
  sellerId: '',
  total: { amountMinor: 0, currency: 'XXX' },
  items: [],
  placedAt: null,
  shippedAt: null,
  deliveryDeadline: null,
  deliveryConfirmedAt: null,
  refunded: { amountMinor: 0, currency: 'XXX' },
  refundIds: [],
  disputeIds: [],
};

export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  const next = { ...state, revision: state.revision + 1 };
  switch (event.type) {
    case 'OrderPlaced':
      return {
        ...next,
        status: 'PLACED',
        ...event.data,
        refunded: zeroOf(event.data.total.currency),
      };
    case 'OrderShipped':
      return {
        ...next,
        status: 'SHIPPED',
        shippedAt: event.data.shippedAt,
        deliveryDeadline: event.data.deliveryDeadline,
      };
    case 'OrderDeliveryConfirmed':
      return { ...next, status: 'DELIVERED', deliveryConfirmedAt: event.data.confirmedAt };
    case 'OrderRefundPaidOut':
      return {
        ...next,
        refunded: addMoney(state.refunded, event.data.amount),
        refundIds: [...state.refundIds, event.data.refundId],
      };
    case 'OrderDisputeLinked':
      return { ...next, disputeIds: [...state.disputeIds, event.data.disputeId] };
    default: {
      const unknown: never = event;
      throw new DomainError('INVALID_COMMAND', `unknown order event ${JSON.stringify(unknown)}`);
    }
  }
}

export type PlaceOrder = {
  type: 'PlaceOrder';
  data: {
    orderId: string;
    buyerId: string;
    sellerId: string;
    total: Money;
    items: readonly OrderItem[];
  };
  metadata: CommandMetadata;
};
export type ShipOrder = {
  type: 'ShipOrder';
  data: { carrier: string; trackingNumber: string; deliveryDeadline: Instant };
  metadata: CommandMetadata;
};
export type ConfirmDelivery = {
  type: 'ConfirmDelivery';
  data: Record<string, never>;
  metadata: CommandMetadata;
};
export type RecordRefundPayout = {
  type: 'RecordRefundPayout';
  data: { refundId: string; disputeId: string | null; amount: Money };
  metadata: CommandMetadata;
};
/** Issued by the OpenDispute handler on the buyer's behalf, after the dispute decider agreed. */
export type LinkDispute = {
  type: 'LinkDispute';
  data: { disputeId: string };
  metadata: CommandMetadata;
};
export type OrderCommand =
  PlaceOrder | ShipOrder | ConfirmDelivery | RecordRefundPayout | LinkDispute;

function requirePlaced(state: OrderState): void {
  ensure(state.status !== 'NONE', 'ORDER_NOT_FOUND');
}

export function decideOrder(command: OrderCommand, state: OrderState): OrderEvent[] {
  const { actor } = command.metadata;
  const now = instant(command.metadata.now);
  if (command.type === 'LinkDispute') {
    requirePlaced(state);
    ensure(actor.role === 'buyer', 'FORBIDDEN_FOR_ROLE');
    ensure(actor.id === state.buyerId, 'NOT_A_PARTY');
    ensure(!state.disputeIds.includes(command.data.disputeId), 'DUPLICATE_ID');
    return [
      {
        type: 'OrderDisputeLinked',
        data: { orderId: state.orderId, disputeId: command.data.disputeId, linkedAt: now },
      },
    ];
  }
  ensure(actor.role === 'platform', 'FORBIDDEN_FOR_ROLE', 'only the platform records order facts');
  switch (command.type) {
    case 'PlaceOrder': {
      ensure(state.status === 'NONE', 'ORDER_ALREADY_PLACED');
      const { orderId, buyerId, sellerId, items } = command.data;
      ensure(
        [orderId, buyerId, sellerId].every((id) => id.length > 0) && buyerId !== sellerId,
        'INVALID_COMMAND',
        'an order needs distinct buyer and seller ids',
      );
      const total = money(command.data.total.amountMinor, command.data.total.currency);
      ensure(total.amountMinor > 0, 'INVALID_MONEY', 'an order total is positive');
      return [
        { type: 'OrderPlaced', data: { orderId, buyerId, sellerId, total, items, placedAt: now } },
      ];
    }
    case 'ShipOrder': {
      requirePlaced(state);
      ensure(state.status === 'PLACED', 'ORDER_ALREADY_SHIPPED');
      const deliveryDeadline = instant(command.data.deliveryDeadline);
      ensure(
        !isBefore(deliveryDeadline, now),
        'INVALID_COMMAND',
        'delivery deadline before shipment',
      );
      return [
        {
          type: 'OrderShipped',
          data: {
            orderId: state.orderId,
            carrier: command.data.carrier,
            trackingNumber: command.data.trackingNumber,
            shippedAt: now,
            deliveryDeadline,
          },
        },
      ];
    }
    case 'ConfirmDelivery':
      requirePlaced(state);
      ensure(state.status !== 'PLACED', 'ORDER_NOT_SHIPPED');
      ensure(state.status !== 'DELIVERED', 'DELIVERY_ALREADY_CONFIRMED');
      return [
        { type: 'OrderDeliveryConfirmed', data: { orderId: state.orderId, confirmedAt: now } },
      ];
    case 'RecordRefundPayout': {
      requirePlaced(state);
      const { refundId, disputeId } = command.data;
      ensure(!state.refundIds.includes(refundId), 'DUPLICATE_ID');
      const amount = money(command.data.amount.amountMinor, command.data.amount.currency);
      ensure(amount.amountMinor > 0, 'INVALID_MONEY', 'a refund is positive');
      const left = subtractMoney(state.total, state.refunded);
      assertRefundWithin(amount, left);
      return [
        {
          type: 'OrderRefundPaidOut',
          data: { orderId: state.orderId, refundId, disputeId, amount, paidAt: now },
        },
      ];
    }
    default: {
      const unknown: never = command;
      throw new DomainError('INVALID_COMMAND', `unknown order command ${JSON.stringify(unknown)}`);
    }
  }
}

/** Refuses `amount` unless it fits in `refundable` (same currency, not more). */
export function assertRefundWithin(amount: Money, refundable: Money): void {
  ensure(
    amount.currency === refundable.currency,
    'CURRENCY_MISMATCH',
    'a refund is in the order currency',
  );
  ensure(amount.amountMinor <= refundable.amountMinor, 'REFUND_EXCEEDS_ORDER_TOTAL');
}

/**
 * What the dispute decider needs to know about an order, looked up by the OpenDispute handler:
 * the order state, plus — when the order already has a dispute — that dispute's id and whether
 * it was cancelled (read from the last id in `disputeIds`, folding its stream).
 */
export interface OrderFacts {
  readonly orderId: string;
  readonly buyerId: string;
  readonly sellerId: string;
  readonly total: Money;
  /** Refunds already paid out on the order. */
  readonly refunded: Money;
  readonly shippedAt: Instant | null;
  readonly deliveryDeadline: Instant | null;
  readonly deliveryConfirmedAt: Instant | null;
  readonly previousDispute: { readonly disputeId: string; readonly cancelled: boolean } | null;
}

export function orderFacts(
  order: OrderState,
  previousDispute: OrderFacts['previousDispute'] = null,
): OrderFacts {
  requirePlaced(order);
  return {
    orderId: order.orderId,
    buyerId: order.buyerId,
    sellerId: order.sellerId,
    total: order.total,
    refunded: order.refunded,
    shippedAt: order.shippedAt,
    deliveryDeadline: order.deliveryDeadline,
    deliveryConfirmedAt: order.deliveryConfirmedAt,
    previousDispute,
  };
}
