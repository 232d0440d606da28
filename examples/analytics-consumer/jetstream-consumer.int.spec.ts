import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { describeWithNats } from '../../libs/analytics/src/nats/testing/nats';
import { runConsumer } from './jetstream-consumer';

// Real NATS JetStream at NATS_TEST_URL (skipped without it, unless REQUIRE_NATS=1 as in CI).
describeWithNats('example JetStream consumer', (NATS_URL) => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  const stream = `EXAMPLE_${randomUUID().slice(0, 8).toUpperCase()}`;
  const prefix = `example${randomUUID().slice(0, 8)}.events`;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    dir = mkdtempSync(join(tmpdir(), 'arbiter-example-'));
  });
  afterAll(async () => {
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let position = 0;
  const publish = async (type: string, disputeId: string, data: Record<string, unknown>) => {
    position += 1;
    const event = {
      cursor: `c${position}`,
      id: randomUUID(),
      type,
      schemaVersion: 1,
      disputeId,
      revision: 0,
      recordedAt: data.at,
      actorRole: 'buyer',
      data: { disputeId, by: { id: 'anon_x', role: 'buyer' }, ...data },
    };
    await jetstream(nc).publish(`${prefix}.${type}`, JSON.stringify(event), { msgID: event.id });
    return event;
  };

  it('counts by day, reason and outcome, and after a restart goes on without counting twice', async () => {
    const options = {
      natsUrl: NATS_URL,
      stream,
      subjectPrefix: prefix,
      consumerName: 'example-test',
      stateFile: join(dir, 'state.json'),
      stopWhenIdleMs: 1_000,
      log: () => undefined,
    };
    await publish('DisputeOpened', 'd1', { at: '2026-03-01T10:00:00.000Z', reason: 'DAMAGED' });
    await publish('DisputeOpened', 'd2', { at: '2026-03-01T11:00:00.000Z', reason: 'DAMAGED' });
    await publish('DisputeClosed', 'd1', {
      at: '2026-03-02T10:00:00.000Z',
      outcome: 'BUYER_FULL_REFUND',
    });
    const first = await runConsumer(options);
    expect(first).toMatchObject({
      openedByReason: { '2026-03-01': { DAMAGED: 2 } },
      closedByOutcome: { '2026-03-02': { BUYER_FULL_REFUND: 1 } },
      medianHoursToResolution: 24,
      eventsCounted: 3,
    });

    // Stopped; meanwhile more events arrive. The restart picks up only those.
    await publish('DisputeOpened', 'd3', { at: '2026-03-02T12:00:00.000Z', reason: 'COUNTERFEIT' });
    await publish('DisputeCancelled', 'd2', {
      at: '2026-03-03T11:00:00.000Z',
      outcome: 'CANCELLED_BY_BUYER',
    });
    const second = await runConsumer(options);
    expect(second).toMatchObject({
      openedByReason: { '2026-03-01': { DAMAGED: 2 }, '2026-03-02': { COUNTERFEIT: 1 } },
      closedByOutcome: {
        '2026-03-02': { BUYER_FULL_REFUND: 1 },
        '2026-03-03': { CANCELLED_BY_BUYER: 1 },
      },
      medianHoursToResolution: 36, // 24 h and 48 h
      eventsCounted: 5,
    });

    // A crash after saving but before acking redelivers: the state file has it already.
    const consumerInfo = await jsm.consumers.info(stream, 'example-test');
    expect(consumerInfo.num_ack_pending).toBe(0);
    await jsm.consumers.delete(stream, 'example-test'); // the broker forgets every ack
    const replayed = await runConsumer(options);
    expect(replayed.eventsCounted).toBe(5);
    expect(replayed.openedByReason).toEqual(second.openedByReason);
  });
});
