import { randomUUID } from 'node:crypto';
import {
  createKurrentDbEventStore,
  createSqlEventStore,
  EventStore,
  MemoryEventStore,
} from '@arbiter/event-store';
import {
  KurrentDbStandIn,
  startKurrentDbStandIn,
} from '@arbiter/event-store/testing/kurrentdb-standin';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
  uniqueSchemaName,
} from '@arbiter/event-store/testing';
import { openSqlConnection, SqlConnection } from '@arbiter/platform';
import { Actor, disputeStreamId } from '../domain';
import {
  commandIdFor,
  CommandContext,
  Decider,
  handleCommand,
  requestFingerprint,
} from './command-handling';
import { OpenDisputeCommand } from './open-dispute/open-dispute';
import { DisputeStreams, fingerprinted, Issued } from './dispute-streams';
import { DisputesUnderTest, shippedOrder, startDisputes, StoreUnderTest } from './testing';
import { DisputeCommandMessage } from './dispute-command';

// A counter: enough to see how many times a command took effect.
type Event = { type: 'Incremented'; data: { by: number } };
type Command = { type: 'Increment'; by: number };
const counter: Decider<Command, Event, number> = {
  initialState: 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command) => [
    { type: 'Incremented', data: { by: command.by } },
    { type: 'Incremented', data: { by: 0 } },
  ],
};
const actor = { id: 'u-1', role: 'buyer' };
const CONCURRENT = 8;

/** What one HTTP request with this key hands in: its own correlation id, the key's command id. */
const request = (key: string, by: number, n: number): CommandContext => ({
  commandId: commandIdFor(actor, key),
  correlationId: `corr-${key}-${n}-${Math.random()}`,
  actor,
  requestHash: requestFingerprint({ type: 'Increment', by }),
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? String(e),
  );

/** Concurrent requests with one idempotency key, straight on handleCommand. */
function handleCommandSuite(
  open: () => Promise<{ store: EventStore; close(): Promise<void> }>,
  { idsAcrossStreams = true } = {},
) {
  let store: EventStore;
  let close: () => Promise<void>;
  let streams = 0;
  beforeAll(async () => {
    ({ store, close } = await open());
  });
  afterAll(() => close?.());
  const nextStream = () => `counter-${++streams}-${Math.random().toString(36).slice(2)}`;

  it(`${CONCURRENT} concurrent handles of one command id: one append, every caller the same answer`, async () => {
    for (const existing of [false, true]) {
      const streamId = nextStream();
      if (existing) {
        await handleCommand(store, streamId, { type: 'Increment', by: 1 }, counter, {
          commandId: 'before',
          actor,
        });
      }
      const key = `k-${streamId}`;
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT }, (_, n) =>
          handleCommand(store, streamId, { type: 'Increment', by: 5 }, counter, request(key, 5, n)),
        ),
      );
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const answers = results.map((r) => (r as PromiseFulfilledResult<{ state: number }>).value);
      // The command before adds 1 in two events; this one 5 in two.
      const base = existing ? 2 : 0;
      const revision = BigInt(base + 1);
      for (const answer of answers) {
        expect(answer).toMatchObject({ state: (existing ? 1 : 0) + 5, revision });
      }
      expect(answers.filter((a) => !('replayed' in a) || !a.replayed)).toHaveLength(1);
      const events = await store.readStream(streamId);
      expect(events).toHaveLength(base + 2);
      const ofKey = events.filter((e) => e.metadata.commandId === commandIdFor(actor, key));
      console.log(
        `same key ×${CONCURRENT}${existing ? ' (stream existed)' : ''}: sent ${CONCURRENT}, answered ${answers.length}, errors ${rejected.length}, events of the key ${ofKey.length}`,
      );
    }
  });

  it('the same command id with another request is IDEMPOTENCY_KEY_REUSED, also when concurrent', async () => {
    const streamId = nextStream();
    const key = `k-${streamId}`;
    await handleCommand(store, streamId, { type: 'Increment', by: 5 }, counter, request(key, 5, 0));
    expect(
      await codeOf(
        handleCommand(store, streamId, { type: 'Increment', by: 6 }, counter, request(key, 6, 1)),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');

    const raced = nextStream();
    const codes = await Promise.all(
      [5, 6, 5, 6, 5, 6].map((by, n) =>
        codeOf(
          handleCommand(
            store,
            raced,
            { type: 'Increment', by },
            counter,
            request(`k-${raced}`, by, n),
          ),
        ),
      ),
    );
    // Whichever request came first decided; the others with its input replay it.
    expect(codes.filter((c) => c === 'OK')).toHaveLength(3);
    expect(codes.filter((c) => c === 'IDEMPOTENCY_KEY_REUSED')).toHaveLength(3);
    expect(await store.readStream(raced)).toHaveLength(2);
  });

  it('events recorded without a fingerprint replay for any request (compatibility)', async () => {
    const streamId = nextStream();
    const key = `k-${streamId}`;
    const { requestHash: _none, ...old } = request(key, 5, 0);
    await handleCommand(store, streamId, { type: 'Increment', by: 5 }, counter, old);
    const again = await handleCommand(
      store,
      streamId,
      { type: 'Increment', by: 6 },
      counter,
      request(key, 6, 1),
    );
    expect(again).toMatchObject({ state: 5, replayed: true });
  });

  // KurrentDB checks event ids per stream only (README, Idempotency).
  (idsAcrossStreams ? it : it.skip)(
    'the same command id on another stream is IDEMPOTENCY_KEY_REUSED, and appends nothing there',
    async () => {
      const first = nextStream();
      const second = nextStream();
      const key = `k-${first}`;
      await handleCommand(store, first, { type: 'Increment', by: 5 }, counter, request(key, 5, 0));
      expect(
        await codeOf(
          handleCommand(store, second, { type: 'Increment', by: 5 }, counter, request(key, 5, 1)),
        ),
      ).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await store.readStream(second)).toEqual([]);
    },
  );
}

