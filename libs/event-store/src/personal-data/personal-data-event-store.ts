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
import type { PersonKeys } from './person-keys';
import { openPersonalFields, personalDataMarkOf } from './personal-data-cipher';

export interface PersonalDataOptions {
  keys: PersonKeys;
  /** What a personal string reads once its key is destroyed (the application's marker). */
  erased: string;
}

/**
 * Any store, with personal fields opened as they are read: `readStream`, `readAll` and
 * subscriptions hand out plaintext, or the erased marker where the person's key is destroyed.
 * Events without `metadata.personalData` (legacy, system) pass unchanged. Appends pass through:
 * the command handler encrypts before it hashes (`personalDataOf`), so the stored bytes, and the
 * chain over them, are the ciphertext. `stored` is the wrapped store (`storedEventsOf`).
 */
export class PersonalDataEventStore implements EventStore {
  constructor(
    readonly stored: EventStore,
    readonly personalData: PersonalDataOptions,
  ) {}

  append(
    streamId: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    return this.stored.append(streamId, events, options);
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.open(await this.stored.readStream(streamId, options));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.open(await this.stored.readAll(options));
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    const inner = this.stored.subscribeToAll(options);
    const open = (event: RecordedEvent) => this.openOne(event);
    let iterator: AsyncIterator<RecordedEvent> | undefined;
    return {
      close: () => inner.close(),
      [Symbol.asyncIterator]: () => {
        if (iterator) return iterator;
        const source = inner[Symbol.asyncIterator]();
        iterator = {
          next: async () => {
            const result = await source.next();
            return result.done ? result : { done: false, value: await open(result.value) };
          },
          return: async (value?: unknown) =>
            source.return
              ? source.return(value)
              : { done: true as const, value: value as RecordedEvent },
        };
        return iterator;
      },
    };
  }

  headPosition(): Promise<bigint> {
    return this.stored.headPosition();
  }

  async close(): Promise<void> {
    await this.personalData.keys.close?.();
    await this.stored.close();
  }

  /** Opens a batch, each key fetched once. */
  async open(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const keyIds = new Set<string>();
    for (const event of events) {
      const mark = personalDataMarkOf(event.metadata);
      if (mark) keyIds.add(mark.keyId);
    }
    if (keyIds.size === 0) return events;
    const keys = new Map(
      await Promise.all(
        [...keyIds].map(async (id) => [id, await this.personalData.keys.get(id)] as const),
      ),
    );
    return events.map((event) => {
      const mark = personalDataMarkOf(event.metadata);
      if (!mark) return event;
      const key = keys.get(mark.keyId)?.key ?? null;
      return {
        ...event,
        data: openPersonalFields(event.data, mark, event.id, key, this.personalData.erased),
      };
    });
  }

  private async openOne(event: RecordedEvent): Promise<RecordedEvent> {
    return (await this.open([event]))[0];
  }
}
