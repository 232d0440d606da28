import type { EventStore, RecordedEvent, Subscription } from '@arbiter/event-store';
import { DisputeUpdates } from './dispute-updates';

/**
 * A stand-in for the store port's `subscribeToAll`: a transient database failure cannot be
 * produced on demand against PGlite or PostgreSQL, so each subscription is scripted instead —
 * events to deliver, then either a failure or staying open until closed (like a live one).
 */
class ScriptedStore implements Pick<EventStore, 'subscribeToAll' | 'headPosition'> {
  readonly opened: (bigint | undefined)[] = [];
  constructor(private readonly scripts: { events: bigint[]; thenFail?: boolean }[]) {}

  async headPosition(): Promise<bigint> {
    return 0n;
  }

  subscribeToAll(options: { after?: bigint } = {}): Subscription {
    this.opened.push(options.after);
    const script = this.scripts.shift() ?? { events: [] };
    let closed = false;
    let wake: (() => void) | undefined;
    return {
      async close() {
        closed = true;
        wake?.();
      },
      async *[Symbol.asyncIterator]() {
        for (const position of script.events) {
          await Promise.resolve();
          yield event(position);
        }
        if (script.thenFail) throw new Error('Connection terminated unexpectedly');
        while (!closed) await new Promise<void>((resolve) => (wake = resolve));
      },
    };
  }
}

function event(position: bigint): RecordedEvent {
  return {
    streamId: 'dispute-d-1',
    revision: position,
    position,
    id: `e-${position}`,
    type: 'DisputeOpened',
    data: { disputeId: 'd-1' },
    metadata: {} as RecordedEvent['metadata'],
    recordedAt: new Date(0),
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('DisputeUpdates', () => {
  it('keeps feeding its listeners after a store read fails, from the last position delivered', async () => {
    const store = new ScriptedStore([
      { events: [5n, 6n], thenFail: true },
      { events: [7n], thenFail: true },
      { events: [8n] },
    ]);
    const updates = new DisputeUpdates(store, { initialMs: 1, maxMs: 4 });
    const first: bigint[] = [];
    const second: bigint[] = [];
    const stopFirst = await updates.listen('d-1', (position) => first.push(position));
    await updates.listen('d-1', (position) => second.push(position));

    await until(() => first.length === 4);
    expect(first).toEqual([5n, 6n, 7n, 8n]);
    expect(second).toEqual([5n, 6n, 7n, 8n]);
    expect(store.opened).toEqual([0n, 6n, 7n]);

    stopFirst();
    await updates.onModuleDestroy();
  });

  it('stops re-opening once nobody listens', async () => {
    const store = new ScriptedStore([{ events: [], thenFail: true }]);
    const updates = new DisputeUpdates(store, { initialMs: 50, maxMs: 50 });
    const stop = await updates.listen('d-1', () => undefined);
    await until(() => store.opened.length === 1);
    stop();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(store.opened).toEqual([0n]);
    await updates.onModuleDestroy();
  });
});
