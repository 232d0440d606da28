import type { EventStore, RecordedEvent } from '@arbiter/event-store/port';
import { personalDataMarkOf } from '@arbiter/event-store/personal-data/personal-data-cipher';
import type { PersonKeys } from '@arbiter/event-store/personal-data/person-keys';
import { personalDataOf } from '@arbiter/event-store/upcasting/upcasting-event-store';

/** How much the state cache may hold: streams, and events across them (0 streams: no cache). */
export interface StateCacheLimits {
  maxStreams: number;
  maxEvents: number;
}

/**
 * A few thousand disputes in flight stay warm; the event bound keeps a process's memory in check
 * when some of them are long (an event with its decrypted text is well under a kilobyte).
 */
export const DEFAULT_STATE_CACHE_LIMITS: StateCacheLimits = {
  maxStreams: 2_000,
  maxEvents: 100_000,
};

/** The limits from the process's settings (`STATE_CACHE_STREAMS`, `STATE_CACHE_EVENTS`). */
export function stateCacheLimitsOf(settings: {
  STATE_CACHE_STREAMS: number;
  STATE_CACHE_EVENTS: number;
}): StateCacheLimits {
  return { maxStreams: settings.STATE_CACHE_STREAMS, maxEvents: settings.STATE_CACHE_EVENTS };
}

/** How a stream's events fold into a state: the decider's own `evolve` and start. */
export interface Fold<State> {
  readonly initialState: State;
  readonly evolve: (state: State, event: never) => State;
}

/** One stream as it was read, folded: everything a command or a load needs without a full read. */
export interface LoadedStream<State> {
  /** Every event of the stream, in order. Never mutated: a newer read makes a new array. */
  readonly events: readonly RecordedEvent[];
  /** The events folded by the decider. */
  readonly state: State;
  /** The index of the last event of each command id in the stream (idempotency without a scan). */
  readonly lastOfCommand: CommandIndex;
}

interface Entry extends LoadedStream<unknown> {
  readonly fold: Fold<unknown>;
  /** Keys of encrypted events that were live after the read: their text was read in the clear. */
  readonly liveKeys: readonly string[];
  /** Keys destroyed before the read: their events' text was read as erased already. */
  readonly erasedKeys: ReadonlySet<string>;
  /**
   * Views folded from this entry's events, by name (the audience): the view after `events[index]`.
   * A pure fold of an immutable prefix, so filling it in later never changes what it answers.
   */
  readonly views: Map<string, { index: number; view: unknown }>;
}

/**
 * A bounded in-process cache of folded streams (least recently used first out), so a command on a
 * long stream reads only what was appended since it was last seen.
 *
 * It never decides anything on its own: every use reads the stream's tail from the last cached
 * revision, inclusive, and trusts the entry only when that first event is the cached last one (same
 * id, same chain hash). A stream rewritten in place (personal text encrypted later re-chains every
 * hash after it) or truncated fails that check and is read whole; events appended by another
 * process or store instance are in the tail. Entries are replaced, never changed, so two commands
 * on one stream in this process at once can only race to put their own complete entry.
 *
 * Personal text: events are decrypted as they are read, and a key destroyed later must erase them
 * here too. Each entry remembers the keys its clear text was read with, and every use asks the
 * store's own `PersonKeys` (the ones a fresh read would ask) whether they still live: a destroyed
 * one drops the entry and the stream is read again.
 */
export class StateCache {
  private readonly entries = new Map<string, Entry>();
  private events = 0;

  constructor(readonly limits: StateCacheLimits = DEFAULT_STATE_CACHE_LIMITS) {}

  /** Streams held now, and events across them. */
  get size(): { streams: number; events: number } {
    return { streams: this.entries.size, events: this.events };
  }

  /** Whether the stream is held now (what it holds is checked on every use all the same). */
  has(streamId: string): boolean {
    return this.entries.has(streamId);
  }

  clear(): void {
    this.entries.clear();
    this.events = 0;
  }

