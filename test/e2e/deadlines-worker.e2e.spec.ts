import { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DeadlineScheduler, DeadlinesQueries } from '@arbiter/deadlines';
import {
  commandIdFor,
  DISPUTE_POLICY,
  DisputeStreams,
  OpenDisputeCommand,
  OrderCommandMessage,
} from '@arbiter/disputes/application';
import type { DisputePolicy } from '@arbiter/disputes';
import { FakeClock, validateConfig } from '@arbiter/platform';
import { createWorker } from '../../apps/worker/src/worker';

/**
 * The worker (scale-out) runs the process manager and the scheduler on its own: it takes the
 * configured policy and the clock it is given, and fires through the command side. PGlite in
 * memory is private to the process, so the dispute is made through the worker's own command bus.
 */
describe('deadlines in the worker', () => {
  let app: INestApplication;
  const clock = new FakeClock('2020-01-06T00:00:00.000Z');
  beforeAll(async () => {
    const config = validateConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      EVENT_STORE: 'memory',
      ON_SELLER_SILENCE: 'escalate',
    });
    app = await createWorker(config, { clock });
    await app.init();
  });
  afterAll(() => app?.close());

  it('fires a due deadline under the configured seller-silence policy, dated by the given clock', async () => {
    expect(app.get<DisputePolicy>(DISPUTE_POLICY, { strict: false }).onSellerSilence).toBe(
      'escalate',
    );
    const bus = app.get(CommandBus, { strict: false });
    const platform = { id: 'marketplace', role: 'platform' } as const;
    const buyer = { id: 'w-buyer', role: 'buyer' } as const;
    const issued = (actor: { id: string; role: string }, key: string) =>
      ({ actor, commandId: commandIdFor(actor, key) }) as never;
    const total = { amountMinor: 10_000, currency: 'EUR' };
    await bus.execute(
      new OrderCommandMessage(
        'PlaceOrder',
        {
          input: {
            orderId: 'w-order',
            buyerId: buyer.id,
            sellerId: 'w-seller',
            total,
            items: [{ sku: 's', title: 'Lamp', quantity: 1, unitPrice: total }],
          },
        },
        issued(platform, 'place'),
      ),
    );
    await bus.execute(
      new OrderCommandMessage(
        'ShipOrder',
        {
          orderId: 'w-order',
          input: {
            carrier: 'DHL',
            trackingNumber: 'T1',
            deliveryDeadline: '2020-01-16T00:00:00.000Z',
          },
        },
        issued(platform, 'ship'),
      ),
    );
    clock.advanceDays(1);
    const { disputeId } = await bus.execute(
      new OpenDisputeCommand(
        'w-order',
        { reason: 'DAMAGED', description: 'Cracked', claim: { kind: 'FULL_REFUND' } },
        issued(buyer, 'open'),
      ),
    );

    const queries = app.get(DeadlinesQueries, { strict: false });
    const started = Date.now();
    while ((await queries.forDispute(disputeId)).length === 0) {
      if (Date.now() - started > 15_000) throw new Error('the worker did not arm the deadline');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [deadline] = await queries.forDispute(disputeId);
    expect(deadline).toMatchObject({
      kind: 'SELLER_RESPONSE',
      dueAt: '2020-01-12T00:00:00.000Z',
      consequence: 'ESCALATED_TO_MEDIATION',
    });

    clock.set('2020-01-12T00:01:00.000Z');
    await app.get(DeadlineScheduler, { strict: false }).tick();
    const { state, history } = await app
      .get(DisputeStreams, { strict: false })
      .loadDispute(disputeId);
    expect(state.status).toBe('IN_MEDIATION');
    expect(history.at(-1)).toMatchObject({
      type: 'DisputeEscalated',
      data: { trigger: 'SELLER_SILENCE', at: '2020-01-12T00:01:00.000Z' },
      metadata: { actor: { role: 'system' } },
    });
  });
});
