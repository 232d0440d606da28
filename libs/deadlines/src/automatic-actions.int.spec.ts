import {
  type DeadlineKind,
  definePolicy,
  type Dispute,
  type DisputePolicy,
  fromEpochMs,
  nextActionFor,
  toEpochMs,
} from '@arbiter/disputes';
import type { ProjectionRunner } from '@arbiter/read-models/runner';
import { readTestDatabases } from '@arbiter/read-models/testing/read-databases';
import { deadlinesOf, nextDeadlineOf } from './queries';
import type { DeadlineScheduler } from './scheduler';
import {
  ADDRESS,
  buyer,
  DeadlinesHarness,
  mediator,
  partial,
  seller,
  types,
  withReturn,
} from './testing/harness';

/**
 * Every automatic action of the deadline table (docs/domain.md#deadlines-and-automatic-actions),
 * end to end below the GraphQL edge: the commands go through `handleCommand` with the real decider
 * (what the command side's handlers do), the process manager stores each deadline, the scheduler's
 * loop fires it on a fake clock, and the outcome shows in the stream, the folded state and the
 * deadline queries.
 * (No GraphQL mutations exist yet; test/e2e/deadlines-*.e2e.spec.ts will drive the same through the gateway.)
 */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function suite(name: string, policy: DisputePolicy, body: (ctx: () => Ctx) => void) {
  describe.each(readTestDatabases())(`${name} on %s`, (_kind, openDatabase) => {
    let ctx: Ctx;
    let n = 0;
    beforeAll(async () => {
      const h = await DeadlinesHarness.open(openDatabase, policy);
      const runner = h.startProcessManager();
      const scheduler = h.scheduler({ pollIntervalMs: 20 });
      scheduler.start();
      ctx = new Ctx(h, runner, scheduler);
    });
    afterAll(() => ctx.h.close());
    beforeEach(() => {
      ctx.h.clock.set('2026-03-07T00:00:00.000Z');
      ctx.disputeId = `auto-${++n}`;
    });
    body(() => ctx);
  });
}

class Ctx {
  disputeId = '';
  constructor(
    readonly h: DeadlinesHarness,
    readonly runner: ProjectionRunner,
    readonly scheduler: DeadlineScheduler,
  ) {}

  async state(): Promise<Dispute> {
    return (await this.h.state(this.disputeId)) as Dispute;
  }

  /** The dispute's next deadline as views show it, once the process manager caught up. */
  async next() {
    await this.h.settle(this.runner, (await this.h.history(this.disputeId)).at(-1)?.position ?? 0n);
    return (await nextDeadlineOf(this.h.db, [this.disputeId])).get(this.disputeId) ?? null;
  }

  /** Moves the clock to the next deadline (which must be `kind`) and waits until it has fired. */
  async passDeadline(kind: DeadlineKind): Promise<string[]> {
    const next = await this.next();
    expect(next?.kind).toBe(kind);
    const before = (await this.h.history(this.disputeId)).length;
    this.h.clock.set(new Date(toEpochMs(next!.dueAt)));
    this.scheduler.wake();
    await eventually(async () =>
      (await this.h.history(this.disputeId)).some(
        (e, i) => i >= before && e.type === 'DeadlinePassed',
      ),
    );
    const history = await this.h.history(this.disputeId);
    await this.h.settle(this.runner, history.at(-1)!.position);
    const appended = history.slice(before);
    expect(appended[0].data).toMatchObject({ kind, dueAt: next!.dueAt, by: { role: 'system' } });
    return types(appended);
  }

  async escalated() {
    await this.h.open(this.disputeId);
    this.h.clock.advanceDays(1);
    await this.h.counter(this.disputeId);
    this.h.clock.advanceDays(3);
    await this.h.send(this.disputeId, 'EscalateDispute', buyer, {});
    await this.h.send(this.disputeId, 'TakeCase', mediator, {});
  }

  async decided() {
    await this.escalated();
    await this.h.send(this.disputeId, 'DecideDispute', mediator, {
      decisionId: `${this.disputeId}-dec`,
      ruling: partial(5000),
      rationale: 'Photos show damage',
    });
  }

  async returnRequested() {
    await this.h.open(this.disputeId);
    this.h.clock.advanceDays(1);
    await this.h.counter(this.disputeId, withReturn(6000));
    await this.h.send(this.disputeId, 'AcceptProposal', buyer, {
      proposalId: `${this.disputeId}-p-seller`,
    });
  }
}

