import { graphql } from './support/clients';
import { describeOnAllStores } from './support/gateway';
import {
  type Caller,
  caller,
  cast,
  type DisputesGateway,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

const ORDER = `query Order($id: ID!) {
  order(id: $id) {
    orderId status buyerId sellerId placedAt shippedAt deliveryDeadline deliveryConfirmedAt
    disputeIds revision total { amountMinor currency } refunded { amountMinor currency }
  }
}`;

interface OrderAnswer {
  status: number;
  order: Record<string, unknown> | null;
  code: string | undefined;
}

async function readOrder(d: DisputesGateway, who: Caller, id: string): Promise<OrderAnswer> {
  const response = await graphql<{ order: Record<string, unknown> | null }>(d.gateway.url, ORDER, {
    token: who.token,
    variables: { id },
  });
  return {
    status: response.status,
    order: response.body.data?.order ?? null,
    code: response.body.errors?.[0]?.extensions?.code,
  };
}

describeOnAllStores('order(id)', (database) => {
  let d: DisputesGateway;
  let people: Awaited<ReturnType<typeof cast>>;
  let orderId: string;
  beforeAll(async () => {
    d = await startDisputesGateway(database);
    people = await cast(d);
    orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
  });
  afterAll(() => d?.close());

  it('answers the order to its buyer, its seller, staff and the platform, instants as DateTime', async () => {
    for (const who of [
      people.buyer,
      people.seller,
      people.mediator,
      people.senior,
      people.platform,
    ]) {
      const { order, code } = await readOrder(d, who, orderId);
      expect(code).toBeUndefined();
      expect(order).toMatchObject({
        orderId,
        status: 'SHIPPED',
        buyerId: people.buyer.id,
        sellerId: people.seller.id,
        deliveryConfirmedAt: null,
        disputeIds: [],
        revision: 1,
        total: { amountMinor: 10_000, currency: 'EUR' },
        refunded: { amountMinor: 0, currency: 'EUR' },
      });
      for (const at of ['placedAt', 'shippedAt', 'deliveryDeadline'])
        expect(order?.[at]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('follows the order: delivery confirmed and a dispute opened show on the next read', async () => {
    const id = await shippedOrder(d, people.platform, people.buyer, people.seller);
    await ok(d.gateway.url, people.platform, 'confirmDelivery', { orderId: id });
    const opened = await ok<{ disputeId: string }>(d.gateway.url, people.buyer, 'openDispute', {
      orderId: id,
      reason: 'DAMAGED',
      description: 'The lamp arrived cracked',
      claim: { kind: 'FULL_REFUND' },
    });
    const { order } = await readOrder(d, people.seller, id);
    expect(order).toMatchObject({ status: 'DELIVERED', disputeIds: [opened.disputeId] });
    expect(order?.deliveryConfirmedAt).toBe(d.clock.now().toISOString());
  });

  it('refuses another buyer or seller exactly like an order that does not exist', async () => {
    const strangers = [
      await caller('buyer', d.id('buyer')),
      await caller('seller', d.id('seller')),
    ];
    for (const who of strangers) {
      const theirs = await readOrder(d, who, orderId);
      const missing = await readOrder(d, who, d.id('order'));
      expect(theirs).toEqual({ status: 200, order: null, code: 'FORBIDDEN' });
      expect(missing).toEqual(theirs);
    }
  });

  it('refuses analysts (they work from pseudonymised feeds) whether or not the order exists', async () => {
    const theirs = await readOrder(d, people.analyst, orderId);
    expect(theirs.code).toBe('FORBIDDEN');
    expect(await readOrder(d, people.analyst, d.id('order'))).toEqual(theirs);
  });

  it('tells staff and the platform that an order does not exist', async () => {
    for (const who of [people.mediator, people.platform]) {
      expect((await readOrder(d, who, d.id('order'))).code).toBe('ORDER_NOT_FOUND');
      for (const odd of ['not an order id!', 'x'.repeat(5_000), 'order/../../etc'])
        expect((await readOrder(d, who, odd)).code).toBe('ORDER_NOT_FOUND');
    }
  });

  it('reads a delivery deadline given with an offset as the instant it names, answered at UTC', async () => {
    const id = d.id('order');
    await ok(d.gateway.url, people.platform, 'placeOrder', {
      orderId: id,
      buyerId: people.buyer.id,
      sellerId: people.seller.id,
      total: { amountMinor: 500, currency: 'EUR' },
      items: [
        { sku: 'x', title: 'Pen', quantity: 1, unitPrice: { amountMinor: 500, currency: 'EUR' } },
      ],
    });
    const due = new Date(d.clock.now().getTime() + 10 * 86_400_000);
    due.setUTCMilliseconds(0);
    const local = `${due.toISOString().slice(0, 19)}+02:00`;
    const shipped = await mutate<{ deliveryDeadline: string }>(
      d.gateway.url,
      people.platform,
      'shipOrder',
      { orderId: id, carrier: 'DHL', trackingNumber: 'T2', deliveryDeadline: local },
    );
    expect(shipped.code).toBeUndefined();
    const { order } = await readOrder(d, people.buyer, id);
    expect(order?.deliveryDeadline).toBe(new Date(due.getTime() - 2 * 3_600_000).toISOString());
  });
});
