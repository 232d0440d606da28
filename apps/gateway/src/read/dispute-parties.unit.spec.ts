import { MemoryEventStore } from '@arbiter/event-store';
import { sampleEvent } from '@arbiter/event-store/testing';
import { DisputeParties } from './dispute-parties';

describe('DisputeParties', () => {
  it('learns the parties from a DisputeOpened passing by, without reading the store', async () => {
    const store = new MemoryEventStore();
    const readStream = jest.spyOn(store, 'readStream');
    const parties = new DisputeParties(store);
    await store.append('dispute-d1', [
      sampleEvent('DisputeOpened', { disputeId: 'd1', buyerId: 'b1', sellerId: 's1' }),
      sampleEvent('MessagePosted', { disputeId: 'd1' }),
    ]);
    const [opened, posted] = await store.readAll();
    expect(await parties.of(opened)).toEqual({ buyerId: 'b1', sellerId: 's1' });
    expect(await parties.of(posted)).toEqual({ buyerId: 'b1', sellerId: 's1' });
    expect(readStream).not.toHaveBeenCalled();
  });

  it('reads the opening of a dispute it has not seen open, once', async () => {
    const store = new MemoryEventStore();
    await store.append('dispute-d2', [
      sampleEvent('DisputeOpened', { disputeId: 'd2', buyerId: 'b2', sellerId: 's2' }),
      sampleEvent('MessagePosted', { disputeId: 'd2' }),
      sampleEvent('MessagePosted', { disputeId: 'd2' }),
    ]);
    const [, first, second] = await store.readAll();
    const readStream = jest.spyOn(store, 'readStream');
    const parties = new DisputeParties(store);
    expect(await parties.of(first)).toEqual({ buyerId: 'b2', sellerId: 's2' });
    expect(await parties.of(second)).toEqual({ buyerId: 'b2', sellerId: 's2' });
    expect(readStream).toHaveBeenCalledTimes(1);
  });

  it('knows no parties for an event without a dispute, or a stream that does not open with one', async () => {
    const store = new MemoryEventStore();
    await store.append('dispute-d3', [sampleEvent('MessagePosted', { disputeId: 'd3' })]);
    await store.append('order-o1', [sampleEvent('OrderPlaced', { disputeId: undefined })]);
    const [orphan, order] = await store.readAll();
    const parties = new DisputeParties(store);
    expect(await parties.of(orphan)).toBeNull();
    expect(await parties.of(order)).toBeNull();
  });
});