suite(
  'seller silence, accept-buyer-proposal',
  definePolicy({ onSellerSilence: 'accept-buyer-proposal' }),
  (ctx) => {
    it('accepts the buyer’s proposal on the seller’s behalf after sellerResponseDays', async () => {
      const c = ctx();
      await c.h.open(c.disputeId);
      const next = await c.next();
      expect(next).toMatchObject({
        kind: 'SELLER_RESPONSE',
        dueAt: '2026-03-12T00:00:00.000Z',
        consequence: 'BUYER_PROPOSAL_ACCEPTED',
      });
      const seen = nextActionFor(await c.state(), 'seller', c.h.policy);
      expect(seen).toMatchObject({ action: 'RESPOND_TO_DISPUTE', dueAt: next!.dueAt });

      expect(await c.passDeadline('SELLER_RESPONSE')).toEqual([
        'DeadlinePassed',
        'ProposalAccepted',
        'DisputeResolved',
      ]);
      const state = await c.state();
      expect(state.status).toBe('REFUND_PENDING');
      expect(state.resolution).toMatchObject({
        reachedBy: 'SELLER_TIMEOUT',
        outcome: 'BUYER_FULL_REFUND',
      });
      expect(await c.next()).toBeNull();
    });

    it('a deadline stored before a restart fires after it, once', async () => {
      const c = ctx();
      await c.h.open(c.disputeId);
      await c.next();
      // The scheduler process dies; time passes while nothing runs; a new one starts.
      await c.scheduler.stop();
      c.h.clock.advanceDays(6);
      const replacement = c.h.scheduler({ pollIntervalMs: 20 });
      replacement.start();
      await eventually(async () =>
        (await c.h.history(c.disputeId)).some((e) => e.type === 'DeadlinePassed'),
      );
      const history = await c.h.history(c.disputeId);
      expect(types(history).filter((t) => t === 'DeadlinePassed')).toHaveLength(1);
      // Fired late, dated when it actually fired.
      expect(history[1].data).toMatchObject({
        dueAt: '2026-03-12T00:00:00.000Z',
        at: fromEpochMs(toEpochMs('2026-03-13T00:00:00.000Z')),
      });
      await replacement.stop();
      c.scheduler.start();
    });

    it('negotiation timeout escalates to mediation by itself', async () => {
      const c = ctx();
      await c.h.open(c.disputeId);
      c.h.clock.advanceDays(1);
      await c.h.counter(c.disputeId);
      expect(await c.next()).toMatchObject({
        kind: 'NEGOTIATION',
        dueAt: '2026-03-23T00:00:00.000Z',
        consequence: 'ESCALATED_TO_MEDIATION',
      });
      expect(await c.passDeadline('NEGOTIATION')).toEqual(['DeadlinePassed', 'DisputeEscalated']);
      const state = await c.state();
      expect(state.status).toBe('IN_MEDIATION');
      expect((await c.h.history(c.disputeId)).at(-1)?.data).toMatchObject({
        trigger: 'NEGOTIATION_TIMEOUT',
      });
      expect(await c.next()).toBeNull();
    });

    it('an evidence request lapses, and the mediator may decide without it', async () => {
      const c = ctx();
      await c.escalated();
      await c.h.send(c.disputeId, 'RequestEvidence', mediator, {
        requestId: `${c.disputeId}-r1`,
        from: 'buyer',
        prompt: 'Photos please',
      });
      expect(await c.next()).toMatchObject({
        kind: 'EVIDENCE_REQUEST',
        requestId: `${c.disputeId}-r1`,
        consequence: 'EVIDENCE_REQUEST_LAPSES',
      });

      expect(await c.passDeadline('EVIDENCE_REQUEST')).toEqual(['DeadlinePassed']);
      expect((await c.state()).evidenceRequests).toEqual([
        expect.objectContaining({ requestId: `${c.disputeId}-r1`, status: 'LAPSED' }),
      ]);
      expect(await deadlinesOf(c.h.db, c.disputeId)).toEqual([]);
      const decided = await c.h.send(c.disputeId, 'DecideDispute', mediator, {
        decisionId: `${c.disputeId}-dec`,
        ruling: partial(2000),
        rationale: 'No photos came',
      });
      expect(types(decided)).toEqual(['DisputeDecided']);
    });

    it('the appeal window closing makes the decision final', async () => {
      const c = ctx();
      await c.decided();
      expect(await c.next()).toMatchObject({
        kind: 'APPEAL_WINDOW',
        consequence: 'DECISION_BECOMES_FINAL',
      });
      expect(nextActionFor(await c.state(), 'buyer', c.h.policy)).toMatchObject({
        action: 'ACCEPT_OR_APPEAL_DECISION',
      });
      expect(await c.passDeadline('APPEAL_WINDOW')).toEqual(['DeadlinePassed', 'DisputeResolved']);
      const state = await c.state();
      expect(state.status).toBe('REFUND_PENDING');
      expect(state.resolution).toMatchObject({
        reachedBy: 'MEDIATION',
        outcome: 'BUYER_PARTIAL_REFUND',
      });
      expect(await c.next()).toBeNull();
    });

    it('no return address: refund without return', async () => {
      const c = ctx();
      await c.returnRequested();
      expect(await c.next()).toMatchObject({
        kind: 'RETURN_ADDRESS',
        consequence: 'REFUND_WITHOUT_RETURN',
      });
      expect(await c.passDeadline('RETURN_ADDRESS')).toEqual(['DeadlinePassed', 'RefundReleased']);
      const state = await c.state();
      expect(state).toMatchObject({ status: 'REFUND_PENDING', refundReachedBy: 'RETURN_TIMEOUT' });
      expect((await c.h.history(c.disputeId)).at(-1)?.data).toMatchObject({
        cause: 'NO_RETURN_ADDRESS',
      });
    });

    it('no return shipped: closed in the seller’s favour', async () => {
      const c = ctx();
      await c.returnRequested();
      await c.h.send(c.disputeId, 'ProvideReturnAddress', seller, { address: ADDRESS });
      expect(await c.next()).toMatchObject({
        kind: 'RETURN_SHIPMENT',
        consequence: 'CLOSED_IN_SELLER_FAVOUR',
      });
      expect(await c.passDeadline('RETURN_SHIPMENT')).toEqual(['DeadlinePassed', 'DisputeClosed']);
      expect(await c.state()).toMatchObject({
        status: 'CLOSED',
        outcome: 'SELLER_FAVOUR',
        reachedBy: 'RETURN_TIMEOUT',
      });
      expect(await c.next()).toBeNull();
    });

    it('a return never recorded as delivered goes to a mediator, not to a refund', async () => {
      const c = ctx();
      await c.returnRequested();
      await c.h.send(c.disputeId, 'ProvideReturnAddress', seller, { address: ADDRESS });
      await c.h.send(c.disputeId, 'ShipReturn', buyer, {
        carrier: 'bpost',
        trackingNumber: 'TRK-1',
      });
      expect(await c.next()).toMatchObject({
        kind: 'RETURN_DELIVERY',
        consequence: 'ESCALATED_TO_MEDIATION',
      });
      expect(nextActionFor(await c.state(), 'platform', c.h.policy)).toMatchObject({
        action: 'RECORD_RETURN_DELIVERY',
        ifMissed: 'ESCALATED_TO_MEDIATION',
      });
      expect(await c.passDeadline('RETURN_DELIVERY')).toEqual([
        'DeadlinePassed',
        'DisputeEscalated',
      ]);
      expect(await c.state()).toMatchObject({
        status: 'IN_MEDIATION',
        resolution: null,
        refundDue: null,
      });
    });

    it('receipt of a delivered return never confirmed: the refund is released', async () => {
      const c = ctx();
      await c.returnRequested();
      await c.h.send(c.disputeId, 'ProvideReturnAddress', seller, { address: ADDRESS });
      await c.h.send(c.disputeId, 'ShipReturn', buyer, {
        carrier: 'bpost',
        trackingNumber: 'TRK-1',
      });
      c.h.clock.advanceDays(3);
      await c.h.send(c.disputeId, 'RecordReturnDelivery', { id: 'platform', role: 'platform' }, {});
      expect(await c.next()).toMatchObject({
        kind: 'RETURN_RECEIPT',
        consequence: 'REFUND_RELEASED',
      });
      expect(await c.passDeadline('RETURN_RECEIPT')).toEqual(['DeadlinePassed', 'RefundReleased']);
      expect(await c.state()).toMatchObject({
        status: 'REFUND_PENDING',
        refundReachedBy: 'RETURN_TIMEOUT',
      });
      expect((await c.h.history(c.disputeId)).at(-1)?.data).toMatchObject({
        cause: 'RECEIPT_NOT_CONFIRMED',
      });
    });
  },
);

suite('seller silence, escalate', definePolicy({ onSellerSilence: 'escalate' }), (ctx) => {
  it('escalates to mediation after sellerResponseDays', async () => {
    const c = ctx();
    await c.h.open(c.disputeId);
    expect(await c.next()).toMatchObject({
      kind: 'SELLER_RESPONSE',
      consequence: 'ESCALATED_TO_MEDIATION',
    });
    expect(await c.passDeadline('SELLER_RESPONSE')).toEqual(['DeadlinePassed', 'DisputeEscalated']);
    expect(await c.state()).toMatchObject({ status: 'IN_MEDIATION', resolution: null });
    expect((await c.h.history(c.disputeId)).at(-1)?.data).toMatchObject({
      trigger: 'SELLER_SILENCE',
    });
    expect(await c.next()).toBeNull();
  });
});
