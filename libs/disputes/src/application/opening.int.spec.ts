import { DomainError, definePolicy, disputeStreamId, orderStreamId } from '../domain';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '@arbiter/event-store/testing';
import { verifyChain } from './audit-chain';
import { DisputeStreams, idFor } from './dispute-streams';
import { OpenDisputeCommand } from './open-dispute/open-dispute';
import {
  DisputesUnderTest,
  PLATFORM,
  shippedOrder,
  startDisputes,
  StoreUnderTest,
} from './testing';
import { DisputeCommandMessage } from './dispute-command';
import { OrderCommandMessage } from './dispute-command';

const buyer = { id: 'buyer-1', role: 'buyer' } as const;
const seller = { id: 'seller-1', role: 'seller' } as const;
const parties = { buyerId: buyer.id, sellerId: seller.id };
const claim = { kind: 'FULL_REFUND' } as const;
const T0 = '2026-03-01T00:00:00.000Z';

function openingSuite(store: () => StoreUnderTest) {
  let d: DisputesUnderTest;
  // One store per suite (PGlite takes seconds to start); every test uses its own orders.
  beforeAll(async () => {
    d = await startDisputes(store());
  });
  beforeEach(() => d.clock.set(T0));
  afterAll(() => d?.close());

  const open = (
    orderId: string,
    issued = d.as(buyer),
    reason: 'NOT_AS_DESCRIBED' | 'ITEM_NOT_RECEIVED' = 'NOT_AS_DESCRIBED',
  ) =>
    d.bus.execute(
      new OpenDisputeCommand(orderId, { reason, description: 'Scratched', claim }, issued),
    );
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (e: DomainError) => e.code ?? String(e),
    );

  it('reserves the order at the revision it read, then creates the dispute stream, with tracing metadata', async () => {
    await shippedOrder(d, 'o-1', parties);
    const issued = { ...d.as(buyer, 'open-1'), correlationId: 'corr-open-1' };
    const outcome = await open('o-1', issued);

    expect(outcome.state).toMatchObject({ status: 'AWAITING_SELLER', orderId: 'o-1', revision: 0 });
    expect(outcome.disputeId).toBe(idFor(issued, 'dispute:o-1'));
    const order = await d.store.readStream(orderStreamId('o-1'));
    expect(order.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderShipped', 'OrderDisputeLinked']);
    const [opened] = await d.store.readStream(disputeStreamId(outcome.disputeId));
    for (const event of [order[2], opened]) {
      expect(event.metadata).toMatchObject({
        correlationId: 'corr-open-1',
        causationId: issued.commandId,
        commandId: issued.commandId,
        actor: buyer,
        schemaVersion: 1,
      });
    }
    expect(opened.data).toMatchObject({
      orderTotal: { amountMinor: 10_000 },
      deliveryConfirmed: false,
    });
    expect(verifyChain(order).intact).toBe(true);
  });

  it('answers the same idempotency key with the first result and appends nothing', async () => {
    await shippedOrder(d, 'o-2', parties);
    const first = await open('o-2', d.as(buyer, 'same-key'));
    d.clock.advanceDays(1);
    const again = await open('o-2', d.as(buyer, 'same-key'));
    expect(again.disputeId).toBe(first.disputeId);
    expect(again.state).toEqual(first.state);
    expect(again.replayed).toBe(true);
    expect(await d.store.readStream(orderStreamId('o-2'))).toHaveLength(3);
    expect(await d.store.readStream(disputeStreamId(first.disputeId))).toHaveLength(1);
  });

  it('converges when a crash left the reservation without the dispute stream', async () => {
    await shippedOrder(d, 'o-3', parties);
    const issued = d.as(buyer, 'crash-key');
    const disputeId = idFor(issued, 'dispute:o-3');
    // The first half of an opening, as a process that died after it would have left it.
    await d.app
      .get(DisputeStreams)
      .order('o-3', issued, (metadata) => ({ type: 'LinkDispute', data: { disputeId }, metadata }));
    expect(await d.store.readStream(disputeStreamId(disputeId))).toHaveLength(0);

    const retried = await open('o-3', d.as(buyer, 'crash-key'));
    expect(retried.disputeId).toBe(disputeId);
    expect(retried.state.status).toBe('AWAITING_SELLER');
    const links = (await d.store.readStream(orderStreamId('o-3'))).filter(
      (e) => e.type === 'OrderDisputeLinked',
    );
    expect(links).toHaveLength(1);
    // Any other opening on the order is refused: the order has its dispute.
    expect(await codeOf(open('o-3'))).toBe('DISPUTE_ALREADY_EXISTS');
  });

  it('refuses a key reused on another order (IDEMPOTENCY_KEY_REUSED), leaving both orders alone', async () => {
    await shippedOrder(d, 'o-7', parties);
    await shippedOrder(d, 'o-8', parties);
    const first = await open('o-7', d.as(buyer, 'reused-key'));
    expect(await codeOf(open('o-8', d.as(buyer, 'reused-key')))).toBe('IDEMPOTENCY_KEY_REUSED');
    const links = (orderId: string) =>
      d.store
        .readStream(orderStreamId(orderId))
        .then((events) =>
          events
            .filter((e) => e.type === 'OrderDisputeLinked')
            .map((e) => (e.data as { disputeId: string }).disputeId),
        );
    expect(await links('o-7')).toEqual([first.disputeId]);
    expect(await links('o-8')).toEqual([]);
  });

  it('lets exactly one of several concurrent openings of one order succeed', async () => {
    await shippedOrder(d, 'o-4', parties);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => codeOf(open('o-4', d.as(buyer, `race-${i}`)))),
    );
    expect(results.filter((r) => r === 'OK')).toHaveLength(1);
    expect(results.filter((r) => r === 'DISPUTE_ALREADY_EXISTS')).toHaveLength(5);
    const links = (await d.store.readStream(orderStreamId('o-4'))).filter(
      (e) => e.type === 'OrderDisputeLinked',
    );
    expect(links).toHaveLength(1);
  });

  it('refuses a role that may not open before looking the order up: order ids cannot be probed', async () => {
    await shippedOrder(d, 'o-probe', parties);
    for (const actor of [
      { id: 'analyst-1', role: 'analyst' },
      { id: seller.id, role: 'seller' },
      { id: 'staff-1', role: 'mediator' },
    ] as const) {
      expect(await codeOf(open('o-probe', d.as(actor)))).toBe('FORBIDDEN_FOR_ROLE');
      expect(await codeOf(open('no-such-order', d.as(actor)))).toBe('FORBIDDEN_FOR_ROLE');
    }
  });

  it('looks up the order facts the decider needs: existence, party, delivery, previous dispute', async () => {
    expect(await codeOf(open('missing'))).toBe('ORDER_NOT_FOUND');
    await shippedOrder(d, 'o-5', parties);
    expect(await codeOf(open('o-5', d.as({ id: 'buyer-2', role: 'buyer' })))).toBe('NOT_A_PARTY');
    expect(await codeOf(open('o-5', d.as(buyer), 'ITEM_NOT_RECEIVED'))).toBe(
      'NOT_RECEIVED_TOO_EARLY',
    );
    d.clock.advanceDays(2);
    await d.bus.execute(
      new OrderCommandMessage('ConfirmDelivery', { orderId: 'o-5' }, d.as(PLATFORM)),
    );
    expect(await codeOf(open('o-5', d.as(buyer), 'ITEM_NOT_RECEIVED'))).toBe(
      'ITEM_DELIVERY_CONFIRMED',
    );
    const first = await open('o-5');
    expect(first.state).toMatchObject({ status: 'AWAITING_SELLER' });
    await d.bus.execute(
      new DisputeCommandMessage(
        'CancelDispute',
        first.disputeId,
        { comment: 'Found it' },
        d.as(buyer),
      ),
    );
    expect(await codeOf(open('o-5'))).toBe('DISPUTE_REOPEN_NOT_ALLOWED');
    d.clock.advanceDays(30);
    await shippedOrder(d, 'o-6', parties);
    d.clock.advanceDays(26);
    expect(await codeOf(open('o-6'))).toBe('PROTECTION_PERIOD_EXPIRED');
  });
}

