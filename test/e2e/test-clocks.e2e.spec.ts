import { randomBytes } from 'node:crypto';
import { caller, Caller, DISPUTE_FIELDS, DisputeResult, eur, mutate, ok } from './disputes-helpers';
import { graphql } from './support/clients';
import { Database, describeOnDatabases, RunningGateway, startGateway } from './support/gateway';

/**
 * Staging's test clocks through the running gateway, with the real scheduler (WORKERS=inline) and
 * the real system clock: nothing in the process is faked. A platform creates a clock, places an
 * order under it, and everything of that order's dispute is dated by the clock; advancing the
 * clock past the seller's response deadline makes the scheduler fire it within moments, while a
 * dispute on an order without a test clock is untouched.
 */
const DAY = 86_400_000;
const CLOCK_FIELDS = 'id name frozenTime createdAt updatedAt';

interface TestClock {
  id: string;
  name: string | null;
  frozenTime: string;
}

type Viewed = Omit<DisputeResult, 'proposals'> & {
  openedAt: string;
  proposals: { proposer: string; acceptedBy: string[] }[];
  timeline: { type: string; actorRole: string; at: string }[];
};

async function clockMutation(
  url: string,
  who: Caller,
  name: 'createTestClock' | 'advanceTestClock',
  input: Record<string, unknown>,
) {
  const type = name === 'createTestClock' ? 'CreateTestClockInput' : 'AdvanceTestClockInput';
  const response = await graphql<{ result: TestClock }>(
    url,
    `mutation Run($input: ${type}!) { result: ${name}(input: $input) { ${CLOCK_FIELDS} } }`,
    { token: who.token, variables: { input } },
  );
  const errors = response.body.errors;
  return { data: response.body.data?.result ?? null, code: errors?.[0]?.extensions?.code, errors };
}

