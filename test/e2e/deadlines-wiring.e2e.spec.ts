import {
  decide,
  DEFAULT_POLICY,
  disputeStreamId,
  evolve,
  fromEpochMs,
  initialState,
  money,
} from '@arbiter/disputes';
import type { DisputeCommand, DisputeEvent, DisputeState } from '@arbiter/disputes';
import { handleCommand, type Decider } from '@arbiter/disputes/application/command-handling';
import { DeadlinesQueries } from '@arbiter/deadlines';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import { READ_DB, type ReadDb } from '@arbiter/read-models';
import { sql } from 'drizzle-orm';
import { describeOnDatabases, RunningGateway, startGateway } from './support/gateway';

/**
 * The gateway with WORKERS=inline runs the deadline process manager and scheduler; `/metrics`
 * shows the deadlines it holds. The dispute is opened through `handleCommand` with the domain's
 * decider (the GraphQL mutations are not there yet); each automatic action's firing is covered
 * on a fake clock in libs/deadlines/src/automatic-actions.int.spec.ts.
 */
describeOnDatabases('deadlines in the gateway', (database) => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ WORKERS: 'inline' }, database);
  });
  afterAll(async () => {
    // PostgreSQL runs share DATABASE_URL's database: leave no deadline of this suite behind.
    await gateway?.app
      .get<ReadDb>(READ_DB)
      .execute(sql`DELETE FROM read_models.deadlines WHERE dispute_id LIKE 'e2e-deadline-%'`)
      .catch(() => undefined);
    await gateway?.close();
  });

  it('stores the deadline an opened dispute announces and reports it on /metrics', async () => {
    const store = gateway.app.get<EventStore>(EVENT_STORE);
    const disputeId = `e2e-deadline-${Date.now()}`;
    const now = new Date();
    const opening: DisputeCommand = {
      type: 'OpenDispute',
      data: {
        disputeId,
        proposalId: `${disputeId}-p`,
        reason: 'NOT_AS_DESCRIBED',
        description: 'The colour is wrong',
        claim: { kind: 'FULL_REFUND' },
        order: {
          orderId: `order-${disputeId}`,
          buyerId: 'buyer-1',
          sellerId: 'seller-1',
          total: money(10_000, 'EUR'),
          refunded: money(0, 'EUR'),
          shippedAt: fromEpochMs(now.getTime() - 6 * 86_400_000),
          deliveryDeadline: fromEpochMs(now.getTime() + 10 * 86_400_000),
          deliveryConfirmedAt: null,
          previousDispute: null,
        },
      },
      metadata: { actor: { id: 'buyer-1', role: 'buyer' }, now: fromEpochMs(now.getTime()) },
    };
    const decider: Decider<DisputeCommand, DisputeEvent, DisputeState> = {
      initialState,
      evolve,
      decide: (command, state) => decide(command, state, DEFAULT_POLICY),
    };
    await handleCommand(store, disputeStreamId(disputeId), opening, decider, {
      commandId: `${disputeId}-open`,
      actor: { id: 'buyer-1', role: 'buyer' },
    });

    const queries = gateway.app.get(DeadlinesQueries);
    const started = Date.now();
    while ((await queries.forDispute(disputeId)).length === 0) {
      if (Date.now() - started > 15_000)
        throw new Error('the process manager did not store the deadline');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await queries.forDispute(disputeId)).toEqual([
      expect.objectContaining({
        kind: 'SELLER_RESPONSE',
        dueAt: fromEpochMs(now.getTime() + 5 * 86_400_000),
        firedAt: null,
      }),
    ]);

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/arbiter_deadlines_scheduled\{kind="SELLER_RESPONSE"\} [1-9]/);
    expect(metrics).toContain('# TYPE arbiter_deadlines_due gauge');
    expect(metrics).toContain('# TYPE arbiter_deadlines_overdue gauge');
  });
});
