import { randomBytes } from 'node:crypto';
import { DeadlineScheduler, DeadlinesQueries } from '@arbiter/deadlines';
import { FakeClock } from '@arbiter/platform';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import { ProjectionRunner, READ_DB, type ReadDb } from '@arbiter/read-models';
import { sql } from 'drizzle-orm';
import { Caller, caller, DISPUTE_FIELDS, DisputeResult, eur, mutate, ok } from './disputes-helpers';
import { graphql } from './support/clients';
import { Database, describeOnAllStores, RunningGateway, startGateway } from './support/gateway';

/**
 * Every automatic action of the deadline table (docs/domain.md#deadlines-and-automatic-actions)
 * through the running gateway: the situation is made with GraphQL mutations, the gateway's one
 * FakeClock is moved past the deadline, the in-process scheduler fires it (WORKERS=inline:
 * projections, process manager and scheduler run here) and the outcome is read back with
 * `dispute(id)`, with `nextDeadline` telling what was armed.
 *
 * The clock starts in the past (2020): on a shared PostgreSQL database this scheduler then never
 * finds anyone else's deadlines due, however far the test moves it.
 */
const DAY = 86_400_000;
const NEXT_DEADLINE = 'nextDeadline { kind dueAt consequence requestId }';

type Viewed = DisputeResult & {
  nextDeadline: {
    kind: string;
    dueAt: string;
    consequence: string;
    requestId: string | null;
  } | null;
};

interface Running {
  gateway: RunningGateway;
  clock: FakeClock;
  run: string;
  disputeIds: string[];
}

async function start(database: Database, settings: Record<string, string> = {}): Promise<Running> {
  const clock = new FakeClock('2020-01-06T00:00:00.000Z');
  const gateway = await startGateway(
    {
      WORKERS: 'inline',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
      ...settings,
    },
    database,
    { clock },
  );
  // A shared PostgreSQL database may hold other runs' events the projections have yet to catch up on.
  const head = await gateway.app.get<EventStore>(EVENT_STORE).headPosition();
  if (!(await gateway.app.get(ProjectionRunner).waitForPosition(head, 240_000))) {
    throw new Error('the projections did not catch up with the event store');
  }
  return { gateway, clock, run: randomBytes(4).toString('hex'), disputeIds: [] };
}

async function stop(r: Running | undefined): Promise<void> {
  if (!r) return;
  // PostgreSQL is shared between runs: leave none of this suite's deadlines armed.
  if (r.disputeIds.length) {
    await r.gateway.app
      .get<ReadDb>(READ_DB)
      .execute(sql`DELETE FROM read_models.deadlines WHERE dispute_id IN ${r.disputeIds}`)
      .catch(() => undefined);
  }
  await r.gateway.close();
}