describeOnDatabases('test clocks', (database: Database) => {
  let gateway: RunningGateway;
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  const id = (prefix: string) => `${prefix}-${run}-${++counter}`;

  beforeAll(async () => {
    gateway = await startGateway(
      {
        WORKERS: 'inline',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
      },
      database,
    );
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
  });

  async function view(who: Caller, disputeId: string): Promise<Viewed> {
    const response = await graphql<{ dispute: Viewed }>(
      gateway.url,
      `query One($id: ID!) { dispute(id: $id) { ${DISPUTE_FIELDS} timeline { type actorRole at } } }`,
      { token: who.token, variables: { id: disputeId } },
    );
    if (!response.body.data?.dispute)
      throw new Error(`dispute(${disputeId}): ${JSON.stringify(response.body.errors)}`);
    return response.body.data.dispute;
  }

  /** Polls until `ready` holds: the scheduler and the projections follow within moments. */
  async function until(who: Caller, disputeId: string, ready: (v: Viewed) => boolean) {
    const started = Date.now();
    for (;;) {
      const seen = await view(who, disputeId).catch(() => null);
      if (seen && ready(seen)) return seen;
      if (Date.now() - started > 20_000)
        throw new Error(`not seen in time; last: ${JSON.stringify(seen?.status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function people() {
    return {
      platform: await caller('platform', 'marketplace'),
      buyer: await caller('buyer', id('buyer')),
      seller: await caller('seller', id('seller')),
    };
  }

  /** An order placed (under `testClockId`, if given), shipped at `shippedAt`, and delivered. */
  async function deliveredOrder(
    p: Awaited<ReturnType<typeof people>>,
    shippedAt: number,
    testClockId?: string,
  ): Promise<string> {
    const orderId = id('order');
    await ok(gateway.url, p.platform, 'placeOrder', {
      orderId,
      buyerId: p.buyer.id,
      sellerId: p.seller.id,
      total: eur(10_000),
      items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
      ...(testClockId && { testClockId }),
    });
    await ok(gateway.url, p.platform, 'shipOrder', {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'JD014600',
      deliveryDeadline: new Date(shippedAt + 10 * DAY).toISOString(),
    });
    await ok(gateway.url, p.platform, 'confirmDelivery', { orderId });
    return orderId;
  }

  const openDispute = (p: Awaited<ReturnType<typeof people>>, orderId: string) =>
    ok<Viewed>(gateway.url, p.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived cracked',
      claim: { kind: 'FULL_REFUND' },
    });

  it('runs a whole seller-silence story in seconds: the deadline passes when the clock is advanced', async () => {
    const p = await people();
    const start = Date.parse('2030-05-01T09:00:00.000Z');
    const created = await clockMutation(gateway.url, p.platform, 'createTestClock', {
      frozenTime: new Date(start).toISOString(),
      name: 'seller silence',
    });
    expect(created.errors).toBeUndefined();
    const clock = created.data as TestClock;
    expect(clock).toMatchObject({ name: 'seller silence', frozenTime: '2030-05-01T09:00:00.000Z' });

    const underClock = await deliveredOrder(p, start, clock.id);
    const opened = await openDispute(p, underClock);
    // Dated by the test clock, not the real one: the seller has sellerResponseDays from then.
    expect(opened.openedAt).toBe('2030-05-01T09:00:00.000Z');
    expect(opened.deadline).toEqual({
      kind: 'SELLER_RESPONSE',
      dueAt: new Date(start + 5 * DAY).toISOString(),
    });

    // A dispute on an order without a test clock, in the same process: real time, untouched.
    const other = await people();
    const realOpened = await openDispute(other, await deliveredOrder(other, Date.now()));
    expect(Math.abs(Date.parse(realOpened.openedAt) - Date.now())).toBeLessThan(60_000);

    // Not yet: the clock stands still, however long the real scheduler runs.
    const early = await clockMutation(gateway.url, p.platform, 'advanceTestClock', {
      testClockId: clock.id,
      by: 'P4D',
    });
    expect(early.data?.frozenTime).toBe(new Date(start + 4 * DAY).toISOString());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await view(p.buyer, opened.disputeId)).status).toBe(opened.status);

    // Past the seller's deadline: the real scheduler fires it on the clock's time.
    const advanced = await clockMutation(gateway.url, p.platform, 'advanceTestClock', {
      testClockId: clock.id,
      by: 'P1DT1M',
    });
    expect(advanced.data?.frozenTime).toBe(new Date(start + 5 * DAY + 60_000).toISOString());
    // The timeline and the buyer's view are separate read models, each catching up on its own:
    // wait until both show the deadline's command.
    const resolved = await until(
      p.buyer,
      opened.disputeId,
      (v) =>
        v.timeline.some((entry) => entry.type === 'DeadlinePassed') && v.status !== opened.status,
    );
    // onSellerSilence: accept-buyer-proposal; the refund is then due.
    expect(resolved.status).toBe('REFUND_PENDING');
    expect(resolved.proposals.find((x) => x.proposer === 'buyer')?.acceptedBy).toEqual(['seller']);
    const passed = resolved.timeline.find((entry) => entry.type === 'DeadlinePassed');
    expect(passed).toMatchObject({ actorRole: 'system' });
    // Dated by the clock too: the deadline passed in the clock's time, not today's.
    expect(passed?.at).toBe(new Date(start + 5 * DAY + 60_000).toISOString());

    // The real-time dispute has not moved.
    const still = await view(other.buyer, realOpened.disputeId);
    expect(still.status).toBe(realOpened.status);
    expect(still.outcome).toBeNull();

    const read = await graphql<{ testClock: TestClock | null }>(
      gateway.url,
      `query Clock($id: ID!) { testClock(id: $id) { ${CLOCK_FIELDS} } }`,
      { token: p.platform.token, variables: { id: clock.id } },
    );
    expect(read.body.data?.testClock?.frozenTime).toBe(advanced.data?.frozenTime);
  }, 60_000);

  it('moves forwards only, and refuses unknown clocks and other roles with stable codes', async () => {
    const p = await people();
    const { data: clock } = await clockMutation(gateway.url, p.platform, 'createTestClock', {
      frozenTime: '2030-01-01T00:00:00Z',
    });
    const advance = (input: Record<string, unknown>, who: Caller = p.platform) =>
      clockMutation(gateway.url, who, 'advanceTestClock', { testClockId: clock?.id, ...input });

    expect((await advance({ to: '2029-12-31T23:59:59Z' })).code).toBe('TEST_CLOCK_CANNOT_GO_BACK');
    expect((await advance({ to: '2030-01-01T00:00:00Z' })).data?.frozenTime).toBe(
      '2030-01-01T00:00:00.000Z',
    );
    expect((await advance({ by: 'P1M' })).code).toBe('INVALID_COMMAND');
    expect((await advance({ by: 'P99999999D' })).code).toBe('INVALID_COMMAND');
    expect((await advance({ by: 'PT1H', to: '2031-01-01T00:00:00Z' })).code).toBe(
      'INVALID_COMMAND',
    );
    expect((await advance({ by: 'PT1H', testClockId: 'no-such-clock' })).code).toBe(
      'TEST_CLOCK_NOT_FOUND',
    );
    const placed = await mutate(gateway.url, p.platform, 'placeOrder', {
      orderId: id('order'),
      buyerId: p.buyer.id,
      sellerId: p.seller.id,
      total: eur(100),
      items: [{ sku: 'x', title: 'X', quantity: 1, unitPrice: eur(100) }],
      testClockId: 'no-such-clock',
    });
    expect(placed.code).toBe('TEST_CLOCK_NOT_FOUND');

    for (const who of [p.buyer, p.seller, await caller('mediator', id('mediator'))]) {
      expect((await clockMutation(gateway.url, who, 'createTestClock', {})).code).toBe('FORBIDDEN');
      expect((await advance({ by: 'PT1H' }, who)).code).toBe('FORBIDDEN');
    }
  }, 60_000);
});

describe('test clocks in production', () => {
  it('are refused with TEST_CLOCKS_DISABLED', async () => {
    const gateway = await startGateway({
      NODE_ENV: 'production',
      EVENT_STORE: 'pglite',
      PGLITE_DATA_DIR: 'memory://',
    });
    try {
      const platform = await caller('platform', 'marketplace');
      const created = await clockMutation(gateway.url, platform, 'createTestClock', {});
      expect(created.code).toBe('TEST_CLOCKS_DISABLED');
      const placed = await mutate(gateway.url, platform, 'placeOrder', {
        orderId: `order-${randomBytes(4).toString('hex')}`,
        buyerId: 'b',
        sellerId: 's',
        total: eur(100),
        items: [{ sku: 'x', title: 'X', quantity: 1, unitPrice: eur(100) }],
        testClockId: 'any',
      });
      expect(placed.code).toBe('TEST_CLOCKS_DISABLED');
    } finally {
      await gateway.close();
    }
  }, 60_000);
});