describe('opening a dispute [memory]', () => openingSuite(() => 'memory'));
describe('opening a dispute [pglite]', () => openingSuite(() => 'pglite'));
describeWithPostgres('opening a dispute [postgres]', (url) => {
  let schema: PostgresTestSchema;
  beforeAll(async () => {
    schema = await openPostgresTestSchema(url, { prefix: 'open' });
  });
  afterAll(() => schema?.cleanup());
  openingSuite(() => ({ connection: schema.connection, schema: schema.schema }));
});

describe('reopening after a cancel, when the policy allows it', () => {
  it('opens a new dispute that records which one it reopens', async () => {
    const d = await startDisputes('memory', {
      policy: definePolicy({ allowReopenAfterCancel: true }),
    });
    try {
      d.clock.set(T0);
      await shippedOrder(d, 'o-r', parties);
      const opening = () =>
        new OpenDisputeCommand(
          'o-r',
          { reason: 'DAMAGED', description: 'Broken', claim },
          d.as(buyer),
        );
      const first = await d.bus.execute(opening());
      await d.bus.execute(
        new DisputeCommandMessage(
          'CancelDispute',
          first.disputeId,
          { comment: 'Oops' },
          d.as(buyer),
        ),
      );
      const second = await d.bus.execute(opening());
      const [opened] = await d.store.readStream(disputeStreamId(second.disputeId));
      expect(opened.data).toMatchObject({ reopenOf: first.disputeId });
    } finally {
      await d.close();
    }
  });
});
