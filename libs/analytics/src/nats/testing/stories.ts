import { randomBytes } from 'node:crypto';
import { type Actor, addDays } from '@arbiter/disputes';
import type { EventStore } from '@arbiter/event-store';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { type FeedEvent, toFeedEvent } from '../../feed-event';
import { Pseudonyms } from '../../pseudonyms';

export const TEST_PSEUDONYM_KEY = 'nats-forwarder-test-pseudonym-key-of-32+chars';

/** Personal text the stories write (mediatedStory's own): none of it may reach an analyst. */
export const PERSONAL_TEXTS = [
  'The colour is wrong',
  'I can refund part',
  'That is not enough',
  'Photo of the wrong colour',
  'Show the listing photo',
  'Seller has several similar cases',
  'The listing said dark blue',
  'Photos show a different colour',
  'PAY-',
  'a'.repeat(64),
];

/**
 * Whole mediated disputes written through the real deciders (so every event is one the domain can
 * produce), by people whose ids are unique to the run: a raw id in a message is then unambiguous.
 */
export class Stories {
  readonly scenario: DisputeScenario;
  readonly run = randomBytes(4).toString('hex');
  /** Every raw id of a person or an order the stories used. */
  readonly rawIds: string[] = [];
  private count = 0;

  constructor(readonly store: EventStore) {
    this.scenario = new DisputeScenario(store, undefined, `nats-${this.run}`);
  }

  /** Appends `n` closed disputes (about 14 events each, one of them a mediator-only note). */
  async add(n = 1): Promise<bigint> {
    for (let i = 0; i < n; i++) {
      const k = ++this.count;
      const id = (what: string) => `${what}-${this.run}-${k}`;
      const buyer: Actor = { id: id('buyer'), role: 'buyer' };
      const seller: Actor = { id: id('seller'), role: 'seller' };
      const mediator: Actor = { id: id('mediator'), role: 'mediator' };
      const orderId = id('order');
      this.rawIds.push(buyer.id, seller.id, mediator.id, orderId);
      const start = addDays('2026-03-01T00:00:00.000Z', k);
      await this.scenario.placeShippedOrder({
        orderId,
        buyerId: buyer.id,
        sellerId: seller.id,
        total: { amountMinor: 10_000, currency: 'EUR' },
        at: start,
      });
      await mediatedStory(
        this.scenario,
        { disputeId: id('dispute'), orderId },
        { buyer, seller, mediator },
        addDays(start, 1),
      );
    }
    return this.scenario.lastPosition;
  }

  /** What the stream must hold, in order: every dispute event of the store in the analyst's form. */
  async expectedFeed(): Promise<FeedEvent[]> {
    const pseudonyms = new Pseudonyms(TEST_PSEUDONYM_KEY);
    const events = await this.store.readAll({ maxCount: 100_000 });
    return events.flatMap((event) => toFeedEvent(event, 'analyst', pseudonyms.of) ?? []);
  }
}
