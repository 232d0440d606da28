import { randomUUID } from 'node:crypto';
import { verifyChain } from '@arbiter/disputes/application';
import { disputeStreamId } from '@arbiter/disputes';
import { storedEventsOf } from '@arbiter/event-store';
import { describeOnDatabases } from './support/gateway';
import {
  cast,
  DisputeResult,
  DisputesGateway,
  eur,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

// What every mutation guarantees: serializable outcomes under concurrency, idempotency by key,
// field-level input errors, and tracing metadata on every event it appends.
describeOnDatabases('dispute mutation guarantees', (database) => {
  let d: DisputesGateway;
  let people: Awaited<ReturnType<typeof cast>>;
  beforeAll(async () => {
    d = await startDisputesGateway(database);
  });
  afterAll(() => d?.close());
  beforeEach(async () => {
    people = await cast(d);
  });

  async function negotiating(): Promise<DisputeResult> {
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    const opened = await ok(d.gateway.url, people.buyer, 'openDispute', {
      orderId,
      reason: 'MISSING_PARTS',
      description: 'No charger in the box',
      claim: { kind: 'PARTIAL_REFUND', amount: eur(1_500) },
    });
    return ok(d.gateway.url, people.seller, 'respondToDispute', {
      disputeId: opened.disputeId,
      response: 'REJECT',
      comment: 'It was in the box',
    });
  }
  const events = (disputeId: string) => d.store.readStream(disputeStreamId(disputeId));

  it('50 concurrent mutations on one dispute end as some serial order: nothing lost, revisions contiguous', async () => {
    const { disputeId, sequence: before } = await negotiating();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? mutate<DisputeResult>(
              d.gateway.url,
              i % 4 === 0 ? people.buyer : people.seller,
              'postMessage',
              {
                disputeId,
                body: `message ${i}`,
              },
            )
          : mutate<DisputeResult>(
              d.gateway.url,
              i % 4 === 1 ? people.buyer : people.seller,
              'addEvidence',
              {
                disputeId,
                kind: 'TEXT',
                description: `statement ${i}`,
                text: `evidence ${i}`,
              },
            ),
      ),
    );
    expect(results.map((r) => r.code ?? 'OK')).toEqual(results.map(() => 'OK'));
    // Each mutation saw the dispute at its own place in one serial history.
    const sequences = results.map((r) => r.data?.sequence as number).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 50 }, (_, i) => before + 1 + i));

    const stream = await events(disputeId);
    expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => BigInt(i)));
    // The chain covers the stored bytes (personal fields encrypted), not the opened reading.
    expect(
      verifyChain(await storedEventsOf(d.store).readStream(disputeStreamId(disputeId))),
    ).toMatchObject({
      intact: true,
    });
    const last = await ok(d.gateway.url, people.buyer, 'postMessage', { disputeId, body: 'done' });
    expect(last.messages.map((m) => m.body).sort()).toEqual(
      [...Array.from({ length: 25 }, (_, i) => `message ${i * 2}`), 'done'].sort(),
    );
    expect(last.evidence.map((e) => e.text).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `evidence ${i * 2 + 1}`).sort(),
    );
  });

  it('the same idempotency key returns the first result and appends nothing; another key or caller does not', async () => {
    const { disputeId } = await negotiating();
    const key = `msg-${randomUUID()}`;
    const first = await mutate(
      d.gateway.url,
      people.buyer,
      'postMessage',
      { disputeId, body: 'once' },
      { 'Idempotency-Key': key },
    );
    const length = (await events(disputeId)).length;
    const again = await mutate(
      d.gateway.url,
      people.buyer,
      'postMessage',
      { disputeId, body: 'once' },
      { 'Idempotency-Key': key },
    );
    expect(again.data).toEqual(first.data);
    expect(await events(disputeId)).toHaveLength(length);

    // The argument is the same key as the header; a different caller's identical key is another command.
    const viaArgument = await ok(d.gateway.url, people.buyer, 'postMessage', {
      disputeId,
      body: 'once',
      idempotencyKey: key,
    });
    expect(viaArgument).toEqual(first.data);
    await ok(d.gateway.url, people.seller, 'postMessage', {
      disputeId,
      body: 'seller says hi',
      idempotencyKey: key,
    });
    expect(await events(disputeId)).toHaveLength(length + 1);

    // An opening retried with its key converges on the same dispute.
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    const open = {
      orderId,
      reason: 'DAMAGED',
      description: 'Dented',
      claim: { kind: 'FULL_REFUND' },
      idempotencyKey: `open-${orderId}`,
    };
    const opened = await ok(d.gateway.url, people.buyer, 'openDispute', open);
    const reopened = await ok(d.gateway.url, people.buyer, 'openDispute', open);
    expect(reopened).toEqual(opened);
  });

  it('an idempotency key sent 5 times at once: 5 identical answers, one effect; another request with it is IDEMPOTENCY_KEY_REUSED', async () => {
    const { disputeId } = await negotiating();
    // Four keys, each sent 5 times, all 20 requests at once: races between the copies of a key.
    const keys = Array.from({ length: 4 }, () => `burst-${randomUUID()}`);
    const key = keys[0];
    const length = (await events(disputeId)).length;
    const bursts = await Promise.all(
      keys.map((k) =>
        Promise.all(
          Array.from({ length: 5 }, () =>
            mutate<DisputeResult>(d.gateway.url, people.buyer, 'postMessage', {
              disputeId,
              body: 'only once',
              idempotencyKey: k,
            }),
          ),
        ),
      ),
    );
    const burst = bursts.flat();
    expect(burst.map((r) => r.code ?? 'OK')).toEqual(burst.map(() => 'OK'));
    for (const answers of bursts) {
      expect(new Set(answers.map((r) => r.data?.sequence)).size).toBe(1);
    }
    // A party's sequence counts the events it sees: all of them here, so one past the revision.
    const sequences = bursts
      .map((answers) => answers[0].data?.sequence as number)
      .sort((a, b) => a - b);
    expect(sequences).toEqual([length + 1, length + 2, length + 3, length + 4]);
    const stream = await events(disputeId);
    expect(stream.filter((e) => e.type === 'MessagePosted')).toHaveLength(keys.length);
    expect(stream).toHaveLength(length + keys.length);

    const otherText = await mutate(d.gateway.url, people.buyer, 'postMessage', {
      disputeId,
      body: 'something else',
      idempotencyKey: key,
    });
    const { disputeId: another } = await negotiating();
    const otherDispute = await mutate(d.gateway.url, people.buyer, 'postMessage', {
      disputeId: another,
      body: 'only once',
      idempotencyKey: key,
    });
    const otherMutation = await mutate(d.gateway.url, people.buyer, 'cancelDispute', {
      disputeId,
      comment: 'only once',
      idempotencyKey: key,
    });
    for (const refused of [otherText, otherDispute, otherMutation]) {
      expect(refused.code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    expect(await events(disputeId)).toHaveLength(length + keys.length);
    expect((await events(another)).filter((e) => e.type === 'MessagePosted')).toEqual([]);

    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    const open = {
      orderId,
      reason: 'DAMAGED',
      description: 'Dented',
      claim: { kind: 'FULL_REFUND' },
      idempotencyKey: `open-${orderId}`,
    };
    const opened = await Promise.all(
      Array.from({ length: 5 }, () => mutate(d.gateway.url, people.buyer, 'openDispute', open)),
    );
    expect(opened.map((r) => r.code ?? 'OK')).toEqual(opened.map(() => 'OK'));
    expect(
      new Set(opened.map((r) => JSON.stringify([r.data?.disputeId, r.data?.sequence]))),
    ).toHaveProperty('size', 1);
    const reworded = await mutate(d.gateway.url, people.buyer, 'openDispute', {
      ...open,
      description: 'Broken',
    });
    expect(reworded.code).toBe('IDEMPOTENCY_KEY_REUSED');
    console.log(
      `4 keys ×5 (${database}): postMessage ${burst.filter((r) => r.data).length}/20 answered, ${stream.length - length} appended; one key ×5: openDispute ${opened.filter((r) => r.data).length}/5 answered, one dispute`,
    );
  });

  it('takes instants as DateTime: an offset names its instant, a local time is refused', async () => {
    const orderId = d.id('order');
    await ok(d.gateway.url, people.platform, 'placeOrder', {
      orderId,
      buyerId: people.buyer.id,
      sellerId: people.seller.id,
      total: eur(10_000),
      items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: eur(10_000) }],
    });
    const ship = (deliveryDeadline: string) =>
      mutate<{ revision: number }>(d.gateway.url, people.platform, 'shipOrder', {
        orderId,
        carrier: 'DHL',
        trackingNumber: 'JD014600',
        deliveryDeadline,
      });
    const due = new Date(d.clock.now().getTime() + 10 * 86_400_000).toISOString();
    // Without an offset the instant depends on the reader's zone: refused before the domain sees it.
    for (const refusedAt of [due.replace('Z', ''), '2026-02-30', `${due.slice(0, 10)}T25:00:00Z`]) {
      const refused = await ship(refusedAt);
      expect(refused.code).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0].message).toContain('deliveryDeadline');
    }
    expect((await ship(due.replace('Z', '+02:00'))).code).toBeUndefined();
  });

  it('refuses malformed input with BAD_USER_INPUT and the path of every offending field', async () => {
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    const refused = await mutate(d.gateway.url, people.buyer, 'openDispute', {
      orderId: 'not an id!',
      reason: 'DAMAGED',
      description: 'x'.repeat(4001),
      claim: { kind: 'PARTIAL_REFUND', amount: { amountMinor: -5, currency: 'EURO' } },
      idempotencyKey: 'spaces are not allowed',
    });
    expect(refused.code).toBe('BAD_USER_INPUT');
    const paths = (refused.errors?.[0].extensions?.fields as { path: string }[])
      .map((f) => f.path)
      .sort();
    expect(paths).toEqual([
      'input.claim.amount.amountMinor',
      'input.claim.amount.currency',
      'input.description',
      'input.idempotencyKey',
      'input.orderId',
    ]);
    const missingAmount = await mutate(d.gateway.url, people.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Dented',
      claim: { kind: 'RETURN_AND_REFUND' },
    });
    const missing = (missingAmount.errors?.[0].extensions?.fields as { path: string }[])
      .map((f) => f.path)
      .sort();
    expect(missing).toEqual(['input.claim.amount', 'input.claim.returnShippingPaidBy']);
    const badId = await mutate(d.gateway.url, people.buyer, 'postMessage', {
      disputeId: 'dispute-1',
      body: '',
    });
    expect(
      (badId.errors?.[0].extensions?.fields as { path: string }[]).map((f) => f.path).sort(),
    ).toEqual(['input.body', 'input.disputeId']);
  });

  it('stamps every appended event with the request’s correlation id, the causation and command ids and the actor', async () => {
    const { disputeId } = await negotiating();
    const correlationId = `trace-${randomUUID()}`;
    const key = `escalate-${randomUUID()}`;
    await ok(
      d.gateway.url,
      people.buyer,
      'escalateDispute',
      { disputeId },
      { 'x-correlation-id': correlationId, 'Idempotency-Key': key },
    );
    const [escalated] = (await events(disputeId)).slice(-1);
    expect(escalated.type).toBe('DisputeEscalated');
    expect(escalated.metadata).toMatchObject({
      correlationId,
      causationId: escalated.metadata.commandId,
      actor: { id: people.buyer.id, role: 'buyer' },
      schemaVersion: 1,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(escalated.metadata.commandId).toEqual(expect.any(String));
  });
});