/** The people and the GraphQL calls of one gateway. */
function actions(get: () => Running) {
  let counter = 0;
  const id = (prefix: string) => `${prefix}-${get().run}-${++counter}`;
  const url = () => get().gateway.url;

  async function view(who: Caller, disputeId: string): Promise<Viewed> {
    const response = await graphql<{ dispute: Viewed }>(
      url(),
      `query One($id: ID!) { dispute(id: $id) { ${DISPUTE_FIELDS} ${NEXT_DEADLINE} } }`,
      { token: who.token, variables: { id: disputeId } },
    );
    if (!response.body.data?.dispute)
      throw new Error(`dispute(${disputeId}): ${JSON.stringify(response.body.errors)}`);
    return response.body.data.dispute;
  }

  /** `dispute(id)` once the caller can see it (a party other than the writer waits for the projection). */
  async function visible(who: Caller, disputeId: string): Promise<Viewed> {
    const started = Date.now();
    for (;;) {
      try {
        return await view(who, disputeId);
      } catch (error) {
        if (Date.now() - started > 20_000) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Polls `dispute(id)` until `ready` holds: the projections follow the events within moments. */
  async function until(
    who: Caller,
    disputeId: string,
    ready: (v: Viewed) => boolean,
    what: string,
  ): Promise<Viewed> {
    const started = Date.now();
    for (;;) {
      const seen = await view(who, disputeId);
      if (ready(seen)) return seen;
      if (Date.now() - started > 20_000) {
        throw new Error(
          `${what} not seen in time; last view: ${JSON.stringify({ status: seen.status, nextDeadline: seen.nextDeadline })}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Waits until `kind` is the dispute's next deadline, as the scheduler holds it, and the view
   * (another projection) shows the same deadline armed: both have followed the event that armed it.
   */
  const armed = (who: Caller, disputeId: string, kind: string) =>
    until(
      who,
      disputeId,
      (v) => {
        const next = v.nextDeadline;
        if (next?.kind !== kind) return false;
        const sameInstant = (dueAt: string | null | undefined) =>
          dueAt != null && Date.parse(dueAt) === Date.parse(next.dueAt);
        return kind === 'EVIDENCE_REQUEST'
          ? v.evidenceRequests.some((r) => r.status === 'OPEN' && sameInstant(r.dueAt))
          : v.deadline?.kind === kind && sameInstant(v.deadline.dueAt);
      },
      `${kind} armed`,
    );

  /** Moves the clock a minute past the deadline and has the scheduler fire what is due. */
  async function pass(deadline: { dueAt: string }): Promise<void> {
    const { clock, gateway } = get();
    clock.set(new Date(Date.parse(deadline.dueAt) + 60_000));
    // The loop may fire it first; either way it fires once (leases and the command id).
    await gateway.app.get(DeadlineScheduler).tick();
  }

  async function people() {
    return {
      platform: await caller('platform', 'marketplace'),
      buyer: await caller('buyer', id('buyer')),
      seller: await caller('seller', id('seller')),
      mediator: await caller('mediator', id('mediator')),
    };
  }

  async function open(
    p: Awaited<ReturnType<typeof people>>,
    claim: Record<string, unknown>,
  ): Promise<string> {
    const orderId = id('order');
    await ok(url(), p.platform, 'placeOrder', {
      orderId,
      buyerId: p.buyer.id,
      sellerId: p.seller.id,
      total: eur(10_000),
      items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
    });
    await ok(url(), p.platform, 'shipOrder', {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'JD014600',
      deliveryDeadline: new Date(get().clock.now().getTime() + 10 * DAY).toISOString(),
    });
    get().clock.advance(DAY);
    const { disputeId } = await ok(url(), p.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived cracked',
      claim,
    });
    get().disputeIds.push(disputeId);
    return disputeId;
  }

  /** The seller accepts the buyer's claim they see (ACCEPT names it: PROPOSAL_CHANGED otherwise). */
  async function accept(p: Awaited<ReturnType<typeof people>>, disputeId: string): Promise<void> {
    // The seller's own view follows the opening through the projections: wait until it is there.
    const seen = await visible(p.seller, disputeId);
    const claim = seen.proposals.find((proposal) => proposal.proposer === 'buyer');
    await ok(url(), p.seller, 'respondToDispute', {
      disputeId,
      response: 'ACCEPT',
      comment: 'Send it back',
      proposalId: claim?.proposalId,
    });
  }

  return { url, view, until, armed, pass, people, open, accept };
}

const RETURN = { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' };
const ADDRESS = {
  name: 'Shop Returns',
  lines: ['1 Dock Road'],
  postalCode: 'E16 1AA',
  country: 'GB',
};

describeOnAllStores('automatic actions through the running gateway', (database) => {
  // One gateway per policy, one after the other: on a shared database two schedulers under
  // different policies would fire each other's disputes.
  describe('onSellerSilence: accept-buyer-proposal (the default)', () => {
    let r: Running;
    const a = actions(() => r);
    beforeAll(async () => {
      r = await start(database);
    }, 300_000);
    afterAll(() => stop(r));

    it('seller silence: the buyer’s proposal is accepted on the seller’s behalf (SELLER_TIMEOUT)', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'FULL_REFUND' });
      const opened = await a.armed(p.buyer, disputeId, 'SELLER_RESPONSE');
      expect(opened).toMatchObject({
        status: 'AWAITING_SELLER',
        nextDeadline: {
          consequence: 'BUYER_PROPOSAL_ACCEPTED',
          dueAt: new Date(r.clock.now().getTime() + 5 * DAY).toISOString(),
        },
      });

      await a.pass(opened.nextDeadline!);
      const timedOut = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING' && !v.nextDeadline,
        'refund pending',
      );
      expect(timedOut).toMatchObject({ refundDue: eur(10_000), nextDeadline: null });

      await ok(a.url(), p.platform, 'confirmRefundPayout', {
        disputeId,
        payoutReference: 'P-1',
        amount: eur(10_000),
      });
      const closed = await a.until(p.seller, disputeId, (v) => v.status === 'CLOSED', 'closed');
      expect(closed.outcome).toMatchObject({
        outcome: 'BUYER_FULL_REFUND',
        reachedBy: 'SELLER_TIMEOUT',
      });
    });

    it('replacement: the seller ships with tracking, the buyer confirms receipt and the dispute closes', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'REPLACEMENT' });
      await a.accept(p, disputeId);
      const awaiting = await a.armed(p.seller, disputeId, 'REPLACEMENT_SHIPMENT');
      expect(awaiting).toMatchObject({
        status: 'REPLACEMENT_AWAITING_SHIPMENT',
        nextDeadline: {
          consequence: 'REFUND_INSTEAD_OF_REPLACEMENT',
          dueAt: new Date(r.clock.now().getTime() + 5 * DAY).toISOString(),
        },
        nextAction: { action: 'SHIP_REPLACEMENT', ifMissed: 'REFUND_INSTEAD_OF_REPLACEMENT' },
        replacement: { kind: 'REPLACEMENT', trackingNumber: null },
        outcome: null,
      });

      r.clock.advance(2 * DAY);
      const shipped = await ok(a.url(), p.seller, 'shipReplacement', {
        disputeId,
        carrier: 'DHL',
        trackingNumber: 'JD0002',
      });
      expect(shipped).toMatchObject({
        status: 'REPLACEMENT_IN_TRANSIT',
        deadline: { kind: 'REPLACEMENT_COMPLAINT' },
        replacement: { carrier: 'DHL', trackingNumber: 'JD0002' },
      });
      const inTransit = await a.armed(p.buyer, disputeId, 'REPLACEMENT_COMPLAINT');
      expect(inTransit).toMatchObject({
        nextDeadline: {
          consequence: 'REPLACEMENT_DEEMED_RECEIVED',
          dueAt: new Date(r.clock.now().getTime() + 17 * DAY).toISOString(),
        },
        nextAction: { action: 'CONFIRM_REPLACEMENT_RECEIVED' },
        replacement: { trackingNumber: 'JD0002', complaintDueAt: expect.any(String) },
      });

      await ok(a.url(), p.buyer, 'confirmReplacementReceived', { disputeId });
      const closed = await a.until(
        p.seller,
        disputeId,
        (v) => v.status === 'CLOSED' && !v.nextDeadline,
        'closed',
      );
      expect(closed).toMatchObject({
        outcome: { outcome: 'REPLACEMENT', reachedBy: 'AGREEMENT', refundAmount: null },
        refunded: null,
        replacement: { receivedAt: expect.any(String) },
      });
    });

    it('replacement never shipped: once the ship deadline passes the buyer is refunded in full (SELLER_TIMEOUT)', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'RESEND' });
      await a.accept(p, disputeId);
      const awaiting = await a.armed(p.buyer, disputeId, 'REPLACEMENT_SHIPMENT');
      // The buyer waits; the seller must act, by the ship deadline the buyer is shown.
      expect(awaiting.nextAction).toMatchObject({
        actor: 'seller',
        action: 'SHIP_REPLACEMENT',
        dueAt: awaiting.nextDeadline!.dueAt,
        ifMissed: 'REFUND_INSTEAD_OF_REPLACEMENT',
        yours: false,
      });

      await a.pass(awaiting.nextDeadline!);
      const refunding = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING' && !v.nextDeadline,
        'refund pending',
      );
      expect(refunding).toMatchObject({ refundDue: eur(10_000) });
      const late = await mutate(a.url(), p.seller, 'shipReplacement', {
        disputeId,
        carrier: 'DHL',
        trackingNumber: 'TOO-LATE',
      });
      expect(late.code).toBe('REPLACEMENT_NOT_AWAITING_SHIPMENT');

      await ok(a.url(), p.platform, 'confirmRefundPayout', {
        disputeId,
        payoutReference: 'P-R',
        amount: eur(10_000),
      });
      const closed = await a.until(p.seller, disputeId, (v) => v.status === 'CLOSED', 'closed');
      expect(closed).toMatchObject({
        outcome: { outcome: 'BUYER_FULL_REFUND', reachedBy: 'SELLER_TIMEOUT' },
        refunded: eur(10_000),
      });
    });

    it('replacement: a problem reported in the window goes back to mediation; an unanswered window closes the dispute', async () => {
      const p = await a.people();
      const reported = await a.open(p, { kind: 'REPLACEMENT' });
      const quiet = await a.open(p, { kind: 'REPLACEMENT' });
      for (const disputeId of [reported, quiet]) {
        await a.accept(p, disputeId);
        await a.armed(p.seller, disputeId, 'REPLACEMENT_SHIPMENT');
        await ok(a.url(), p.seller, 'shipReplacement', {
          disputeId,
          carrier: 'DHL',
          trackingNumber: 'JD0003',
        });
      }

      const back = await ok(a.url(), p.buyer, 'reportReplacementProblem', {
        disputeId: reported,
        statement: 'The replacement is cracked as well',
      });
      expect(back).toMatchObject({
        status: 'IN_MEDIATION',
        deadline: null,
        outcome: null,
        replacement: { problemReported: 'The replacement is cracked as well' },
      });
      const queued = await a.until(
        p.seller,
        reported,
        (v) =>
          v.status === 'IN_MEDIATION' &&
          v.replacement?.problemReported === 'The replacement is cracked as well',
        'back in mediation',
      );
      expect(queued).toMatchObject({
        nextDeadline: null,
        replacement: { trackingNumber: 'JD0003', receivedAt: null },
      });
      await ok(a.url(), p.mediator, 'takeCase', { disputeId: reported });

      const window = await a.armed(p.buyer, quiet, 'REPLACEMENT_COMPLAINT');
      await a.pass(window.nextDeadline!);
      const closed = await a.until(p.buyer, quiet, (v) => v.status === 'CLOSED', 'closed');
      expect(closed.outcome).toMatchObject({ outcome: 'REPLACEMENT', reachedBy: 'AGREEMENT' });
      const late = await mutate(a.url(), p.buyer, 'reportReplacementProblem', {
        disputeId: quiet,
        statement: 'Too late',
      });
      expect(late.code).toBe('DISPUTE_CLOSED');
    });

    it('lists each dispute’s next deadline (one query per operation) and counts due deadlines on /metrics', async () => {
      const p = await a.people();
      const first = await a.open(p, { kind: 'FULL_REFUND' });
      const second = await a.open(p, { kind: 'PARTIAL_REFUND', amount: eur(2_000) });
      const armed = await a.armed(p.buyer, second, 'SELLER_RESPONSE');
      await a.armed(p.buyer, first, 'SELLER_RESPONSE');
      const nextFor = jest.spyOn(r.gateway.app.get(DeadlinesQueries), 'nextFor');
      const listed = await graphql<{ myDisputes: { edges: { node: Viewed }[] } }>(
        a.url(),
        `{ myDisputes(first: 10) { edges { node { disputeId ${NEXT_DEADLINE} } } } }`,
        { token: p.buyer.token },
      );
      expect(listed.body.errors).toBeUndefined();
      expect(nextFor).toHaveBeenCalledTimes(1);
      expect([...nextFor.mock.calls[0][0]].sort()).toEqual([first, second].sort());
      nextFor.mockRestore();
      const next = new Map(
        listed.body.data?.myDisputes.edges.map(({ node }) => [node.disputeId, node.nextDeadline]),
      );
      expect(next.get(first)).toMatchObject({
        kind: 'SELLER_RESPONSE',
        consequence: 'BUYER_PROPOSAL_ACCEPTED',
      });
      expect(next.get(second)).toEqual(armed.nextDeadline);

      // With the loop stopped, the deadlines past their dueAt are due, then overdue, until fired.
      const scheduler = r.gateway.app.get(DeadlineScheduler);
      await scheduler.stop();
      try {
        const metric = async (name: string) => {
          const text = await (await fetch(`${a.url()}/metrics`)).text();
          return Number(
            new RegExp(`^${name}\\{kind="SELLER_RESPONSE"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
          );
        };
        expect(await metric('arbiter_deadlines_scheduled')).toBeGreaterThanOrEqual(2);
        expect(await metric('arbiter_deadlines_due')).toBe(0);
        r.clock.set(new Date(Date.parse(armed.nextDeadline!.dueAt) + 30_000));
        expect(await metric('arbiter_deadlines_due')).toBe(2);
        // The first was opened a day earlier: it is past the 60 s grace already.
        expect(await metric('arbiter_deadlines_overdue')).toBe(1);
        r.clock.advance(10 * 60_000);
        expect(await metric('arbiter_deadlines_overdue')).toBe(2);
        expect((await scheduler.tick()).fired).toBe(2);
        expect(await metric('arbiter_deadlines_due')).toBe(0);
      } finally {
        scheduler.start();
      }
      await a.until(p.buyer, second, (v) => v.status === 'REFUND_PENDING', 'second refunded');
    });

    it('negotiation timeout → mediation; a lapsed evidence request; the appeal window closing → final', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'FULL_REFUND' });
      await ok(a.url(), p.seller, 'respondToDispute', {
        disputeId,
        response: 'COUNTER',
        comment: 'I can refund part',
        counterProposal: { kind: 'PARTIAL_REFUND', amount: eur(3_000) },
      });
      const negotiating = await a.armed(p.buyer, disputeId, 'NEGOTIATION');
      expect(negotiating).toMatchObject({
        status: 'NEGOTIATING',
        nextDeadline: { consequence: 'ESCALATED_TO_MEDIATION' },
      });

      await a.pass(negotiating.nextDeadline!);
      await a.until(p.buyer, disputeId, (v) => v.status === 'IN_MEDIATION', 'in mediation');

      await ok(a.url(), p.mediator, 'takeCase', { disputeId });
      await ok(a.url(), p.mediator, 'requestEvidence', {
        disputeId,
        from: 'buyer',
        prompt: 'A photo of the crack, please',
      });
      const requested = await a.armed(p.buyer, disputeId, 'EVIDENCE_REQUEST');
      const [request] = requested.evidenceRequests;
      expect(request).toMatchObject({ from: 'buyer', status: 'OPEN' });
      expect(requested.nextDeadline).toMatchObject({
        consequence: 'EVIDENCE_REQUEST_LAPSES',
        requestId: request.requestId,
      });

      await a.pass(requested.nextDeadline!);
      const lapsed = await a.until(
        p.buyer,
        disputeId,
        (v) => v.evidenceRequests[0]?.status === 'LAPSED' && !v.nextDeadline,
        'request lapsed',
      );
      expect(lapsed).toMatchObject({ status: 'IN_MEDIATION', nextDeadline: null });

      // The mediator may decide without it; nobody appeals within the window.
      await ok(a.url(), p.mediator, 'decideDispute', {
        disputeId,
        ruling: { kind: 'PARTIAL_REFUND', amount: eur(4_000) },
        rationale: 'Crack likely, no photo',
      });
      const decided = await a.armed(p.seller, disputeId, 'APPEAL_WINDOW');
      expect(decided).toMatchObject({
        status: 'DECIDED',
        decision: { final: false },
        nextDeadline: { consequence: 'DECISION_BECOMES_FINAL' },
      });

      await a.pass(decided.nextDeadline!);
      const final = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING',
        'decision final',
      );
      expect(final).toMatchObject({ refundDue: eur(4_000) });
      // Final: an appeal comes too late.
      const late = await mutate(a.url(), p.buyer, 'appealDecision', {
        disputeId,
        decisionId: decided.decision?.decisionId,
        newInformation: 'I found the photo',
      });
      expect(late).toMatchObject({ data: null, code: expect.stringMatching(/^[A-Z_]+$/) });
      await ok(a.url(), p.platform, 'confirmRefundPayout', {
        disputeId,
        payoutReference: 'P-2',
        amount: eur(4_000),
      });
      const closed = await a.until(p.buyer, disputeId, (v) => v.status === 'CLOSED', 'closed');
      expect(closed.outcome).toMatchObject({
        outcome: 'BUYER_PARTIAL_REFUND',
        reachedBy: 'MEDIATION',
      });
    });

    it('no return address in time: the buyer is refunded without returning the item', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, RETURN);
      await a.accept(p, disputeId);
      const requested = await a.armed(p.seller, disputeId, 'RETURN_ADDRESS');
      expect(requested).toMatchObject({
        status: 'RETURN_REQUESTED',
        nextDeadline: { consequence: 'REFUND_WITHOUT_RETURN' },
      });

      await a.pass(requested.nextDeadline!);
      const refunded = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING' && !v.nextDeadline,
        'refund pending',
      );
      expect(refunded).toMatchObject({ refundDue: eur(10_000), nextDeadline: null });
      expect(refunded.returnInfo?.address ?? null).toBeNull();
    });

    it('no return shipped in time: the dispute closes in the seller’s favour (RETURN_TIMEOUT)', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, RETURN);
      await a.accept(p, disputeId);
      await ok(a.url(), p.seller, 'provideReturnAddress', { disputeId, address: ADDRESS });
      const awaiting = await a.armed(p.buyer, disputeId, 'RETURN_SHIPMENT');
      expect(awaiting).toMatchObject({
        status: 'RETURN_AWAITING_SHIPMENT',
        nextDeadline: { consequence: 'CLOSED_IN_SELLER_FAVOUR' },
      });

      await a.pass(awaiting.nextDeadline!);
      const closed = await a.until(
        p.seller,
        disputeId,
        (v) => v.status === 'CLOSED' && !v.nextDeadline,
        'closed',
      );
      expect(closed).toMatchObject({
        // The agreed ruling was a return and refund; what happened is the seller's favour, no refund.
        outcome: {
          outcome: 'SELLER_FAVOUR',
          reachedBy: 'RETURN_TIMEOUT',
          ruling: { kind: 'SELLER_FAVOUR' },
          refundAmount: null,
        },
        refundDue: null,
        nextDeadline: null,
      });
    });

    it('a delivered return the seller does not confirm in time: the buyer is refunded', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, RETURN);
      await a.accept(p, disputeId);
      await ok(a.url(), p.seller, 'provideReturnAddress', { disputeId, address: ADDRESS });
      await ok(a.url(), p.buyer, 'shipReturn', {
        disputeId,
        carrier: 'Royal Mail',
        trackingNumber: 'RM123456789GB',
      });
      // In transit only the platform's delivery record is due; the seller may confirm arrival.
      // No refund by timer for a return that may never arrive. (The view and the deadlines are
      // two projections: `armed` waits for both to follow.)
      const inTransit = await a.armed(p.seller, disputeId, 'RETURN_DELIVERY');
      expect(inTransit).toMatchObject({
        status: 'RETURN_IN_TRANSIT',
        nextDeadline: { consequence: 'ESCALATED_TO_MEDIATION' },
        nextAction: { action: 'CONFIRM_RETURN_RECEIVED', ifMissed: 'ESCALATED_TO_MEDIATION' },
      });

      await ok(a.url(), p.platform, 'recordReturnDelivery', { disputeId });
      const delivered = await a.armed(p.seller, disputeId, 'RETURN_RECEIPT');
      expect(delivered).toMatchObject({
        status: 'RETURN_IN_TRANSIT',
        nextDeadline: { consequence: 'REFUND_RELEASED' },
      });

      await a.pass(delivered.nextDeadline!);
      const refunded = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING' && !v.nextDeadline,
        'refund pending',
      );
      expect(refunded).toMatchObject({ refundDue: eur(10_000), nextDeadline: null });
      expect(refunded.returnInfo?.receivedAt ?? null).toBeNull();
    });

    it('a seller’s reject after the response deadline is refused, fired or not', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'FULL_REFUND' });
      const opened = await a.armed(p.buyer, disputeId, 'SELLER_RESPONSE');
      // A day late; the scheduler may or may not have fired yet: either way the seller loses.
      r.clock.set(new Date(Date.parse(opened.nextDeadline!.dueAt) + DAY));
      const late = await mutate(a.url(), p.seller, 'respondToDispute', {
        disputeId,
        response: 'REJECT',
        comment: 'Too late, but no',
      });
      expect(['DEADLINE_PASSED', 'DISPUTE_NOT_AWAITING_SELLER']).toContain(late.code);
      await a.pass(opened.nextDeadline!);
      const refunded = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'REFUND_PENDING',
        'refund pending',
      );
      expect(refunded).toMatchObject({ refundDue: eur(10_000) });
    });

    it('a return never recorded as delivered goes to a mediator; a late record is refused', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, RETURN);
      await a.accept(p, disputeId);
      await ok(a.url(), p.seller, 'provideReturnAddress', { disputeId, address: ADDRESS });
      await ok(a.url(), p.buyer, 'shipReturn', {
        disputeId,
        carrier: 'Royal Mail',
        trackingNumber: 'RM123456789GB',
      });
      const inTransit = await a.armed(p.buyer, disputeId, 'RETURN_DELIVERY');
      await a.pass(inTransit.nextDeadline!);
      const inMediation = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'IN_MEDIATION' && !v.nextDeadline,
        'in mediation',
      );
      expect(inMediation).toMatchObject({ refundDue: null, outcome: null });
      const late = await mutate(a.url(), p.platform, 'recordReturnDelivery', { disputeId });
      expect(late.code).toBe('RETURN_NOT_IN_TRANSIT');
    });
  });

  describe('onSellerSilence: escalate (ON_SELLER_SILENCE)', () => {
    let r: Running;
    const a = actions(() => r);
    beforeAll(async () => {
      r = await start(database, { ON_SELLER_SILENCE: 'escalate' });
    }, 300_000);
    afterAll(() => stop(r));

    it('seller silence: the dispute goes to mediation instead', async () => {
      const p = await a.people();
      const disputeId = await a.open(p, { kind: 'FULL_REFUND' });
      const opened = await a.armed(p.buyer, disputeId, 'SELLER_RESPONSE');
      expect(opened.nextDeadline).toMatchObject({ consequence: 'ESCALATED_TO_MEDIATION' });
      // The seller's own view (read model) tells the same consequence: views fold under the
      // deployment's policy, not the default.
      const sellerSees = await a.until(
        p.seller,
        disputeId,
        (v) => v.nextAction !== null,
        'seller next action',
      );
      expect(sellerSees.nextAction).toMatchObject({
        action: 'RESPOND_TO_DISPUTE',
        ifMissed: 'ESCALATED_TO_MEDIATION',
      });

      await a.pass(opened.nextDeadline!);
      const escalated = await a.until(
        p.buyer,
        disputeId,
        (v) => v.status === 'IN_MEDIATION',
        'in mediation',
      );
      expect(escalated).toMatchObject({ refundDue: null, outcome: null });
      // The buyer's claim stands unaccepted; a mediator takes it from the queue.
      expect(escalated.proposals.find((proposal) => proposal.proposer === 'buyer')).toMatchObject({
        solution: { kind: 'FULL_REFUND' },
      });
    });
  });
});
