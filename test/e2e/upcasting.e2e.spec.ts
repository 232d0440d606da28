import { randomBytes, randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore, storedEventsOf } from '@arbiter/event-store';
import { disputeStreamId } from '@arbiter/disputes';
import { chainHash, GENESIS_HASH } from '@arbiter/disputes/application/audit-chain';
import { ProjectionRunner } from '@arbiter/read-models';
import { caller, DISPUTE_FIELDS, type DisputeResult, eur, ok } from './disputes-helpers';
import { graphql } from './support/clients';
import { describeOnAllStores, type RunningGateway, startGateway } from './support/gateway';

/**
 * A dispute whose history holds a ReturnShipped stored at schema version 1 (shipped before the
 * RETURN_DELIVERY deadline existed: no `deliveryDueAt`, and a `receiptDueAt` that never counted),
 * appended as the old code wrote it, hash chain included. Through the running gateway it still
 * decides (the platform records the delivery, the seller confirms the receipt), projects (the
 * views read it as version 2: in transit, no clock), replays in the audit, and the audit chain
 * still verifies: it hashes the stored bytes, not the upcast reading.
 */
const RETURN = { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' };
const ADDRESS = {
  name: 'Shop Returns',
  lines: ['1 Dock Road'],
  postalCode: 'E16 1AA',
  country: 'GB',
};
const DAY = 86_400_000;

describeOnAllStores('a stored v1 event in a dispute’s history', (database) => {
  let g: RunningGateway;
  beforeAll(async () => {
    g = await startGateway(
      {
        WORKERS: 'inline',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
      },
      database,
    );
  }, 300_000);
  afterAll(async () => {
    await g?.close();
  });

  async function view(who: { token: string }, disputeId: string): Promise<DisputeResult | null> {
    const response = await graphql<{ dispute: DisputeResult | null }>(
      g.url,
      `query One($id: ID!) { dispute(id: $id) { ${DISPUTE_FIELDS} } }`,
      { token: who.token, variables: { id: disputeId } },
    );
    return response.body.data?.dispute ?? null;
  }

  async function until(
    who: { token: string },
    disputeId: string,
    ready: (v: DisputeResult) => boolean,
  ): Promise<DisputeResult> {
    const started = Date.now();
    for (;;) {
      const seen = await view(who, disputeId);
      if (seen && ready(seen)) return seen;
      if (Date.now() - started > 20_000)
        throw new Error(`not seen in time; last view: ${JSON.stringify(seen)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('decides, projects, replays and verifies as version 2', async () => {
    const run = randomBytes(4).toString('hex');
    const platform = await caller('platform', 'marketplace');
    const buyer = await caller('buyer', `buyer-${run}`);
    const seller = await caller('seller', `seller-${run}`);
    const mediator = await caller('mediator', `mediator-${run}`);
    const orderId = `order-${run}`;
    await ok(g.url, platform, 'placeOrder', {
      orderId,
      buyerId: buyer.id,
      sellerId: seller.id,
      total: eur(10_000),
      items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
    });
    await ok(g.url, platform, 'shipOrder', {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'JD014600',
      deliveryDeadline: new Date(Date.now() + 10 * DAY).toISOString(),
    });
    const { disputeId } = await ok(g.url, buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived cracked',
      claim: RETURN,
    });
    const opened = await until(seller, disputeId, () => true);
    await ok(g.url, seller, 'respondToDispute', {
      disputeId,
      response: 'ACCEPT',
      comment: 'Send it back',
      proposalId: opened.proposals.find((p) => p.proposer === 'buyer')?.proposalId,
    });
    await ok(g.url, seller, 'provideReturnAddress', { disputeId, address: ADDRESS });

    // The buyer's shipment, as version 1 recorded it, chained like every event the app writes.
    const store = g.app.get<EventStore>(EVENT_STORE);
    const stored = storedEventsOf(store);
    expect(stored).not.toBe(store);
    const streamId = disputeStreamId(disputeId);
    const history = await stored.readStream(streamId);
    const last = history.at(-1)!;
    const data = {
      disputeId,
      at: new Date().toISOString(),
      by: { id: buyer.id, role: 'buyer' },
      carrier: 'bpost',
      trackingNumber: 'TRK-OLD-1',
      receiptDueAt: new Date(Date.now() + 10 * DAY).toISOString(),
    };
    const metadata: Record<string, unknown> = {
      correlationId: randomUUID(),
      actor: { id: buyer.id, role: 'buyer' },
      commandId: randomUUID(),
      schemaVersion: 1,
    };
    metadata.hash = chainHash((last.metadata.hash as string | undefined) ?? GENESIS_HASH, {
      streamId,
      revision: last.revision + 1n,
      type: 'ReturnShipped',
      data,
      metadata,
    });
    const appended = await stored.append(
      streamId,
      [{ id: randomUUID(), type: 'ReturnShipped', data, metadata }],
      { expectedRevision: last.revision },
    );

    // The application reads it as version 2; the store keeps version 1.
    const read = (await store.readStream(streamId)).at(-1)!;
    expect(read.data).toEqual({
      ...data,
      receiptDueAt: undefined,
      deliveryDueAt: null,
    });
    expect(read.metadata).toMatchObject({ schemaVersion: 2, storedSchemaVersion: 1 });
    expect((await stored.readStream(streamId)).at(-1)?.data).toEqual(data);

    // Projected: in transit, carrier shown, no clock (a v1 shipment never armed one).
    expect(await g.app.get(ProjectionRunner).waitForPosition(appended.position, 20_000)).toBe(true);
    const inTransit = await until(buyer, disputeId, (v) => v.returnInfo?.carrier === 'bpost');
    expect(inTransit).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: null,
      returnInfo: { carrier: 'bpost', trackingNumber: 'TRK-OLD-1' },
    });

    // Decided on: the history folds, and the next commands go on from it.
    const delivered = await ok(g.url, platform, 'recordReturnDelivery', { disputeId });
    expect(delivered).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_RECEIPT' },
    });
    const received = await ok(g.url, seller, 'confirmReturnReceived', { disputeId });
    expect(received).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(10_000) });
    await until(buyer, disputeId, (v) => v.status === 'REFUND_PENDING');

    // The audit replays the upcast events and verifies the chain over the stored ones.
    const audit = await graphql<{
      disputeAudit: { state: string; events: { type: string; data: string; hash: string }[] };
      disputeAuditVerify: { intact: boolean; events: number; brokenAtRevision: number | null };
    }>(
      g.url,
      `
        query Audit($id: ID!) {
          disputeAudit(id: $id) {
            state
            events {
              type
              data
              hash
            }
          }
          disputeAuditVerify(id: $id) {
            intact
            events
            brokenAtRevision
          }
        }
      `,
      { token: mediator.token, variables: { id: disputeId } },
    );
    expect(audit.body.errors).toBeUndefined();
    const result = audit.body.data!;
    const shipped = result.disputeAudit.events.find((e) => e.type === 'ReturnShipped');
    expect(JSON.parse(shipped!.data)).toMatchObject({ carrier: 'bpost', deliveryDueAt: null });
    expect(shipped!.hash).toBe(metadata.hash);
    expect(JSON.parse(result.disputeAudit.state)).toMatchObject({ status: 'REFUND_PENDING' });
    expect(result.disputeAuditVerify).toEqual({
      intact: true,
      events: result.disputeAudit.events.length,
      brokenAtRevision: null,
    });
  });
});