  /**
   * The stream, read and folded: from the cached entry and the events appended since, or whole.
   * Errors of the store's reads come through unchanged.
   */
  async load<State>(
    store: EventStore,
    streamId: string,
    fold: Fold<State>,
  ): Promise<LoadedStream<State>> {
    const keys = personalDataOf(store)?.keys;
    // Keys seen destroyed: any read that starts after that sees their text erased.
    const erasedBeforeRead = new Set<string>();
    let entry = this.get(streamId, fold as Fold<unknown>);
    for (;;) {
      if (entry) {
        const extended = await this.extend(store, streamId, entry, keys, erasedBeforeRead);
        if (extended) return extended as LoadedStream<State>;
        entry = undefined;
        continue;
      }
      const events = await store.readStream(streamId);
      const keyIds = keyIdsOf(events);
      const dead = await destroyedOf(keys, keyIds);
      // A key destroyed during the read: its events may hold text read before it went. Read once
      // more: that read starts after the key was seen gone.
      if (dead.some((keyId) => !erasedBeforeRead.has(keyId))) {
        for (const keyId of dead) erasedBeforeRead.add(keyId);
        continue;
      }
      const loaded = foldAll(events, fold);
      this.put(streamId, {
        ...loaded,
        // The fold alone: a decider object may hold the command it was made for.
        fold: { initialState: fold.initialState, evolve: fold.evolve } as Fold<unknown>,
        liveKeys: keyIds.filter((keyId) => !erasedBeforeRead.has(keyId)),
        erasedKeys: new Set(dead),
        views: new Map(),
      });
      return loaded;
    }
  }

  /**
   * The view after `history[upTo]`, folded by `evolveView` under `name`: from the view cached for
   * this stream when `history` extends the cached events (the same event objects), else from the
   * start. `history` may end with events the cache has not read yet (those a command just
   * appended): they are folded on top and not kept.
   */
  viewOf<View>(
    streamId: string,
    history: readonly unknown[],
    upTo: number,
    name: string,
    evolveView: (view: View, event: never) => View,
    initialView: View,
  ): View {
    const entry = this.entries.get(streamId);
    let view = initialView;
    let from = 0;
    const shared = entry ? sharedPrefix(entry, history, upTo) : -1;
    const cached = entry?.views.get(name);
    if (cached && cached.index <= shared) {
      view = cached.view as View;
      from = cached.index + 1;
    }
    for (let i = from; i <= upTo; i++) {
      view = evolveView(view, history[i] as never);
      if (entry && i === shared && i > (cached?.index ?? -1)) {
        entry.views.set(name, { index: i, view });
      }
    }
    return view;
  }

  private get(streamId: string, fold: Fold<unknown>): Entry | undefined {
    const entry = this.entries.get(streamId);
    if (!entry) return undefined;
    // Another decider's fold of the same stream (none in the application today): not this one.
    return sameFold(entry.fold, fold) ? entry : undefined;
  }

  /** The entry with the events appended since, or undefined when it can no longer be trusted. */
  private async extend(
    store: EventStore,
    streamId: string,
    entry: Entry,
    keys: PersonKeys | undefined,
    erasedBeforeRead: Set<string>,
  ): Promise<Entry | undefined> {
    const last = entry.events[entry.events.length - 1];
    const tail = await store.readStream(streamId, { from: last.revision });
    const [first, ...added] = tail;
    if (!first || first.id !== last.id || first.metadata.hash !== last.metadata.hash) {
      this.drop(streamId, entry);
      return undefined;
    }
    const addedKeys = keyIdsOf(added).filter((keyId) => !entry.erasedKeys.has(keyId));
    const dead = await destroyedOf(keys, [...new Set([...entry.liveKeys, ...addedKeys])]);
    if (dead.length > 0) {
      // Text read in the clear under a key now destroyed: read the stream again, erased.
      for (const keyId of dead) erasedBeforeRead.add(keyId);
      this.drop(streamId, entry);
      return undefined;
    }
    if (added.length === 0) {
      this.touch(streamId, entry);
      return entry;
    }
    const events = [...entry.events, ...added];
    const ofTail = new Map<string, number>();
    let state = entry.state;
    for (const [offset, event] of added.entries()) {
      state = entry.fold.evolve(state, event as never);
      const commandId = event.metadata.commandId;
      if (typeof commandId === 'string') ofTail.set(commandId, entry.events.length + offset);
    }
    const extended: Entry = {
      events,
      state,
      lastOfCommand: CommandIndex.over(entry.lastOfCommand, ofTail),
      fold: entry.fold,
      liveKeys: [...new Set([...entry.liveKeys, ...addedKeys])],
      erasedKeys: entry.erasedKeys,
      views: new Map(entry.views),
    };
    this.put(streamId, extended);
    return extended;
  }

