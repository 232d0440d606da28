import {
  canViewOrder,
  decideOrder,
  evolveOrder,
  initialOrderState,
  type OrderCommand,
  type OrderEvent,
  orderFacts,
  type OrderState,
} from '../../src/domain';
import {
  buyer,
  analyst,
  codeOf,
  eur,
  mediator,
  otherBuyer,
  otherSeller,
  platform,
  seller,
  senior,
  system,
  SHIPPED_AT,
  TOTAL,
  day,
} from '../../test-support/fixtures';

const at = (now: string, actor = platform) => ({ actor, now });
const place: OrderCommand = {
  type: 'PlaceOrder',
  data: { orderId: 'order-1', buyerId: buyer.id, sellerId: seller.id, total: TOTAL, items: [] },
  metadata: at(day(-2)),
};
const ship: OrderCommand = {
  type: 'ShipOrder',
  data: { carrier: 'dhl', trackingNumber: 'T1', deliveryDeadline: day(19) },
  metadata: at(SHIPPED_AT),
};
const confirm: OrderCommand = { type: 'ConfirmDelivery', data: {}, metadata: at(day(4)) };
const refund = (amountMinor: number, refundId = 'rf-1'): OrderCommand => ({
  type: 'RecordRefundPayout',
  data: { refundId, disputeId: 'd-1', amount: eur(amountMinor) },
  metadata: at(day(9)),
});
const link = (actor = buyer, disputeId = 'd-1'): OrderCommand => ({
  type: 'LinkDispute',
  data: { disputeId },
  metadata: at(day(6), actor),
});

function run(...commands: OrderCommand[]): OrderState {
  return commands.reduce(
    (state, command) => decideOrder(command, state).reduce(evolveOrder, state),
    initialOrderState,
  );
}

describe('orders', () => {
  it('records placed, shipped, delivery confirmed, refunds and linked disputes', () => {
    const state = run(place, ship, confirm, refund(2500), link());
    expect(state).toMatchObject({
      status: 'DELIVERED',
      revision: 4,
      total: TOTAL,
      shippedAt: SHIPPED_AT,
      deliveryDeadline: day(19),
      deliveryConfirmedAt: day(4),
      refunded: eur(2500),
      disputeIds: ['d-1'],
    });
    expect(orderFacts(state, { disputeId: 'd-0', cancelled: true })).toMatchObject({
      orderId: 'order-1',
      refunded: eur(2500),
      previousDispute: { disputeId: 'd-0', cancelled: true },
    });
    expect(orderFacts(state).previousDispute).toBeNull();
  });

  it('is read by its buyer, its seller, staff and the platform only, and only once placed', () => {
    const placed = run(place);
    for (const viewer of [buyer, seller, mediator, senior, platform])
      expect(canViewOrder(viewer, placed)).toBe(true);
    for (const viewer of [otherBuyer, otherSeller, analyst, system])
      expect(canViewOrder(viewer, placed)).toBe(false);
    expect(canViewOrder(platform, initialOrderState)).toBe(false);
  });

  it('only the platform records order facts', () => {
    expect(
      codeOf(() => decideOrder({ ...place, metadata: at(day(0), buyer) }, initialOrderState)),
    ).toBe('FORBIDDEN_FOR_ROLE');
  });

  it('refuses facts out of order', () => {
    expect(codeOf(() => run(place, place))).toBe('ORDER_ALREADY_PLACED');
    expect(codeOf(() => run(ship))).toBe('ORDER_NOT_FOUND');
    expect(codeOf(() => run(place, ship, ship))).toBe('ORDER_ALREADY_SHIPPED');
    expect(codeOf(() => run(place, confirm))).toBe('ORDER_NOT_SHIPPED');
    expect(codeOf(() => run(place, ship, confirm, confirm))).toBe('DELIVERY_ALREADY_CONFIRMED');
    expect(codeOf(() => orderFacts(initialOrderState))).toBe('ORDER_NOT_FOUND');
  });

  it('validates what it records', () => {
    const placeWith = (data: Partial<Extract<OrderCommand, { type: 'PlaceOrder' }>['data']>) =>
      run({ ...place, data: { ...(place.data as object), ...data } } as OrderCommand);
    expect(codeOf(() => placeWith({ sellerId: buyer.id }))).toBe('INVALID_COMMAND');
    expect(codeOf(() => placeWith({ orderId: '' }))).toBe('INVALID_COMMAND');
    expect(codeOf(() => placeWith({ total: eur(0) }))).toBe('INVALID_MONEY');
    const lateDeadline = {
      ...ship,
      data: { ...(ship.data as object), deliveryDeadline: day(-1) },
    } as OrderCommand;
    expect(codeOf(() => run(place, lateDeadline))).toBe('INVALID_COMMAND');
  });

  it('refunds never exceed the order total and are recorded once', () => {
    expect(run(place, ship, refund(6000), refund(4000, 'rf-2')).refunded).toEqual(TOTAL);
    expect(codeOf(() => run(place, ship, refund(6000), refund(4001, 'rf-2')))).toBe(
      'REFUND_EXCEEDS_ORDER_TOTAL',
    );
    expect(codeOf(() => run(place, refund(10), refund(10)))).toBe('DUPLICATE_ID');
    expect(codeOf(() => run(place, refund(0)))).toBe('INVALID_MONEY');
    const usd = {
      ...refund(10),
      data: { refundId: 'x', disputeId: null, amount: { amountMinor: 10, currency: 'USD' } },
    } as OrderCommand;
    expect(codeOf(() => run(place, usd))).toBe('CURRENCY_MISMATCH');
  });

  it('links a dispute for the order buyer only, once', () => {
    expect(codeOf(() => run(link()))).toBe('ORDER_NOT_FOUND');
    expect(codeOf(() => run(place, link(seller)))).toBe('FORBIDDEN_FOR_ROLE');
    expect(codeOf(() => run(place, link(otherBuyer)))).toBe('NOT_A_PARTY');
    expect(codeOf(() => run(place, link(), link()))).toBe('DUPLICATE_ID');
  });

  it('refuses unknown commands and events', () => {
    expect(
      codeOf(() =>
        decideOrder({ type: 'Nope', data: {}, metadata: at(day(0)) } as never, initialOrderState),
      ),
    ).toBe('INVALID_COMMAND');
    expect(
      codeOf(() =>
        evolveOrder(initialOrderState, { type: 'Nope', data: {} } as unknown as OrderEvent),
      ),
    ).toBe('INVALID_COMMAND');
  });
});
