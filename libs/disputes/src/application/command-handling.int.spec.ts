import { EventStore, MemoryEventStore } from '@arbiter/event-store';
import { DatabaseUnavailableError } from '@arbiter/platform/database-errors';
import { verifyChain } from './audit-chain';
import { commandIdFor, Decider, handleCommand } from './command-handling';

// A counter that refuses to pass 50 is enough to exercise load → decide → append, conflicts and idempotency.
type Event = { type: 'Incremented'; data: { by: number } };
type Command = { type: 'Increment'; by: number };
const counter: Decider<Command, Event, number> = {
  initialState: 0,
  evolve: (state, event) => state + event.data.by,
  decide: (command, state) => {
    if (state + command.by > 50) throw Object.assign(new Error('too much'), { code: 'LIMIT' });
    return [{ type: 'Incremented', data: { by: command.by } }];
  },
};
const actor = { id: 'u-1', role: 'buyer' };

describe('handleCommand', () => {
  it('appends the decided events with their command id, actor and chained hash', async () => {
    const store = new MemoryEventStore();
    const first = await handleCommand(store, 'c-1', { type: 'Increment', by: 2 }, counter, {
      commandId: 'cmd-1',
      correlationId: 'corr-1',
      actor,
    });
    await handleCommand(store, 'c-1', { type: 'Increment', by: 3 }, counter, {
      commandId: 'cmd-2',
      actor,
    });
    expect(first).toMatchObject({ state: 2, revision: 0n, replayed: false });
    const events = await store.readStream('c-1');
    expect(events.map((e) => e.metadata)).toEqual([
      expect.objectContaining({
        commandId: 'cmd-1',
        correlationId: 'corr-1',
        actor,
        schemaVersion: 1,
      }),
      expect.objectContaining({ commandId: 'cmd-2', correlationId: 'cmd-2', actor }),
    ]);
    expect(verifyChain(events)).toMatchObject({ intact: true, events: 2 });
  });

  it('answers a repeated command id with the state it left and appends nothing', async () => {
    const store = new MemoryEventStore();
    const commandId = commandIdFor(actor, 'key-1');
    await handleCommand(store, 'c-2', { type: 'Increment', by: 2 }, counter, { commandId, actor });
    await handleCommand(store, 'c-2', { type: 'Increment', by: 5 }, counter, {
      commandId: 'other',
      actor,
    });
    const again = await handleCommand(store, 'c-2', { type: 'Increment', by: 2 }, counter, {
      commandId,
      actor,
    });
    expect(again).toMatchObject({ state: 2, revision: 0n, replayed: true, appended: [] });
    expect(await store.readStream('c-2')).toHaveLength(2);
    expect(commandIdFor(actor, 'key-1')).toBe(commandId);
    expect(commandIdFor({ id: 'u-2', role: 'buyer' }, 'key-1')).not.toBe(commandId);
  });

  it('decides again on the new state when concurrent commands race, losing no update', async () => {
    const store = new MemoryEventStore();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        handleCommand(
          store,
          'c-3',
          { type: 'Increment', by: 1 },
          counter,
          { commandId: `cmd-${i}`, actor },
          { maxAttempts: 100 },
        ),
      ),
    );
    const events = await store.readStream('c-3');
    expect(events).toHaveLength(30);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
    expect(verifyChain(events).intact).toBe(true);
  });

  it('re-decides rather than replays: a rule that the race made false refuses the late command', async () => {
    const store = new MemoryEventStore();
    await handleCommand(store, 'c-4', { type: 'Increment', by: 30 }, counter, {
      commandId: 'a',
      actor,
    });
    const results = await Promise.allSettled([
      handleCommand(store, 'c-4', { type: 'Increment', by: 15 }, counter, {
        commandId: 'b',
        actor,
      }),
      handleCommand(store, 'c-4', { type: 'Increment', by: 15 }, counter, {
        commandId: 'c',
        actor,
      }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'LIMIT' },
    });
  });

  it('reports a broken chain at the first altered revision', async () => {
    const store = new MemoryEventStore();
    for (const id of ['a', 'b', 'c']) {
      await handleCommand(store, 'c-5', { type: 'Increment', by: 1 }, counter, {
        commandId: id,
        actor,
      });
    }
    const events = await store.readStream('c-5');
    const altered = events.map((e, i) => (i === 1 ? { ...e, data: { by: 9 } } : e));
    expect(verifyChain(altered)).toMatchObject({ intact: false, brokenAtRevision: 1n });
    expect(verifyChain(events.filter((_, i) => i !== 1))).toMatchObject({
      intact: false,
      brokenAtRevision: 1n,
    });
  });

  it('tells whether a command failed on a database fault was applied, across the streams it writes', async () => {
    const memory = new MemoryEventStore();
    // The store's own classification for an insert sent without an answer, and for one refused.
    let failNext: 'append-lost' | 'read-refused' | undefined;
    const store: EventStore = Object.assign(Object.create(memory) as EventStore, {
      readStream: (...args: Parameters<EventStore['readStream']>) => {
        if (failNext !== 'read-refused') return memory.readStream(...args);
        failNext = undefined;
        throw Object.assign(new Error('terminating connection'), {
          code: '57P01',
          severity: 'FATAL',
        });
      },
      append: async (...args: Parameters<EventStore['append']>) => {
        if (failNext !== 'append-lost') return memory.append(...args);
        failNext = undefined;
        await memory.append(...args);
        throw DatabaseUnavailableError.from(new Error('Query read timeout'), 'write');
      },
    });
    const increment = { type: 'Increment' as const, by: 1 };
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );

    // Refused before anything was written: not applied.
    failNext = 'read-refused';
    const refused = await failure(
      handleCommand(store, 'o-1', increment, counter, { commandId: 'cmd-a', actor }),
    );
    expect(refused).toBeInstanceOf(DatabaseUnavailableError);
    expect(refused).toMatchObject({ fault: 'shutdown', outcome: 'NOT_APPLIED' });

    // The insert was sent and the answer lost (it did commit here): unknown, and the retry with
    // the same command id finds it and appends nothing.
    failNext = 'append-lost';
    const lost = await failure(
      handleCommand(store, 'o-1', increment, counter, { commandId: 'cmd-b', actor }),
    );
    expect(lost).toMatchObject({ fault: 'timeout', outcome: 'UNKNOWN' });
    const retried = await handleCommand(store, 'o-1', increment, counter, {
      commandId: 'cmd-b',
      actor,
    });
    expect(retried).toMatchObject({ replayed: true, state: 1 });

    // A command writing two streams: the first recorded, the second refused — partly applied,
    // so the caller hears UNKNOWN, not NOT_APPLIED.
    const context = { commandId: 'cmd-c', actor };
    await handleCommand(store, 'o-2', increment, counter, context);
    failNext = 'read-refused';
    const second = await failure(handleCommand(store, 'd-2', increment, counter, context));
    expect(second).toMatchObject({ fault: 'shutdown', outcome: 'UNKNOWN' });
  });
});
