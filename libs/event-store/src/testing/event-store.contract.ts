import { randomUUID } from 'node:crypto';
import {
  EventIdConflictError,
  EventStore,
  EventToAppend,
  RecordedEvent,
  Subscription,
  WrongExpectedRevisionError,
} from '../port';

export interface EventStoreUnderTest {
  store: EventStore;
  cleanup(): Promise<void>;
}

/** A ~200-byte event of the given type. */
export function sampleEvent(
  type = 'DisputeOpened',
  data: Record<string, unknown> = {},
): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data: {
      disputeId: randomUUID(),
      amount: { cents: 12_500, currency: 'EUR' },
      reason: 'item_not_received',
      ...data,
    },
    metadata: {
      correlationId: randomUUID(),
      actor: { id: 'u-1', role: 'buyer' },
      schemaVersion: 1,
    },
  };
}

/**
 * Reads `count` events from a subscription, failing after `timeoutMs`. Leaves the subscription open
 * (the caller closes it), so a later take continues where this one stopped.
 */
export async function takeEvents(
  subscription: Subscription,
  count: number,
  timeoutMs = 10_000,
): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const events: RecordedEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < count) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), remaining)),
    );
    const next = await Promise.race([iterator.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`Timed out after ${events.length} of ${count} events`);
    if (next.done) throw new Error(`Subscription ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}

async function expectRejection<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`Expected a ${type.name}`);
}

const ids = (events: readonly { id: string }[]) => events.map((event) => event.id);

export interface ContractOptions {
  /**
   * Whether re-using an event id in another stream is refused. PostgreSQL, PGlite and memory
   * enforce ids across the whole log; KurrentDB has no index by event id, so its adapter only
   * recognises ids within a stream (Arbiter derives event ids from the command and its stream).
   */
  eventIdsUniqueAcrossStreams?: boolean;
}

/**
 * The behaviour every EventStore adapter must have. `open` is called before each test and must
 * return an empty store; `cleanup` runs after it.
 */
export function describeEventStoreContract(
  name: string,
  open: () => Promise<EventStoreUnderTest>,
  options: ContractOptions = {},
): void {
  const acrossStreams = options.eventIdsUniqueAcrossStreams ?? true;
  describe(`EventStore contract: ${name}`, () => {
    // Jest's testTimeout is global (5 s unless set); stores on a shared, busy server need more.
    jest.setTimeout(30_000);
    let store: EventStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    describe('append and readStream', () => {
      it('records events with their stream, revisions, positions, content and a recording time', async () => {
        const before = Date.now();
        const events = [
          sampleEvent('DisputeOpened'),
          sampleEvent('EvidenceAdded', { note: 'photo' }),
        ];
        const result = await store.append('dispute-1', events, { expectedRevision: 'no_stream' });

        const recorded = await store.readStream('dispute-1');
        expect(recorded.map((e) => [e.streamId, e.revision, e.id, e.type, e.data])).toEqual(
          events.map((e, i) => ['dispute-1', BigInt(i), e.id, e.type, e.data]),
        );
        expect(result).toEqual({ nextRevision: 1n, position: recorded[1].position });
        expect(recorded[0].position).toBeGreaterThan(0n);
        expect(recorded[1].position).toBeGreaterThan(recorded[0].position);
        for (const event of recorded) {
          expect(event.recordedAt).toBeInstanceOf(Date);
          expect(event.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
          expect(event.recordedAt.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
        }
      });

      it('round-trips metadata, including fields the port does not name', async () => {
        const metadata = {
          correlationId: randomUUID(),
          causationId: randomUUID(),
          actor: { id: 'mediator-7', role: 'senior_mediator' as const },
          commandId: randomUUID(),
          schemaVersion: 3,
          auditHash: 'sha256:abc',
          nested: { list: [1, 'two', null], flag: true },
        };
        await store.append('dispute-1', [{ ...sampleEvent(), metadata }]);
        const [event] = await store.readStream('dispute-1');
        expect(event.metadata).toEqual(metadata);
        const [viaAll] = await store.readAll();
        expect(viaAll.metadata).toEqual(metadata);
      });

      it('records an event without metadata with empty metadata', async () => {
        await store.append('s', [{ id: randomUUID(), type: 'T', data: { a: 1 } }]);
        const [event] = await store.readStream('s');
        expect(event.metadata).toEqual({});
        expect(event.data).toEqual({ a: 1 });
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream('nope')).toEqual([]);
        expect(await store.readStream('nope', { direction: 'backwards' })).toEqual([]);
      });

      it('orders revisions as numbers, not as text (10 after 9)', async () => {
        for (let i = 0; i < 12; i++) await store.append('long', [sampleEvent()]);
        const forwards = (await store.readStream('long')).map((e) => Number(e.revision));
        expect(forwards).toEqual(Array.from({ length: 12 }, (_, i) => i));
        const backwards = await store.readStream('long', { direction: 'backwards', maxCount: 3 });
        expect(backwards.map((e) => Number(e.revision))).toEqual([11, 10, 9]);
        const all = await store.readAll();
        expect(all.map((e) => e.position)).toEqual(
          [...all.map((e) => e.position)].sort((a, b) => (a < b ? -1 : 1)),
        );
      });

      it('reads forwards and backwards, from a revision, with maxCount', async () => {
        const events = Array.from({ length: 6 }, (_, i) => sampleEvent(`T${i}`));
        await store.append('s', events.slice(0, 3));
        await store.append('other', [sampleEvent()]);
        await store.append('s', events.slice(3));
        const revisions = (list: RecordedEvent[]) => list.map((e) => Number(e.revision));

        expect(revisions(await store.readStream('s'))).toEqual([0, 1, 2, 3, 4, 5]);
        expect(revisions(await store.readStream('s', { from: 2n }))).toEqual([2, 3, 4, 5]);
        expect(revisions(await store.readStream('s', { from: 2n, maxCount: 2 }))).toEqual([2, 3]);
        expect(revisions(await store.readStream('s', { direction: 'backwards' }))).toEqual([
          5, 4, 3, 2, 1, 0,
        ]);
        expect(
          revisions(await store.readStream('s', { direction: 'backwards', maxCount: 1 })),
        ).toEqual([5]);
        expect(
          revisions(await store.readStream('s', { direction: 'backwards', from: 3n, maxCount: 2 })),
        ).toEqual([3, 2]);
        expect(revisions(await store.readStream('s', { from: 9n }))).toEqual([]);
        expect(ids(await store.readStream('s'))).toEqual(ids(events));
      });
    });

    describe('expected revision', () => {
      it('no_stream: succeeds on a new stream, fails on an existing one with the actual revision', async () => {
        await store.append('s', [sampleEvent(), sampleEvent()], { expectedRevision: 'no_stream' });
        const error = await expectRejection(
          store.append('s', [sampleEvent()], { expectedRevision: 'no_stream' }),
          WrongExpectedRevisionError,
        );
        expect(error).toMatchObject({
          code: 'WRONG_EXPECTED_REVISION',
          streamId: 's',
          expectedRevision: 'no_stream',
        });
        expect(error.actualRevision).toBe(1n);
      });

      it('exists: fails on a missing stream with -1n, succeeds on an existing one', async () => {
        const error = await expectRejection(
          store.append('s', [sampleEvent()], { expectedRevision: 'exists' }),
          WrongExpectedRevisionError,
        );
        expect(error.actualRevision).toBe(-1n);
        expect(await store.readStream('s')).toEqual([]);
        await store.append('s', [sampleEvent()]);
        await expect(
          store.append('s', [sampleEvent()], { expectedRevision: 'exists' }),
        ).resolves.toMatchObject({
          nextRevision: 1n,
        });
      });

      it('an exact revision must equal the last revision', async () => {
        await store.append('s', [sampleEvent(), sampleEvent()]);
        for (const wrong of [0n, 2n, -1n]) {
          const error = await expectRejection(
            store.append('s', [sampleEvent()], { expectedRevision: wrong }),
            WrongExpectedRevisionError,
          );
          expect(error.actualRevision).toBe(1n);
          expect(error.expectedRevision).toBe(wrong);
        }
        await expect(
          store.append('s', [sampleEvent()], { expectedRevision: 1n }),
        ).resolves.toMatchObject({
          nextRevision: 2n,
        });
        const missing = await expectRejection(
          store.append('new', [sampleEvent()], { expectedRevision: 0n }),
          WrongExpectedRevisionError,
        );
        expect(missing.actualRevision).toBe(-1n);
        expect((await store.readStream('s')).length).toBe(3);
      });

      it('any (and the default) never checks', async () => {
        await store.append('s', [sampleEvent()], { expectedRevision: 'any' });
        await store.append('s', [sampleEvent()]);
        expect((await store.readStream('s')).map((e) => e.revision)).toEqual([0n, 1n]);
      });
    });

    describe('idempotency by event id', () => {
      it('re-appending the same events returns the first result and records nothing new', async () => {
        const events = [sampleEvent(), sampleEvent()];
        const first = await store.append('s', events, { expectedRevision: 'no_stream' });
        await store.append('s', [sampleEvent()]);

        expect(await store.append('s', events, { expectedRevision: 'no_stream' })).toEqual(first);
        expect(await store.append('s', events, { expectedRevision: 0n })).toEqual(first);
        expect(await store.append('s', events)).toEqual(first);
        const copies = events.map((e) => ({ ...e, data: JSON.parse(JSON.stringify(e.data)) }));
        expect(await store.append('s', copies, { expectedRevision: 'any' })).toEqual(first);

        expect((await store.readStream('s')).length).toBe(3);
        expect((await store.readAll()).length).toBe(3);
      });

      it('re-appending after many other writes still records nothing new, whatever the expectation', async () => {
        const events = [sampleEvent('First'), sampleEvent('Second')];
        const first = await store.append('kept', events);
        // More writes than a server-side cache of recent ids would remember, in this stream and others.
        for (let i = 0; i < 150; i++) {
          await store.append(i % 3 === 0 ? 'kept' : `other-${i % 7}`, [sampleEvent('Filler')]);
        }
        expect(await store.append('kept', events)).toEqual(first);
        expect(await store.append('kept', events, { expectedRevision: 'any' })).toEqual(first);
        expect(await store.append('kept', events, { expectedRevision: 'exists' })).toEqual(first);
        expect(await store.append('kept', events, { expectedRevision: 'no_stream' })).toEqual(
          first,
        );
        expect(await store.append('kept', [events[1]])).toEqual(first);
        const kept = await store.readStream('kept');
        expect(kept.length).toBe(2 + 50);
        expect(kept.filter((e) => events.some((x) => x.id === e.id)).length).toBe(2);
      }, 60_000);

      (acrossStreams ? it : it.skip)('the same id in another stream is a conflict', async () => {
        const event = sampleEvent();
        await store.append('s', [event]);
        await expectRejection(store.append('elsewhere', [event]), EventIdConflictError);
        expect(await store.readStream('elsewhere')).toEqual([]);
      });

      it('the same ids at the same exact revision with other content are a conflict, not a success', async () => {
        const event = sampleEvent();
        await store.append('exact', [event], { expectedRevision: 'no_stream' });
        const other = { ...event, metadata: { correlationId: 'another request' } };
        await expectRejection(
          store.append('exact', [other], { expectedRevision: 'no_stream' }),
          EventIdConflictError,
        );
        const next = sampleEvent();
        await store.append('exact', [next], { expectedRevision: 0n });
        await expectRejection(
          store.append('exact', [{ ...next, data: { changed: true } }], { expectedRevision: 0n }),
          EventIdConflictError,
        );
        expect((await store.readStream('exact')).map((e) => e.id)).toEqual([event.id, next.id]);
      });

      it('the same id with other content, or twice in a batch is a conflict', async () => {
        const event = sampleEvent();
        await store.append('s', [event]);

        const otherData = await expectRejection(
          store.append('s', [{ ...event, data: { changed: true } }]),
          EventIdConflictError,
        );
        expect(otherData).toMatchObject({ code: 'EVENT_ID_CONFLICT', eventId: event.id });
        await expectRejection(
          store.append('s', [{ ...event, type: 'Other' }]),
          EventIdConflictError,
        );
        await expectRejection(
          store.append('s', [{ ...event, metadata: { actor: { id: 'x', role: 'seller' } } }]),
          EventIdConflictError,
        );
        await expectRejection(store.append('s', [sampleEvent(), event]), EventIdConflictError);
        const twice = sampleEvent();
        await expectRejection(store.append('t', [twice, twice]), EventIdConflictError);

        expect((await store.readAll()).map((e) => e.id)).toEqual([event.id]);
      });
    });

    describe('readAll and headPosition', () => {
      it('reads the global order after an exclusive position, with maxCount', async () => {
        expect(await store.headPosition()).toBe(0n);
        expect(await store.readAll()).toEqual([]);
        const appended: EventToAppend[] = [];
        for (let i = 0; i < 5; i++) {
          const batch = [sampleEvent(), sampleEvent()];
          appended.push(...batch);
          await store.append(`s-${i % 2}`, batch);
        }
        const all = await store.readAll();
        expect(ids(all)).toEqual(ids(appended));
        for (let i = 1; i < all.length; i++)
          expect(all[i].position).toBeGreaterThan(all[i - 1].position);
        expect(await store.headPosition()).toBe(all[all.length - 1].position);

        expect(ids(await store.readAll({ after: all[3].position }))).toEqual(ids(all.slice(4)));
        expect(ids(await store.readAll({ after: all[3].position, maxCount: 2 }))).toEqual(
          ids(all.slice(4, 6)),
        );
        expect(await store.readAll({ after: all[all.length - 1].position })).toEqual([]);
      });

      it('filters by event types and by stream prefixes (literally, no wildcards)', async () => {
        await store.append('dispute-1', [sampleEvent('Opened'), sampleEvent('Closed')]);
        await store.append('payout-1', [sampleEvent('Opened')]);
        await store.append('dispute_x', [sampleEvent('Opened')]);
        await store.append('dispute%2', [sampleEvent('Other')]);
        const streams = (list: RecordedEvent[]) => list.map((e) => `${e.streamId}:${e.type}`);

        expect(streams(await store.readAll({ filter: { eventTypes: ['Opened'] } }))).toEqual([
          'dispute-1:Opened',
          'payout-1:Opened',
          'dispute_x:Opened',
        ]);
        expect(streams(await store.readAll({ filter: { streamPrefixes: ['dispute-'] } }))).toEqual([
          'dispute-1:Opened',
          'dispute-1:Closed',
        ]);
        expect(
          streams(await store.readAll({ filter: { streamPrefixes: ['dispute%', 'payout-'] } })),
        ).toEqual(['payout-1:Opened', 'dispute%2:Other']);
        expect(
          streams(
            await store.readAll({
              filter: { eventTypes: ['Opened', 'Other'], streamPrefixes: ['dispute'] },
            }),
          ),
        ).toEqual(['dispute-1:Opened', 'dispute_x:Opened', 'dispute%2:Other']);
        expect(await store.readAll({ filter: { eventTypes: [] } })).toEqual([]);
        const all = await store.readAll();
        expect(
          streams(
            await store.readAll({
              after: all[0].position,
              maxCount: 1,
              filter: { eventTypes: ['Opened'] },
            }),
          ),
        ).toEqual(['payout-1:Opened']);
      });
    });

    describe('positions', () => {
      it('order the log across many streams; resuming after any of them gives exactly the rest', async () => {
        const streams = 25;
        await Promise.all(
          Array.from({ length: streams }, async (_, s) => {
            for (let i = 0; i < 4; i++) {
              await store.append(`many-${s}`, [sampleEvent('Step', { s, i })]);
            }
          }),
        );
        const all = await store.readAll();
        expect(all.length).toBe(streams * 4);
        for (let i = 1; i < all.length; i++)
          expect(all[i].position).toBeGreaterThan(all[i - 1].position);
        for (let s = 0; s < streams; s++) {
          const own = all.filter((e) => e.streamId === `many-${s}`);
          expect(own.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3]);
        }
        // A checkpoint is kept as text (a database column, a GraphQL cursor) and read back.
        for (const [i, event] of all.entries()) {
          if (i % 7 !== 0) continue;
          const checkpoint = BigInt(event.position.toString());
          expect(ids(await store.readAll({ after: checkpoint }))).toEqual(ids(all.slice(i + 1)));
        }
        expect(await store.headPosition()).toBe(all[all.length - 1].position);
      }, 60_000);
    });

    describe('concurrency', () => {
      it('50 concurrent appends with exact expected revisions: one winner per revision, all land, no gaps', async () => {
        let conflicts = 0;
        const writer = async (n: number) => {
          const event = sampleEvent('Step', { n });
          for (;;) {
            const [last] = await store.readStream('contended', {
              direction: 'backwards',
              maxCount: 1,
            });
            const expected = last ? last.revision : ('no_stream' as const);
            try {
              return await store.append('contended', [event], { expectedRevision: expected });
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
              conflicts++;
              // The actual revision reported is never older than what this writer loaded.
              expect(error.actualRevision).toBeGreaterThan(last ? last.revision : -1n);
            }
          }
        };
        const results = await Promise.all(Array.from({ length: 50 }, (_, n) => writer(n)));

        const stream = await store.readStream('contended');
        expect(stream.map((e) => e.revision)).toEqual(
          Array.from({ length: 50 }, (_, i) => BigInt(i)),
        );
        expect(new Set(stream.map((e) => (e.data as { n: number }).n)).size).toBe(50);
        expect(new Set(results.map((r) => r.nextRevision)).size).toBe(50);
        expect(conflicts).toBeGreaterThan(0);
      }, 60_000);

      it('20 concurrent writers while a subscriber reads: every event once, in the store order', async () => {
        const writers = 20;
        const perWriter = 8;
        const subscription = store.subscribeToAll();
        const received = takeEvents(subscription, writers * perWriter, 30_000);
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < perWriter; i++) {
              await store.append(`writer-${w}`, [sampleEvent('Tick', { w, i })], {
                expectedRevision: i === 0 ? 'no_stream' : BigInt(i - 1),
              });
            }
          }),
        );
        const seen = await received;
        await subscription.close();

        const all = await store.readAll();
        expect(all.length).toBe(writers * perWriter);
        expect(ids(seen)).toEqual(ids(all));
        expect(seen.map((e) => e.position)).toEqual(all.map((e) => e.position));
        expect(new Set(ids(seen)).size).toBe(seen.length);
      }, 60_000);
    });

    describe('subscribeToAll', () => {
      it('catches up, then delivers new events promptly', async () => {
        await store.append('s', [sampleEvent(), sampleEvent()]);
        const subscription = store.subscribeToAll({ batchSize: 1 });
        const caughtUp = await takeEvents(subscription, 2);
        expect(ids(caughtUp)).toEqual(ids(await store.readAll()));

        const live = sampleEvent('Live');
        const pending = takeEvents(subscription, 1, 5_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const appendedAt = Date.now();
        await store.append('s', [live]);
        const [event] = await pending;
        expect(event.id).toBe(live.id);
        expect(Date.now() - appendedAt).toBeLessThan(400);
        await subscription.close();
      });

      it('a subscriber resumed from its checkpoint sees nothing twice and misses nothing', async () => {
        const first = Array.from({ length: 6 }, () => sampleEvent());
        await store.append('s', first.slice(0, 3));
        await store.append('t', first.slice(3));

        const one = store.subscribeToAll({ batchSize: 2 });
        const before = await takeEvents(one, 4);
        await one.close();
        const checkpoint = before[before.length - 1].position;

        const later = [sampleEvent(), sampleEvent()];
        await store.append('u', later);
        const two = store.subscribeToAll({ after: checkpoint, batchSize: 2 });
        const after = await takeEvents(two, 4);
        await two.close();

        expect(ids([...before, ...after])).toEqual(ids([...first, ...later]));
      });

      it('applies the filter', async () => {
        const subscription = store.subscribeToAll({
          filter: { eventTypes: ['Wanted'], streamPrefixes: ['dispute-'] },
        });
        const wanted = sampleEvent('Wanted');
        await store.append('dispute-1', [sampleEvent('Unwanted'), wanted]);
        await store.append('payout-1', [sampleEvent('Wanted')]);
        const last = sampleEvent('Wanted');
        await store.append('dispute-2', [last]);
        expect(ids(await takeEvents(subscription, 2))).toEqual([wanted.id, last.id]);
        await subscription.close();
      });

      it('close() ends a pending iteration with done', async () => {
        const subscription = store.subscribeToAll();
        const iterator = subscription[Symbol.asyncIterator]();
        const pending = iterator.next();
        await new Promise((resolve) => setTimeout(resolve, 50));
        await subscription.close();
        await expect(pending).resolves.toEqual({ done: true, value: undefined });
        await expect(iterator.next()).resolves.toMatchObject({ done: true });
      });

      it('break in for-await ends the subscription; the store still closes promptly', async () => {
        await store.append('s', [sampleEvent(), sampleEvent(), sampleEvent()]);
        const subscription = store.subscribeToAll();
        const seen: string[] = [];
        for await (const event of subscription) {
          seen.push(event.id);
          if (seen.length === 2) break;
        }
        expect(seen.length).toBe(2);
        await expect(subscription[Symbol.asyncIterator]().next()).resolves.toMatchObject({
          done: true,
        });
        await subscription.close();
      });

      it('store.close() ends open subscriptions', async () => {
        const subscription = store.subscribeToAll();
        const pending = subscription[Symbol.asyncIterator]().next();
        await new Promise((resolve) => setTimeout(resolve, 30));
        await store.close();
        await expect(pending).resolves.toMatchObject({ done: true });
      });
    });
  });
}
