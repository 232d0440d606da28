import { Inject, Injectable } from '@nestjs/common';
import { type DisputeOpened, disputeStreamId } from '@arbiter/disputes';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@arbiter/event-store';

export interface Parties {
  buyerId: string;
  sellerId: string;
}

const CACHE_LIMIT = 100_000;

/**
 * The buyer and the seller of each dispute, for the live lists to tell from an event alone
 * whether it concerns a subscriber: learnt from the `DisputeOpened` events passing by, or read
 * once from the dispute's first event. From the store, not the read models, so a list never
 * waits for a projection only to throw the event away. Shared by every subscriber of the process;
 * the parties of a dispute never change, so nothing here goes stale.
 */
@Injectable()
export class DisputeParties {
  private readonly known = new Map<string, Parties>();

  constructor(@Inject(EVENT_STORE) private readonly store: Pick<EventStore, 'readStream'>) {}

  /** The parties of the event's dispute; null for an event that is not a dispute's. */
  of(event: RecordedEvent): Parties | null | Promise<Parties | null> {
    const data = event.data as Partial<DisputeOpened['data']> & { disputeId?: unknown };
    if (typeof data.disputeId !== 'string') return null;
    if (event.type === 'DisputeOpened' && data.buyerId && data.sellerId)
      return this.remember(data.disputeId, { buyerId: data.buyerId, sellerId: data.sellerId });
    return this.known.get(data.disputeId) ?? this.opening(data.disputeId);
  }

  private async opening(disputeId: string): Promise<Parties | null> {
    const [first] = await this.store.readStream(disputeStreamId(disputeId), { maxCount: 1 });
    if (first?.type !== 'DisputeOpened') return null;
    const { buyerId, sellerId } = first.data as DisputeOpened['data'];
    return this.remember(disputeId, { buyerId, sellerId });
  }

  private remember(disputeId: string, parties: Parties): Parties {
    if (this.known.size >= CACHE_LIMIT) this.known.clear();
    this.known.set(disputeId, parties);
    return parties;
  }
}
