import { randomUUID } from 'node:crypto';
import {
  AllStreamSubscription,
  BACKWARDS,
  END,
  KurrentDBClient,
  Position,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  eventTypeFilter,
  jsonEvent,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import { KurrentDbStandIn, startKurrentDbStandIn } from './kurrentdb-standin';

// Everything here goes through the official client only, so both of its transports are
// exercised: grpc-js (appends, subscriptions) and the native Rust bridge (readStream, readAll).

const event = (type: string, data: Record<string, unknown> = {}, id = randomUUID()) =>
  jsonEvent({ id, type, data });

const uniqueStream = (prefix: string) => `${prefix}-${randomUUID()}`;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function readStream(client: KurrentDBClient, stream: string, options = {}) {
  const events = await collect(client.readStream(stream, options));
  return events.map(({ event }) => event!);
}

async function readAll(client: KurrentDBClient, options = {}) {
  const events = await collect(client.readAll(options));
  return events.map(({ event }) => event!);
}

/** Pulls events one at a time, so a test can interleave appends and reads. */
function pull(subscription: AllStreamSubscription) {
  const iterator = subscription[Symbol.asyncIterator]();
  return async () => {
    const { value, done } = await iterator.next();
    if (done) throw new Error('The subscription ended.');
    return value.event!;
  };
}

const caughtUp = (subscription: AllStreamSubscription) =>
  new Promise<{ position?: Position }>((resolve) => subscription.once('caughtUp', resolve));

async function withStandIn<T>(
  options: Parameters<typeof startKurrentDbStandIn>[0],
  body: (client: KurrentDBClient, standIn: KurrentDbStandIn) => Promise<T>,
): Promise<T> {
  const standIn = await startKurrentDbStandIn({ port: 0, ...options });
  const client = KurrentDBClient.connectionString(standIn.url);
  try {
    return await body(client, standIn);
  } finally {
    await client.dispose();
    await standIn.stop();
  }
}

describe('KurrentDB stand-in, driven by the official client', () => {
  let standIn: KurrentDbStandIn;
  let client: KurrentDBClient;

  beforeAll(async () => {
    standIn = await startKurrentDbStandIn({ port: 0 });
    client = KurrentDBClient.connectionString(standIn.url);
  });

  afterAll(async () => {
    await client.dispose();
    await standIn.stop();
  });

  it('appends and reads a stream forwards, backwards, from a revision and with a max count', async () => {
    const stream = uniqueStream('order');
    const result = await client.appendToStream(stream, [
      event('Placed', { n: 0 }),
      event('Paid', { n: 1 }),
      event('Shipped', { n: 2 }),
    ]);
    expect(result.nextExpectedRevision).toBe(2n);

    const forwards = await readStream(client, stream);
    expect(forwards.map((e) => [e.revision, e.type, e.data])).toEqual([
      [0n, 'Placed', { n: 0 }],
      [1n, 'Paid', { n: 1 }],
      [2n, 'Shipped', { n: 2 }],
    ]);
    expect(forwards[2].position).toEqual(result.position);
    expect(forwards[0].isJson).toBe(true);
    expect(Math.abs(forwards[0].created.getTime() - Date.now())).toBeLessThan(60_000);

    const types = (events: { type: string }[]) => events.map((e) => e.type);
    expect(
      types(await readStream(client, stream, { direction: BACKWARDS, fromRevision: END })),
    ).toEqual(['Shipped', 'Paid', 'Placed']);
    expect(types(await readStream(client, stream, { fromRevision: 1n }))).toEqual([
      'Paid',
      'Shipped',
    ]);
    expect(
      types(await readStream(client, stream, { direction: BACKWARDS, fromRevision: 1n })),
    ).toEqual(['Paid', 'Placed']);
    expect(types(await readStream(client, stream, { maxCount: 2 }))).toEqual(['Placed', 'Paid']);
    expect(types(await readStream(client, stream, { fromRevision: 3n }))).toEqual([]);
  });

  it('answers a read of a missing stream with StreamNotFoundError', async () => {
    await expect(readStream(client, uniqueStream('missing'))).rejects.toBeInstanceOf(
      StreamNotFoundError,
    );
  });

  it('answers an expected-state mismatch with WrongExpectedVersionError and the actual revision', async () => {
    const stream = uniqueStream('wev');
    await client.appendToStream(stream, [event('A'), event('B')], { streamState: 'no_stream' });

    await expect(
      client.appendToStream(stream, event('C'), { streamState: 0n }),
    ).rejects.toMatchObject({
      constructor: WrongExpectedVersionError,
      actualState: 1n,
      expectedState: 0n,
    });
    await expect(
      client.appendToStream(stream, event('C'), { streamState: 'no_stream' }),
    ).rejects.toMatchObject({ actualState: 1n, expectedState: 'no_stream' });
    await expect(
      client.appendToStream(uniqueStream('wev'), event('C'), { streamState: 'stream_exists' }),
    ).rejects.toMatchObject({ actualState: 'no_stream', expectedState: 'stream_exists' });

    const ok = await client.appendToStream(stream, event('C'), { streamState: 1n });
    expect(ok.nextExpectedRevision).toBe(2n);
  });

  it('answers an exact or no_stream retry of the same events with success, writing nothing', async () => {
    const stream = uniqueStream('idempotent');
    const first = [event('A'), event('B')];
    const written = await client.appendToStream(stream, first, { streamState: 'no_stream' });
    const second = [event('C')];
    await client.appendToStream(stream, second, { streamState: 1n });
    const size = standIn.size;

    const retriedFirst = await client.appendToStream(stream, first, { streamState: 'no_stream' });
    expect(retriedFirst).toEqual(written);
    const retriedSecond = await client.appendToStream(stream, second, { streamState: 1n });
    expect(retriedSecond.nextExpectedRevision).toBe(2n);
    expect(standIn.size).toBe(size);

    // Ids that only partly match what follows the expected revision are a conflict.
    await expect(
      client.appendToStream(stream, [first[0], event('X')], { streamState: 'no_stream' }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect((await readStream(client, stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
  });

  it('deduplicates an `any` retry only while its events are among the most recent ones (the server cache)', async () => {
    await withStandIn({ anyIdempotencyWindow: 3 }, async (client) => {
      const stream = uniqueStream('any');
      const retried = [event('A'), event('B')];
      const written = await client.appendToStream(stream, retried);
      expect(await client.appendToStream(stream, retried)).toEqual(written);
      expect(await readStream(client, stream)).toHaveLength(2);

      await client.appendToStream(uniqueStream('other'), [event('X'), event('Y')]);
      // 'A' has left the three-event window, so the retry is written again: duplicates.
      const duplicated = await client.appendToStream(stream, retried);
      expect(duplicated.nextExpectedRevision).toBe(3n);
      const events = await readStream(client, stream);
      expect(events.map((e) => e.id)).toEqual([...retried, ...retried].map((e) => e.id));
    });
  });

  it('checks the expected state of an empty append and writes nothing', async () => {
    const stream = uniqueStream('empty');
    await client.appendToStream(stream, event('A'));
    const size = standIn.size;

    const result = await client.appendToStream(stream, [], { streamState: 0n });
    expect(result).toMatchObject({ success: true, nextExpectedRevision: 0n, position: undefined });
    await expect(client.appendToStream(stream, [], { streamState: 5n })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect(standIn.size).toBe(size);
  });

  it('reads $all with system events first and commit == prepare positions that grow with gaps', async () => {
    const events = await readAll(client);
    expect(events).toHaveLength(standIn.size);
    const system = events.filter((e) => e.streamId.startsWith('$'));
    expect(system.length).toBeGreaterThanOrEqual(3);
    expect(events[0].streamId).toMatch(/^\$/);
    expect(system.every((e) => e.type.startsWith('$'))).toBe(true);

    const positions = events.map((e) => e.position!);
    for (const [i, position] of positions.entries()) {
      expect(position.commit).toBe(position.prepare);
      if (i > 0) expect(position.commit - positions[i - 1].commit).toBeGreaterThan(1n);
    }

    const backwards = await readAll(client, {
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 2,
    });
    expect(backwards.map((e) => e.id)).toEqual([events.at(-1)!.id, events.at(-2)!.id]);
  });

  it('reads $all from a position: inclusive forwards, exclusive backwards', async () => {
    const events = await readAll(client);
    const pivot = events[3];
    const forwards = await readAll(client, { fromPosition: pivot.position, maxCount: 2 });
    expect(forwards.map((e) => e.id)).toEqual([events[3].id, events[4].id]);
    const backwards = await readAll(client, {
      fromPosition: pivot.position,
      direction: BACKWARDS,
      maxCount: 2,
    });
    expect(backwards.map((e) => e.id)).toEqual([events[2].id, events[1].id]);
  });

  it('filters $all reads by stream-name prefix and by event type (prefix or regex)', async () => {
    const prefix = `filtered${randomUUID().slice(0, 8)}`;
    await client.appendToStream(`${prefix}-1`, [event('Opened'), event('Closed')]);
    await client.appendToStream(uniqueStream('unrelated'), event('Opened'));
    await client.appendToStream(`${prefix}-2`, event('Reopened'));

    const byStream = await readAll(client, { filter: streamNameFilter({ prefixes: [prefix] }) });
    expect(byStream.map((e) => [e.streamId, e.type])).toEqual([
      [`${prefix}-1`, 'Opened'],
      [`${prefix}-1`, 'Closed'],
      [`${prefix}-2`, 'Reopened'],
    ]);

    const limited = await readAll(client, {
      filter: streamNameFilter({ prefixes: [prefix], maxSearchWindow: 1 }),
      maxCount: 2,
    });
    expect(limited).toHaveLength(2);

    const byType = await readAll(client, { filter: eventTypeFilter({ prefixes: ['Reopened'] }) });
    expect(byType.map((e) => e.streamId)).toEqual([`${prefix}-2`]);

    const bySystemType = await readAll(client, { filter: eventTypeFilter({ regex: '^\\$' }) });
    expect(bySystemType.length).toBeGreaterThanOrEqual(3);
    expect(bySystemType.every((e) => e.type.startsWith('$'))).toBe(true);
  });

  it('subscribes to $all from the start: catch-up including system events, caught-up, then live', async () => {
    await withStandIn({}, async (client, standIn) => {
      await client.appendToStream('live-1', event('Before'));
      const existing = await readAll(client);
      const subscription = client.subscribeToAll({ fromPosition: START });
      const reachedLive = caughtUp(subscription);
      const next = pull(subscription);

      const caughtUpEvents = [];
      for (let i = 0; i < standIn.size; i++) caughtUpEvents.push(await next());
      expect(caughtUpEvents.map((e) => e.id)).toEqual(existing.map((e) => e.id));
      expect(caughtUpEvents[0].streamId).toMatch(/^\$/);
      expect((await reachedLive).position).toEqual(existing.at(-1)!.position);

      const live = await client.appendToStream('live-1', event('After'));
      const received = await next();
      expect([received.type, received.position]).toEqual(['After', live.position]);
      await subscription.unsubscribe();
    });
  });

  it('subscribes to $all from a position exclusively: the first event is the one after it', async () => {
    const stream = uniqueStream('from-position');
    const first = await client.appendToStream(stream, event('First'));
    await client.appendToStream(stream, event('Second'));

    const subscription = client.subscribeToAll({
      fromPosition: first.position!,
      filter: streamNameFilter({ prefixes: [stream] }),
    });
    const next = pull(subscription);
    expect((await next()).type).toBe('Second');
    await client.appendToStream(stream, event('Third'));
    expect((await next()).type).toBe('Third');
    await subscription.unsubscribe();
  });

  it('sends checkpoints of a filtered subscription every checkpointInterval × maxSearchWindow events', async () => {
    await withStandIn({}, async (client, standIn) => {
      await client.appendToStream('noise', [event('Noise'), event('Noise'), event('Noise')]);
      await client.appendToStream('ticks', event('Tick'));
      const log = await readAll(client);
      expect(log).toHaveLength(standIn.size);

      const checkpoints: bigint[] = [];
      const subscription = client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({
          prefixes: ['Tick'],
          maxSearchWindow: 2,
          checkpointInterval: 1,
          checkpointReached: (_subscription, position) => {
            checkpoints.push(position.commit);
          },
        }),
      });
      const reachedLive = caughtUp(subscription);
      const next = pull(subscription);
      expect((await next()).type).toBe('Tick');
      await reachedLive;

      // Every second examined event, plus one when going live at the last examined one.
      const expected = log.filter((_, i) => i % 2 === 1).map((e) => e.position!.commit);
      if (log.length % 2 === 1) expected.push(log.at(-1)!.position!.commit);
      expect(checkpoints).toEqual(expected);
      await subscription.unsubscribe();
    });
  });

  it('kill cuts a subscription like a crash; after restart a resubscription from the last seen position gets exactly the rest', async () => {
    await withStandIn({}, async (client, standIn) => {
      const stream = uniqueStream('crash');
      const filter = streamNameFilter({ prefixes: [stream] });
      await client.appendToStream(stream, [event('One'), event('Two')]);
      // The Rust bridge must have connected once to reconnect later (see the next test).
      expect(await readStream(client, stream)).toHaveLength(2);
      const subscription = client.subscribeToAll({ fromPosition: START, filter });
      const next = pull(subscription);
      await next();
      const lastSeen = await next();

      const failure = next();
      await standIn.kill();
      await expect(failure).rejects.toBeInstanceOf(UnavailableError);
      await expect(readStream(client, stream)).rejects.toBeTruthy();

      await standIn.restart();
      // Same client instance: its grpc-js channel and the Rust bridge both reconnect on their own.
      await client.appendToStream(stream, [event('Three'), event('Four')]);
      expect((await readStream(client, stream)).map((e) => e.type)).toEqual([
        'One',
        'Two',
        'Three',
        'Four',
      ]);

      const resumed = client.subscribeToAll({ fromPosition: lastSeen.position!, filter });
      const reachedLive = caughtUp(resumed);
      const nextResumed = pull(resumed);
      expect((await nextResumed()).type).toBe('Three');
      const four = await nextResumed();
      expect(four.type).toBe('Four');
      expect((await reachedLive).position).toEqual(four.position);
      await resumed.unsubscribe();
    });
  });

  it('documents a client limitation: a bridge whose first connection fails stays broken, a new client works', async () => {
    await withStandIn({}, async (client, standIn) => {
      await client.appendToStream('early', event('A'));
      await standIn.kill();
      await expect(readStream(client, 'early')).rejects.toBeInstanceOf(UnavailableError);
      await standIn.restart();
      // Not the stand-in: the bridge's connection task gave up and no request reaches the server.
      await expect(readStream(client, 'early')).rejects.toBeInstanceOf(UnavailableError);
      const fresh = KurrentDBClient.connectionString(standIn.url);
      expect(await readStream(fresh, 'early')).toHaveLength(1);
      await fresh.dispose();
    });
  });

  it('carries positions past 2^53 and revisions up to 2^64 - 1 exactly', async () => {
    const firstPosition = 2n ** 60n + 7n;
    await withStandIn({ firstPosition }, async (client) => {
      const stream = uniqueStream('big');
      const first = await client.appendToStream(stream, event('A'));
      const second = await client.appendToStream(stream, event('B'));
      expect(first.position!.commit).toBeGreaterThan(firstPosition);
      expect(first.position!.commit).toBe(first.position!.prepare);

      const all = await readAll(client);
      expect(all[0].position!.commit).toBe(firstPosition);
      expect(all.at(-1)!.position).toEqual(second.position);
      expect((await readAll(client, { fromPosition: second.position }))[0].type).toBe('B');

      const subscription = client.subscribeToAll({ fromPosition: first.position! });
      expect((await pull(subscription)()).position).toEqual(second.position);
      await subscription.unsubscribe();

      const huge = 2n ** 64n - 2n;
      await expect(
        client.appendToStream(stream, event('C'), { streamState: huge }),
      ).rejects.toMatchObject({ actualState: 1n, expectedState: huge });
    });
  });

  it('stops gracefully even with a subscription open', async () => {
    const other = await startKurrentDbStandIn({ port: 0 });
    const otherClient = KurrentDBClient.connectionString(other.url);
    const subscription = otherClient.subscribeToAll({ fromPosition: END });
    await caughtUp(subscription);
    const ended = new Promise((resolve) => subscription.once('error', resolve));
    await other.stop();
    expect(await ended).toBeInstanceOf(UnavailableError);
    await otherClient.dispose();
  });
});
