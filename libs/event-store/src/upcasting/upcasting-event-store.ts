import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from '../port';
import type { EventSchemas } from './event-schemas';
import {
  PersonalDataEventStore,
  type PersonalDataOptions,
} from '../personal-data/personal-data-event-store';

/**
 * Any store, read through the schemas: `readStream`, `readAll` and subscriptions hand out every
 * event in its type's current shape, so deciders, projections, the deadline worker and the feeds
 * never meet an old one. Appends pass through untouched. `stored` is the wrapped store, for the
 * one reader that must see the stored bytes: the audit hash chain.
 */
export class UpcastingEventStore implements EventStore {
  constructor(
    readonly stored: EventStore,
    readonly schemas: EventSchemas,
  ) {}

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    return this.stored.append(streamId, events, options);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.stored.readStream(streamId, options)).map((e) => this.schemas.upcast(e));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.stored.readAll(options)).map((e) => this.schemas.upcast(e));
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    return new UpcastingSubscription(this.stored.subscribeToAll(options), this.schemas);
  }

  headPosition(): Promise<bigint> {
    return this.stored.headPosition();
  }

  close(): Promise<void> {
    return this.stored.close();
  }
}

/** The store that holds the bytes: through any upcasting decorator. */
export function storedEventsOf(store: EventStore): EventStore {
  return store instanceof UpcastingEventStore || store instanceof PersonalDataEventStore
    ? storedEventsOf(store.stored)
    : store;
}

/**
 * Where the store keeps personal data keys (beneath any upcasting): the command handler encrypts
 * personal fields with them. Undefined for a store read without them (tools, plain tests).
 */
export function personalDataOf(store: EventStore): PersonalDataOptions | undefined {
  if (store instanceof PersonalDataEventStore) return store.personalData;
  return store instanceof UpcastingEventStore ? personalDataOf(store.stored) : undefined;
}

/**
 * Upcasts as it delivers. An event it cannot read ends the subscription with that error, and every
 * later `next()` repeats it: a consumer that retries must resubscribe from its checkpoint, so the
 * unreadable event is never skipped.
 */
class UpcastingSubscription implements Subscription {
  private iterator: AsyncIterator<RecordedEvent> | undefined;
  private failure: unknown;

  constructor(
    private readonly inner: Subscription,
    private readonly schemas: EventSchemas,
  ) {}

  // One iterator per subscription, as the adapters' own: a second for-await continues the first.
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.upcasting(this.inner[Symbol.asyncIterator]());
    return this.iterator;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private upcasting(source: AsyncIterator<RecordedEvent>): AsyncIterator<RecordedEvent> {
    return {
      next: async () => {
        if (this.failure !== undefined) throw this.failure;
        const result = await source.next();
        if (result.done) return result;
        try {
          return { done: false, value: this.schemas.upcast(result.value) };
        } catch (error) {
          this.failure = error;
          throw error;
        }
      },
      return: async (value?: unknown) =>
        source.return
          ? source.return(value)
          : { done: true as const, value: value as RecordedEvent },
    };
  }
}
