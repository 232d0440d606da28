import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '@arbiter/event-store/testing';
import { Actor, Dispute, DomainError, disputeStreamId, orderStreamId, REDACTED } from '../domain';
import { AddEvidenceCommand } from './add-evidence/add-evidence';
import { verifyChain } from './audit-chain';
import { ConfirmRefundPayoutCommand } from './confirm-refund-payout/confirm-refund-payout';
import { OpenDisputeCommand } from './open-dispute/open-dispute';
import {
  DisputesUnderTest,
  eur,
  PLATFORM,
  shippedOrder,
  startDisputes,
  StoreUnderTest,
} from './testing';
import { DisputeCommandMessage } from './dispute-command';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const senior: Actor = { id: 'senior-1', role: 'senior_mediator' };
const analyst: Actor = { id: 'analyst-1', role: 'analyst' };
const stranger: Actor = { id: 'buyer-9', role: 'buyer' };
const T0 = '2026-03-01T00:00:00.000Z';

function commandSuite(store: () => StoreUnderTest) {
  let d: DisputesUnderTest;
  let orders = 0;
  beforeAll(async () => {
    d = await startDisputes(store());
  });
  beforeEach(() => d.clock.set(T0));
  afterAll(() => d?.close());

  async function openedDispute(): Promise<string> {
    return (await openedWithClaim()).disputeId;
  }

  async function openedWithClaim(): Promise<{ disputeId: string; claimId: string }> {
    const orderId = `order-${++orders}`;
    await shippedOrder(d, orderId, { buyerId: buyer.id, sellerId: seller.id });
    d.clock.advanceDays(1);
    const claim = { kind: 'FULL_REFUND' } as const;
    const outcome = await d.bus.execute(
      new OpenDisputeCommand(
        orderId,
        { reason: 'QUALITY_ISSUE', description: 'It broke', claim },
        d.as(buyer),
      ),
    );
    const claimId = (outcome.state as Dispute).proposals.buyer?.proposalId ?? '';
    return { disputeId: outcome.disputeId, claimId };
  }
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (e: DomainError) => e.code ?? String(e),
    );

  it('decides again after revision conflicts: 40 concurrent writers lose nothing', async () => {
    const disputeId = await openedDispute();
    const writes = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? d.bus.execute(
            new DisputeCommandMessage(
              'PostMessage',
              disputeId,
              { body: `message ${i}` },
              d.as(i % 4 === 0 ? buyer : seller),
            ),
          )
        : d.bus.execute(
            new AddEvidenceCommand(
              disputeId,
              { kind: 'TEXT', text: `evidence ${i}`, description: 'note' },
              d.as(buyer),
            ),
          ),
    );
    await Promise.all(writes);
    const events = await d.store.readStream(disputeStreamId(disputeId));
    expect(events).toHaveLength(41);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
    expect(verifyChain(events).intact).toBe(true);
    const view = await d.reader.view(buyer, disputeId);
    expect(view?.messages).toHaveLength(20);
    expect(view?.evidence).toHaveLength(20);
  });

  it('never dates an event before the one it follows, however concurrent commands land', async () => {
    const disputeId = await openedDispute();
    const start = d.clock.now().getTime();
    // Each command reads the clock when it is issued, the later ones earlier in time, and all
    // race for the same revision: whoever retries lands after events dated later than its clock.
    const writes = Array.from({ length: 30 }, (_, i) => {
      d.clock.set(new Date(start + (30 - i) * 1000));
      return d.bus.execute(
        new DisputeCommandMessage(
          'PostMessage',
          disputeId,
          { body: `message ${i}` },
          d.as(i % 2 ? buyer : seller),
        ),
      );
    });
    await Promise.all(writes);
    const events = await d.store.readStream(disputeStreamId(disputeId));
    expect(events).toHaveLength(31);
    const times = events.map((e) => Date.parse((e.data as { at: string }).at));
    const backwards = times.filter((at, i) => i > 0 && at < times[i - 1]);
    expect(backwards).toEqual([]);
  });

  it('carries a dispute through mediation, appeal and payout, with views shaped by role', async () => {
    const disputeId = await openedDispute();
    const run = <T>(command: T) => d.bus.execute(command as never) as Promise<{ state: Dispute }>;
    await run(
      new DisputeCommandMessage(
        'RespondToDispute',
        disputeId,
        { response: 'REJECT', comment: 'Works for me' },
        d.as(seller),
      ),
    );
    await run(new DisputeCommandMessage('EscalateDispute', disputeId, {}, d.as(buyer)));
    await run(new DisputeCommandMessage('TakeCase', disputeId, {}, d.as(mediator)));
    await run(
      new DisputeCommandMessage(
        'AddInternalNote',
        disputeId,
        { note: 'Buyer seems honest' },
        d.as(mediator),
      ),
    );
    const decided = await run(
      new DisputeCommandMessage(
        'DecideDispute',
        disputeId,
        { ruling: { kind: 'PARTIAL_REFUND', amount: eur(3_000) }, rationale: 'Half-working' },
        d.as(mediator),
      ),
    );
    const decisionId = decided.state.decision?.decisionId as string;
    await run(
      new DisputeCommandMessage(
        'AppealDecision',
        disputeId,
        { decisionId, newInformation: 'A repair quote' },
        d.as(buyer),
      ),
    );
    await run(new DisputeCommandMessage('TakeCase', disputeId, {}, d.as(senior)));
    const final = await run(
      new DisputeCommandMessage(
        'DecideAppeal',
        disputeId,
        { ruling: { kind: 'FULL_REFUND' }, rationale: 'The quote shows it is broken' },
        d.as(senior),
      ),
    );
    expect(final.state).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(10_000) });
    expect(
      await codeOf(
        run(new DisputeCommandMessage('AcceptDecision', disputeId, { decisionId }, d.as(seller))),
      ),
    ).toBe('DISPUTE_NOT_DECIDED');

    const paid = await run(
      new ConfirmRefundPayoutCommand(
        disputeId,
        { payoutReference: 'PAY-1', amount: eur(10_000) },
        d.as(PLATFORM),
      ),
    );
    expect(paid.state).toMatchObject({
      status: 'CLOSED',
      outcome: 'BUYER_FULL_REFUND',
      reachedBy: 'APPEAL',
    });
    const order = await d.store.readStream(orderStreamId(paid.state.orderId));
    expect(order.at(-1)).toMatchObject({
      type: 'OrderRefundPaidOut',
      data: { amount: eur(10_000), disputeId },
    });

    const forBuyer = await d.reader.view(buyer, disputeId);
    const forMediator = await d.reader.view(mediator, disputeId);
    const forAnalyst = await d.reader.view(analyst, disputeId);
    expect(forBuyer?.internalNotes).toEqual([]);
    expect(forBuyer?.mediatorId).toBeNull();
    expect(forMediator?.internalNotes).toHaveLength(1);
    expect(forMediator?.decision).toMatchObject({
      stage: 'APPEAL',
      rationale: 'The quote shows it is broken',
    });
    expect(forAnalyst?.description).toBe(REDACTED);
    expect(forAnalyst?.appeals[0].newInformation).toBe(REDACTED);
    expect(await d.reader.view(stranger, disputeId)).toBeNull();
  });

  it('fires the seller-silence deadline in process: the buyer is refunded, once', async () => {
    const disputeId = await openedDispute();
    const [deadline] = await d.deadlines.pending(disputeId);
    expect(deadline).toMatchObject({
      kind: 'SELLER_RESPONSE',
      consequence: 'BUYER_PROPOSAL_ACCEPTED',
    });
    expect(await codeOf(d.deadlines.fire(disputeId, deadline))).toBe('DEADLINE_NOT_DUE');
    d.clock.set(deadline.dueAt);
    const fired = await d.deadlines.fire(disputeId, deadline, { correlationId: 'tick-1' });
    expect(fired.state).toMatchObject({
      status: 'REFUND_PENDING',
      refundReachedBy: 'SELLER_TIMEOUT',
    });
    const again = await d.deadlines.fire(disputeId, deadline);
    expect(again.replayed).toBe(true);
    const events = await d.store.readStream(disputeStreamId(disputeId));
    expect(events.at(-1)?.metadata).toMatchObject({
      actor: { role: 'system' },
      correlationId: 'tick-1',
    });
  });

  it('accepts only the claim the seller names: a replaced claim is refused', async () => {
    const { disputeId, claimId } = await openedWithClaim();
    await d.bus.execute(
      new DisputeCommandMessage(
        'SubmitProposal',
        disputeId,
        { solution: { kind: 'RESEND' } },
        d.as(buyer),
      ),
    );
    const accept = new DisputeCommandMessage(
      'RespondToDispute',
      disputeId,
      { response: 'ACCEPT', comment: 'Sorry', proposalId: claimId },
      d.as(seller),
    );
    expect(await codeOf(d.bus.execute(accept))).toBe('PROPOSAL_CHANGED');
  });

  it('tells someone else nothing about a dispute, whatever its state', async () => {
    const { disputeId, claimId } = await openedWithClaim();
    await d.bus.execute(
      new DisputeCommandMessage(
        'RespondToDispute',
        disputeId,
        { response: 'ACCEPT', comment: 'Sorry', proposalId: claimId },
        d.as(seller),
      ),
    );
    // The decider checks "closed?" before "yours?"; the handler answers NOT_A_PARTY first.
    expect(
      await codeOf(
        d.bus.execute(
          new DisputeCommandMessage('PostMessage', disputeId, { body: 'hi' }, d.as(stranger)),
        ),
      ),
    ).toBe('NOT_A_PARTY');
    expect(
      await codeOf(
        d.bus.execute(
          new DisputeCommandMessage('PostMessage', 'no-such', { body: 'hi' }, d.as(stranger)),
        ),
      ),
    ).toBe('DISPUTE_NOT_FOUND');
  });
}

describe('dispute commands [memory]', () => commandSuite(() => 'memory'));
describe('dispute commands [pglite]', () => commandSuite(() => 'pglite'));
describeWithPostgres('dispute commands [postgres]', (url) => {
  let schema: PostgresTestSchema;
  beforeAll(async () => {
    schema = await openPostgresTestSchema(url, { prefix: 'cmds' });
  });
  afterAll(() => schema?.cleanup());
  commandSuite(() => ({ connection: schema.connection, schema: schema.schema }));
});