/** The same through the disputes module: posting a message, opening a dispute. */
function disputesSuite(store: () => StoreUnderTest) {
  let d: DisputesUnderTest;
  let orders = 0;
  const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
  const seller: Actor = { id: 'seller-1', role: 'seller' };
  beforeAll(async () => {
    d = await startDisputes(store());
  });
  afterAll(() => d?.close());

  const issued = (key: string): Issued => ({
    ...d.as(buyer, key),
    correlationId: `c-${Math.random()}`,
  });
  const open = (orderId: string, key: string, description = 'Scratched') =>
    d.bus.execute(
      fingerprinted(
        (i) =>
          new OpenDisputeCommand(
            orderId,
            { reason: 'NOT_AS_DESCRIBED', description, claim: { kind: 'FULL_REFUND' } },
            i,
          ),
        issued(key),
      ),
    );
  const post = (disputeId: string, key: string, text: string) =>
    d.bus.execute(
      fingerprinted(
        (i) => new DisputeCommandMessage('PostMessage', disputeId, { body: text }, i),
        issued(key),
      ),
    );

  async function openedDispute(): Promise<{ orderId: string; disputeId: string }> {
    const orderId = `idem-${++orders}-${Math.random().toString(36).slice(2)}`;
    await shippedOrder(d, orderId, { buyerId: buyer.id, sellerId: seller.id });
    const opened = await open(orderId, `open-${orderId}`);
    return { orderId, disputeId: opened.disputeId };
  }

  it(`${CONCURRENT} concurrent openings with one key: one dispute, every caller gets it`, async () => {
    const orderId = `idem-${++orders}-${Math.random().toString(36).slice(2)}`;
    await shippedOrder(d, orderId, { buyerId: buyer.id, sellerId: seller.id });
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENT }, () => open(orderId, `open-${orderId}`)),
    );
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason)),
    ).toEqual([]);
    const answers = results.map(
      (r) => (r as PromiseFulfilledResult<{ disputeId: string; revision: bigint }>).value,
    );
    expect(new Set(answers.map((a) => a.disputeId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.revision)).size).toBe(1);
    expect(await d.store.readStream(disputeStreamId(answers[0].disputeId))).toHaveLength(
      Number(answers[0].revision) + 1,
    );
    // The same key, other words: refused, nothing appended.
    expect(await codeOf(open(orderId, `open-${orderId}`, 'Broken'))).toBe('IDEMPOTENCY_KEY_REUSED');
    // The same key on another order: refused, that order gets no dispute.
    const other = `idem-${++orders}-${Math.random().toString(36).slice(2)}`;
    await shippedOrder(d, other, { buyerId: buyer.id, sellerId: seller.id });
    expect(await codeOf(open(other, `open-${orderId}`))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await d.app.get(DisputeStreams).loadOrder(other)).disputeIds).toEqual([]);
  });

  it(`${CONCURRENT} concurrent messages with one key: one message; other text or dispute is refused`, async () => {
    const { disputeId } = await openedDispute();
    const results = await Promise.allSettled(
      Array.from({ length: CONCURRENT }, () => post(disputeId, `msg-${disputeId}`, 'Hello')),
    );
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason)),
    ).toEqual([]);
    const messages = (await d.store.readStream(disputeStreamId(disputeId))).filter(
      (e) => e.type === 'MessagePosted',
    );
    expect(messages).toHaveLength(1);
    expect(await codeOf(post(disputeId, `msg-${disputeId}`, 'Hello?'))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    const { disputeId: another } = await openedDispute();
    expect(await codeOf(post(another, `msg-${disputeId}`, 'Hello'))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(
      (await d.store.readStream(disputeStreamId(another))).filter(
        (e) => e.type === 'MessagePosted',
      ),
    ).toEqual([]);
  });
}

async function pgliteStore() {
  const connection: SqlConnection = await openSqlConnection({ kind: 'pglite' });
  const store = await createSqlEventStore(connection, { schema: uniqueSchemaName('idem') });
  return { store, close: () => connection.close() };
}

describe('idempotency under concurrency [memory]', () => {
  handleCommandSuite(async () => ({ store: new MemoryEventStore(), close: async () => undefined }));
  disputesSuite(() => 'memory');
});
describe('idempotency under concurrency [pglite]', () => {
  handleCommandSuite(pgliteStore);
  disputesSuite(() => 'pglite');
});
describe('idempotency under concurrency [kurrentdb stand-in]', () => {
  let standIn: KurrentDbStandIn;
  beforeAll(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
  });
  afterAll(() => standIn?.stop());
  handleCommandSuite(
    async () => {
      const store = createKurrentDbEventStore(standIn.url, {
        streamPrefix: `t${randomUUID().replace(/-/g, '')}.`,
      });
      return { store, close: () => store.close() };
    },
    { idsAcrossStreams: false },
  );
});
describeWithPostgres('idempotency under concurrency [postgres]', (url) => {
  let schema: PostgresTestSchema;
  beforeAll(async () => {
    schema = await openPostgresTestSchema(url, { prefix: 'idem' });
  });
  afterAll(() => schema?.cleanup());
  handleCommandSuite(async () => ({
    store: await createSqlEventStore(schema.connection, { schema: schema.schema }),
    close: async () => undefined,
  }));
  disputesSuite(() => ({ connection: schema.connection, schema: schema.schema }));
});
