import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '@arbiter/event-store/testing';
import { Actor, DomainError, disputeStreamId, orderStreamId } from '../domain';
import { ConfirmRefundPayoutCommand } from './confirm-refund-payout/confirm-refund-payout';
import { DisputeStreams, idFor, Issued } from './dispute-streams';
import { OpenDisputeCommand, ORPHAN_GRACE_MS } from './open-dispute/open-dispute';
import {
  DisputesUnderTest,
  eur,
  PLATFORM,
  shippedOrder,
  startDisputes,
  StoreUnderTest,
} from './testing';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const stranger: Actor = { id: 'buyer-9', role: 'buyer' };
const parties = { buyerId: buyer.id, sellerId: seller.id };
const claim = { kind: 'FULL_REFUND' } as const;
const T0 = '2026-03-01T00:00:00.000Z';

/** Crashes between the two appends of a two-stream command, and how a retry rolls forward. */
function recoverySuite(store: () => StoreUnderTest) {
  let d: DisputesUnderTest;
  let orders = 0;
  beforeAll(async () => {
    d = await startDisputes(store());
  });
  beforeEach(() => d.clock.set(T0));
  afterAll(() => d?.close());

  const open = (orderId: string, issued: Issued = d.as(buyer)) =>
    d.bus.execute(
      new OpenDisputeCommand(
        orderId,
        { reason: 'NOT_AS_DESCRIBED', description: 'Scratched', claim },
        issued,
      ),
    );
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (e: DomainError) => e.code ?? String(e),
    );
  const linksOf = async (orderId: string) =>
    (await d.store.readStream(orderStreamId(orderId)))
      .filter((e) => e.type === 'OrderDisputeLinked')
      .map((e) => (e.data as { disputeId: string }).disputeId);

  /** The first half of an opening, as a process that died right after it would have left it. */
  async function orphanedOrder(): Promise<{ orderId: string; orphanId: string; issued: Issued }> {
    const orderId = `rec-${++orders}`;
    await shippedOrder(d, orderId, parties);
    const issued = d.as(buyer, `crashed-${orderId}`);
    const orphanId = idFor(issued, `dispute:${orderId}`);
    await d.app.get(DisputeStreams).order(orderId, issued, (metadata) => ({
      type: 'LinkDispute',
      data: { disputeId: orphanId },
      metadata,
    }));
    expect(await d.store.readStream(disputeStreamId(orphanId))).toHaveLength(0);
    return { orderId, orphanId, issued };
  }

  /** Time for an orphan to be told from an opening still in flight. */
  const afterGrace = () => d.clock.advance(ORPHAN_GRACE_MS);

  describe('opening a dispute after a crash between the link and the dispute stream', () => {
    it('refuses other openings while the link may still be in flight', async () => {
      const { orderId, orphanId } = await orphanedOrder();
      d.clock.advance(ORPHAN_GRACE_MS - 1_000);
      expect(await codeOf(open(orderId))).toBe('DISPUTE_ALREADY_EXISTS');
      expect(await d.store.readStream(disputeStreamId(orphanId))).toHaveLength(0);
    });

    it('lets a retry without the key adopt the orphaned link: one link, one dispute', async () => {
      const { orderId, orphanId } = await orphanedOrder();
      afterGrace();

      const retried = await open(orderId);

      expect(retried.disputeId).toBe(orphanId);
      expect(retried.state).toMatchObject({ status: 'AWAITING_SELLER', orderId, revision: 0 });
      const [opened] = await d.store.readStream(disputeStreamId(orphanId));
      expect(opened.data).toMatchObject({ disputeId: orphanId, reopenOf: null });
      expect(await linksOf(orderId)).toEqual([orphanId]);
      // Once the dispute exists, further openings are refused as before.
      expect(await codeOf(open(orderId))).toBe('DISPUTE_ALREADY_EXISTS');
    });

    it('still answers a retry with the original key by creating the reserved dispute', async () => {
      const { orderId, orphanId, issued } = await orphanedOrder();
      const retried = await open(orderId, d.as(buyer, `crashed-${orderId}`));
      expect(retried.disputeId).toBe(orphanId);
      expect(retried.state.status).toBe('AWAITING_SELLER');
      expect(await linksOf(orderId)).toEqual([orphanId]);
      // And the same key once more replays it.
      const again = await open(orderId, { ...issued });
      expect(again).toMatchObject({ disputeId: orphanId, replayed: true });
    });

    it('adopts for the order buyer only: anyone else is refused as before', async () => {
      const { orderId, orphanId } = await orphanedOrder();
      afterGrace();
      expect(await codeOf(open(orderId, d.as(stranger)))).toBe('NOT_A_PARTY');
      expect(await codeOf(open(orderId, d.as(seller)))).toBe('FORBIDDEN_FOR_ROLE');
      expect(await d.store.readStream(disputeStreamId(orphanId))).toHaveLength(0);
      expect(await linksOf(orderId)).toEqual([orphanId]);
    });

    it('lets concurrent adopters create exactly one dispute', async () => {
      const { orderId, orphanId } = await orphanedOrder();
      afterGrace();
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          open(orderId).then(
            (o) => o.disputeId,
            (e: DomainError) => e.code,
          ),
        ),
      );
      for (const result of results) expect([orphanId, 'DISPUTE_ALREADY_EXISTS']).toContain(result);
      expect(results).toContain(orphanId);
      expect(await d.store.readStream(disputeStreamId(orphanId))).toHaveLength(1);
      expect(await linksOf(orderId)).toEqual([orphanId]);
    });

    it('answers a slow original, overtaken by an adopter, with the one dispute', async () => {
      const orderId = `rec-${++orders}`;
      await shippedOrder(d, orderId, parties);
      const original = d.as(buyer, `slow-${orderId}`);
      const reservedId = idFor(original, `dispute:${orderId}`);
      // Hold the original's dispute-stream append until an adopter has gone through.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      const append = d.store.append.bind(d.store);
      let appendsToReserved = 0;
      const spy = jest.spyOn(d.store, 'append').mockImplementation(async (streamId, ...rest) => {
        if (streamId === disputeStreamId(reservedId) && appendsToReserved++ === 0) {
          held();
          await gate;
        }
        return append(streamId, ...rest);
      });
      try {
        const slow = open(orderId, original);
        await holding;
        expect(await linksOf(orderId)).toEqual([reservedId]);
        afterGrace(); // the original stalls past the grace period

        const adopter = await open(orderId);
        expect(adopter.disputeId).toBe(reservedId);
        release();
        // Its no_stream append loses; it answers with the dispute it had reserved.
        const late = await slow;
        expect(late).toMatchObject({ disputeId: reservedId, replayed: true });
        expect(late.state).toEqual(adopter.state);
      } finally {
        release();
        spy.mockRestore();
      }
      const events = await d.store.readStream(disputeStreamId(reservedId));
      expect(events).toHaveLength(1);
      expect(await linksOf(orderId)).toEqual([reservedId]);
    });

    it('leaves the normal path as it was: one link, then the dispute', async () => {
      const orderId = `rec-${++orders}`;
      await shippedOrder(d, orderId, parties);
      const issued = d.as(buyer, `normal-${orderId}`);
      const opened = await open(orderId, issued);
      expect(opened.disputeId).toBe(idFor(issued, `dispute:${orderId}`));
      expect(opened.replayed).toBe(false);
      expect(await linksOf(orderId)).toEqual([opened.disputeId]);
      const again = await open(orderId, d.as(buyer, `normal-${orderId}`));
      expect(again).toMatchObject({ disputeId: opened.disputeId, replayed: true });
      expect(await d.store.readStream(disputeStreamId(opened.disputeId))).toHaveLength(1);
    });
  });

  describe('confirming a refund payout after a crash between the dispute and the order', () => {
    const payout = { payoutReference: 'PAY-1', amount: eur(10_000) };

    /** A dispute whose seller stayed silent: the buyer's full refund is pending. */
    async function refundPending(): Promise<{ orderId: string; disputeId: string }> {
      const orderId = `pay-${++orders}`;
      await shippedOrder(d, orderId, parties);
      const { disputeId } = await open(orderId);
      const [deadline] = await d.deadlines.pending(disputeId);
      d.clock.set(deadline.dueAt);
      const fired = await d.deadlines.fire(disputeId, deadline);
      expect(fired.state.status).toBe('REFUND_PENDING');
      return { orderId, disputeId };
    }
    const confirm = (disputeId: string, data = payout, issued = d.as(PLATFORM)) =>
      d.bus.execute(new ConfirmRefundPayoutCommand(disputeId, data, issued));
    const refundsOf = async (orderId: string) =>
      (await d.store.readStream(orderStreamId(orderId))).filter(
        (e) => e.type === 'OrderRefundPaidOut',
      );

    it('lets a retry without the key complete the order half, once', async () => {
      const { orderId, disputeId } = await refundPending();
      // The dispute half only, as a process that died right after it would have left it.
      await d.app.get(DisputeStreams).dispute(disputeId, d.as(PLATFORM), (metadata) => ({
        type: 'ConfirmRefundPayout',
        data: payout,
        metadata,
      }));
      expect(await refundsOf(orderId)).toHaveLength(0);

      const retried = await confirm(disputeId);
      expect(retried.state).toMatchObject({ status: 'CLOSED', refunded: eur(10_000) });
      const refunds = await refundsOf(orderId);
      expect(refunds).toHaveLength(1);
      expect(refunds[0].data).toMatchObject({
        refundId: `dispute-${disputeId}`,
        disputeId,
        amount: eur(10_000),
      });
      expect((await d.app.get(DisputeStreams).loadOrder(orderId)).refunded).toEqual(eur(10_000));

      // Completing again appends nothing, anywhere.
      const orderLength = (await d.store.readStream(orderStreamId(orderId))).length;
      const disputeLength = (await d.store.readStream(disputeStreamId(disputeId))).length;
      const again = await confirm(disputeId);
      expect(again.state).toEqual(retried.state);
      expect(await d.store.readStream(orderStreamId(orderId))).toHaveLength(orderLength);
      expect(await d.store.readStream(disputeStreamId(disputeId))).toHaveLength(disputeLength);
    });

    it('refuses a retry whose payout differs from the one the dispute recorded', async () => {
      const { orderId, disputeId } = await refundPending();
      await d.app.get(DisputeStreams).dispute(disputeId, d.as(PLATFORM), (metadata) => ({
        type: 'ConfirmRefundPayout',
        data: payout,
        metadata,
      }));
      expect(await codeOf(confirm(disputeId, { ...payout, payoutReference: 'PAY-2' }))).toBe(
        'DISPUTE_CLOSED',
      );
      expect(await codeOf(confirm(disputeId, { ...payout, amount: eur(9_000) }))).toBe(
        'DISPUTE_CLOSED',
      );
      // Only the platform records payouts, recovery or not.
      expect(await codeOf(confirm(disputeId, payout, d.as(buyer)))).toBe('FORBIDDEN_FOR_ROLE');
      expect(await refundsOf(orderId)).toHaveLength(0);
    });

    it('leaves the normal path as it was; a second confirmation appends nothing', async () => {
      const { orderId, disputeId } = await refundPending();
      const paid = await confirm(disputeId, payout, d.as(PLATFORM, `pay-${disputeId}`));
      expect(paid.state).toMatchObject({ status: 'CLOSED', refunded: eur(10_000) });
      expect(paid.replayed).toBe(false);
      expect(await refundsOf(orderId)).toHaveLength(1);
      const length = (await d.store.readStream(orderStreamId(orderId))).length;
      // The same key replays; another command id finds the work done.
      const sameKey = await confirm(disputeId, payout, d.as(PLATFORM, `pay-${disputeId}`));
      const otherId = await confirm(disputeId);
      for (const again of [sameKey, otherId]) {
        expect(again.replayed).toBe(true);
        expect(again.state).toEqual(paid.state);
      }
      expect(await d.store.readStream(orderStreamId(orderId))).toHaveLength(length);
    });
  });
}

describe('recovery [memory]', () => recoverySuite(() => 'memory'));
describe('recovery [pglite]', () => recoverySuite(() => 'pglite'));
describeWithPostgres('recovery [postgres]', (url) => {
  let schema: PostgresTestSchema;
  beforeAll(async () => {
    schema = await openPostgresTestSchema(url, { prefix: 'recov' });
  });
  afterAll(() => schema?.cleanup());
  recoverySuite(() => ({ connection: schema.connection, schema: schema.schema }));
});