  /**
   * Puts an entry unless a concurrent command of this process already put a longer one for the
   * stream (the longer one is newer; a shorter one would only cost a longer tail read next time).
   */
  private put(streamId: string, entry: Entry): void {
    // An empty stream has no last event to check a tail against: read whole, as cheap anyway.
    const empty = entry.events.length === 0;
    if (empty || this.limits.maxStreams <= 0 || entry.events.length > this.limits.maxEvents) {
      this.drop(streamId);
      return;
    }
    const current = this.entries.get(streamId);
    if (
      current &&
      sameFold(current.fold, entry.fold) &&
      current.events.length > entry.events.length
    )
      return;
    this.drop(streamId);
    this.entries.set(streamId, entry);
    this.events += entry.events.length;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size <= this.limits.maxStreams && this.events <= this.limits.maxEvents)
        break;
      this.drop(oldest, old);
    }
  }

  /** Most recently used last: a Map iterates in insertion order. */
  private touch(streamId: string, entry: Entry): void {
    if (this.entries.get(streamId) !== entry) return;
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
  }

  /** Drops the stream's entry (only `entry`, when given: a newer one stays). */
  private drop(streamId: string, entry?: Entry): void {
    const current = this.entries.get(streamId);
    if (!current || (entry && current !== entry)) return;
    this.entries.delete(streamId);
    this.events -= current.events.length;
  }
}

const sameFold = (a: Fold<unknown>, b: Fold<unknown>) =>
  a.evolve === b.evolve && a.initialState === b.initialState;

/** Where each command id's last event is: a lookup, never a scan of the stream. */
export interface CommandIndex {
  get(commandId: string): number | undefined;
}

/**
 * A command index grown by a tail: the tail's own map over the one before, so growing it costs
 * the tail, not the stream. Past a few layers they are merged into one map (at most every
 * MAX_LAYERS extensions, so a lookup stays a few map probes).
 */
class LayeredCommandIndex implements CommandIndex {
  static readonly MAX_LAYERS = 16;

  private constructor(
    private readonly below: CommandIndex,
    private readonly own: ReadonlyMap<string, number>,
    private readonly layers: number,
  ) {}

  static over(below: CommandIndex, own: ReadonlyMap<string, number>): CommandIndex {
    if (own.size === 0) return below;
    const layers = below instanceof LayeredCommandIndex ? below.layers + 1 : 1;
    const index = new LayeredCommandIndex(below, own, layers);
    return layers < LayeredCommandIndex.MAX_LAYERS ? index : new Map(index.entries());
  }

  get(commandId: string): number | undefined {
    return this.own.get(commandId) ?? this.below.get(commandId);
  }

  /** Every command id with its last index, older layers first so later indexes win. */
  private entries(): [string, number][] {
    const below =
      this.below instanceof LayeredCommandIndex
        ? this.below.entries()
        : [...(this.below as ReadonlyMap<string, number>)];
    return [...below, ...this.own];
  }
}
const CommandIndex = { over: LayeredCommandIndex.over };

/** Folds a whole stream, as the handler did before any cache. */
export function foldAll<State>(
  events: readonly RecordedEvent[],
  fold: Fold<State>,
): LoadedStream<State> {
  let state = fold.initialState;
  const lastOfCommand = new Map<string, number>();
  for (const [index, event] of events.entries()) {
    state = fold.evolve(state, event as never);
    const commandId = event.metadata.commandId;
    if (typeof commandId === 'string') lastOfCommand.set(commandId, index);
  }
  return { events, state, lastOfCommand };
}

/**
 * The last index up to which `history` holds the entry's own event objects (so the same prefix:
 * an entry's events only ever grow by appending), capped at `upTo`; -1 when it does not.
 */
function sharedPrefix(entry: Entry, history: readonly unknown[], upTo: number): number {
  const index = Math.min(upTo, entry.events.length - 1, history.length - 1);
  if (index < 0) return -1;
  return history[index] === entry.events[index] && history[0] === entry.events[0] ? index : -1;
}

function keyIdsOf(events: readonly RecordedEvent[]): string[] {
  const keyIds = new Set<string>();
  for (const event of events) {
    const mark = personalDataMarkOf(event.metadata);
    if (mark) keyIds.add(mark.keyId);
  }
  return [...keyIds];
}

/** The keys among `keyIds` that are destroyed now, by the same keys a fresh read opens with. */
async function destroyedOf(
  keys: PersonKeys | undefined,
  keyIds: readonly string[],
): Promise<string[]> {
  if (!keys || keyIds.length === 0) return [];
  const found = await Promise.all(keyIds.map(async (keyId) => [keyId, await keys.get(keyId)]));
  return found.filter(([, key]) => key === null).map(([keyId]) => keyId as string);
}
