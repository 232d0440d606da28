import { MemoryEventStore } from '@arbiter/event-store';
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
});
