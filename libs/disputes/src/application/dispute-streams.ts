import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  EVENT_STORE,
  EventStore,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '@arbiter/event-store';
import {
  Actor,
  canViewDispute,
  CommandMetadata,
  decide,
  decideOrder,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  DisputeCommand,
  DisputeEvent,
  DisputeEventType,
  DisputePolicy,
  DisputeState,
  DomainError,
  disputeStreamId,
  evolve,
  evolveOrder,
  fromEpochMs,
  type Instant,
  initialOrderState,
  initialState,
  ORDER_EVENT_SCHEMA_VERSION,
  OrderCommand,
  OrderEvent,
  OrderFacts,
  OrderState,
  orderStreamId,
} from '../domain';
import { CLOCK, type Clock, TEST_CLOCKS, type TestClockTime } from '@arbiter/platform/clock';
import { jitteredDelay, retrying } from '@arbiter/platform/backoff';
import { ATTR } from '@arbiter/platform/tracing';
import {
  CommandFor,
  Decider,
  deterministicUuid,
  handleCommand,
  CONFLICT_JITTER_MS,
  HandledCommand,
  requestFingerprint,
} from './command-handling';
import { foldAll, type Fold, type LoadedStream, StateCache } from './state-cache';

/** Injection token of the `DisputePolicy` in force (`DEFAULT_POLICY` unless configured). */
export const DISPUTE_POLICY = Symbol('DISPUTE_POLICY');

/** Injection token of the process's `StateCache` of folded dispute and order streams. */
export const STATE_CACHE = Symbol('STATE_CACHE');

const DISPUTE_FOLD: Fold<DisputeState> = { initialState, evolve };
const ORDER_FOLD: Fold<OrderState> = { initialState: initialOrderState, evolve: evolveOrder };

/** Who issues a command and under which request: what the edge (or the scheduler) hands in. */
export interface Issued {
  readonly actor: Actor;
  /** Stable per logical command; `commandIdFor(actor, idempotencyKey)` at the edge. */
  readonly commandId: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** What the client asked for, fingerprinted (`fingerprinted`): a key reused for another request is refused. */
  readonly requestHash?: string;
}

/** What every command message carries: its domain command type and who issued it. */
export interface CommandMessage {
  /** The domain command's type (`PostMessage`, `OpenDispute`, ...). */
  readonly type: string;
  readonly issued: Issued;
}

/**
 * `build(issued)` with the request's fingerprint in `issued`: the domain command's type and every
 * other field of the message but `issued` (the client's input and the ids it names, no time, no
 * correlation id), so the same key sent with another input, on another dispute or for another
 * mutation is IDEMPOTENCY_KEY_REUSED. The edge calls it for every client command; in-process
 * callers (the scheduler) need not.
 *
 * The fingerprint names the command `<type>Command` with the request `{ disputeId | orderId,
 * input }`: the form fingerprints were first recorded in, kept byte for byte so that a retry with
 * a key sent before still matches its recorded request. Derived from the domain type, not from any
 * class name, so renaming or merging message classes changes nothing.
 */
export function fingerprinted<C extends CommandMessage>(
  build: (issued: Issued) => C,
  issued: Issued,
): C {
  const draft = build(issued);
  const request = Object.fromEntries(
    Object.entries(draft).filter(([key]) => key !== 'issued' && key !== 'type'),
  );
  const requestHash = requestFingerprint({ command: `${draft.type}Command`, request });
  return build({ ...issued, requestHash });
}

/** A new id the command creates, the same on every retry of the same command. */
export const idFor = (issued: Issued, what: string): string =>
  deterministicUuid(`${issued.commandId}:${what}`);

export interface DisputeOutcome extends HandledCommand<DisputeState> {
  readonly disputeId: string;
  readonly history: { type: string; data: unknown; metadata: Record<string, unknown> }[];
}

export interface OrderOutcome extends HandledCommand<OrderState> {
  readonly orderId: string;
}

/** How many times a revision conflict reloads and decides again (50 writers on one dispute fit). */
const MAX_ATTEMPTS = 60;

const ORDER_DECIDER: Decider<OrderCommand, OrderEvent, OrderState> = {
  initialState: initialOrderState,
  evolve: evolveOrder,
  decide: decideOrder,
};

/**
 * Loads, folds, decides and appends dispute and order commands through `handleCommand`. Every
 * use case goes through here so that they all share the same tracing metadata, schema versions,
 * retry bound and the one application-level rule: an actor who may not see a dispute learns
 * nothing about it (the decider checks the state before the party on some commands).
 */
@Injectable()
export class DisputeStreams {
  /** Folded streams kept between commands and loads; undefined: every use reads whole streams. */
  readonly cache: StateCache | undefined;

  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(CLOCK) readonly clock: Clock,
    @Inject(DISPUTE_POLICY) readonly policy: DisputePolicy,
    @Optional() @Inject(TEST_CLOCKS) private readonly testClocks?: TestClockTime,
    @Optional() @Inject(STATE_CACHE) cache?: StateCache,
  ) {
    this.cache = cache && cache.limits.maxStreams > 0 ? cache : undefined;
  }

  /** A command's metadata, dated by the test clock when one is given, else by the process's clock. */
  async metadataFor(issued: Issued, testClockId?: string): Promise<CommandMetadata> {
    const { actor, commandId, correlationId } = issued;
    return { actor, now: await this.nowFor(testClockId), commandId, correlationId };
  }

  /** Now, by the test clock when one is given (staging), else by the process's clock. */
  async nowFor(testClockId: string | undefined): Promise<Instant> {
    if (testClockId === undefined) return fromEpochMs(this.clock.now().getTime());
    // A stream placed under a test clock where test clocks are off (a production process reading
    // staging data): refused rather than silently dated by the real clock.
    if (this.testClocks === undefined) throw new DomainError('TEST_CLOCKS_DISABLED');
    return fromEpochMs((await this.testClocks.timeOf(testClockId)).getTime());
  }

  /**
   * The command made on the stream it is decided on: dated by the stream's test clock (recorded
   * on each of its events, see `testClockOf`) or, on a new stream, by `testClockId`; each event
   * it appends records that clock in turn. Streams without one: the process's clock, no lookup.
   */
  private timed<C>(
    issued: Issued,
    command: (metadata: CommandMetadata) => C,
    testClockId: string | undefined,
  ): CommandFor<C> {
    return async (recorded) => {
      const clock = recorded.length > 0 ? testClockOf(recorded) : testClockId;
      return {
        command: command(await this.metadataFor(issued, clock)),
        metadata: clock === undefined ? undefined : { testClockId: clock },
      };
    };
  }

  /** `testClockId`: the clock a new dispute is dated by (its order's); an existing one keeps its own. */
  async dispute(
    disputeId: string,
    issued: Issued,
    command: (metadata: CommandMetadata) => DisputeCommand,
    options: { testClockId?: string } = {},
  ): Promise<DisputeOutcome> {
    const streamId = disputeStreamId(disputeId);
    const decider: Decider<DisputeCommand, DisputeEvent, DisputeState> = {
      ...DISPUTE_FOLD,
      decide: (cmd, state) => {
        if (!canViewDispute(issued.actor, state) && state.status !== 'NONE') {
          throw new DomainError('NOT_A_PARTY');
        }
        return decide(cmd, state, this.policy);
      },
    };
    const result = await handleCommand(
      this.store,
      streamId,
      this.timed(issued, command, options.testClockId),
      decider,
      issued,
      {
        maxAttempts: MAX_ATTEMPTS,
        cache: this.cache,
        // Seeded by the kind of stream, not the stream: a command writes at most one dispute and
        // one order, and the same command id on another dispute finds its ids taken there, so a
        // key reused elsewhere is IDEMPOTENCY_KEY_REUSED instead of a second effect.
        eventIdSeed: `dispute:${issued.commandId}`,
        traceAttributes: { [ATTR.disputeId]: disputeId },
        schemaVersionOf: (type) => DISPUTE_EVENT_SCHEMA_VERSIONS[type as DisputeEventType] ?? 1,
      },
    );
    return { ...result, disputeId } as DisputeOutcome;
  }

  async order(
    orderId: string,
    issued: Issued,
    command: (metadata: CommandMetadata) => OrderCommand,
    options: {
      maxAttempts?: number;
      alsoDecide?: (state: OrderState) => void;
      /**
       * Recovery, for facts keyed by an id derived from a dispute (`dispute-<id>` refunds): the
       * decider's DUPLICATE_ID means a previous command, under another command id, already
       * recorded this fact, so the command is done and appends nothing. The decider's other
       * checks (role, order placed) still run first.
       */
      duplicateIsDone?: boolean;
      /** The test clock a new order is placed under (staging); an existing order keeps its own. */
      testClockId?: string;
    } = {},
  ): Promise<OrderOutcome> {
    const streamId = orderStreamId(orderId);
    const { alsoDecide, duplicateIsDone } = options;
    const decideOnce = (cmd: OrderCommand, state: OrderState): OrderEvent[] => {
      alsoDecide?.(state);
      try {
        return decideOrder(cmd, state);
      } catch (error) {
        if (duplicateIsDone && error instanceof DomainError && error.code === 'DUPLICATE_ID') {
          return [];
        }
        throw error;
      }
    };
    const decider: Decider<OrderCommand, OrderEvent, OrderState> = {
      ...ORDER_DECIDER,
      decide: decideOnce,
    };
    const result = await handleCommand(
      this.store,
      streamId,
      this.timed(issued, command, options.testClockId),
      decider,
      issued,
      {
        maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
        cache: this.cache,
        eventIdSeed: `order:${issued.commandId}`,
        schemaVersionOf: () => ORDER_EVENT_SCHEMA_VERSION,
      },
    );
    return { ...result, orderId };
  }

  async loadDispute(
    disputeId: string,
  ): Promise<{ state: DisputeState; history: DisputeOutcome['history'] }> {
    const { state, events } = await this.load(disputeStreamId(disputeId), DISPUTE_FOLD);
    return { state, history: [...events] };
  }

  /** A stream folded: through the cache when there is one (only the tail is read), else whole. */
  private load<State>(streamId: string, fold: Fold<State>): Promise<LoadedStream<State>> {
    return this.cache
      ? this.cache.load(this.store, streamId, fold)
      : this.store.readStream(streamId).then((events) => foldAll(events, fold));
  }

  /**
   * The dispute as it stands, as the answer to a command that appended nothing to it (a recovery
   * found its work already done). Same shape as `dispute()`'s answer, `replayed` set.
   */
  async answerWithDispute(disputeId: string): Promise<DisputeOutcome> {
    const { state, history } = await this.loadDispute(disputeId);
    return {
      disputeId,
      state,
      revision: BigInt(history.length) - 1n,
      appended: [],
      history,
      replayed: true,
    };
  }

  /**
   * The last dispute linked to `order` other than `disputeId` (a retry of the same opening finds
   * its own reservation, which must not count against it), and whether it was cancelled.
   */
  async previousDispute(
    order: OrderState,
    disputeId: string,
  ): Promise<OrderFacts['previousDispute']> {
    const previousId = order.disputeIds.filter((id) => id !== disputeId).at(-1);
    if (previousId === undefined) return null;
    const { state } = await this.loadDispute(previousId);
    return { disputeId: previousId, cancelled: state.status === 'CANCELLED' };
  }

  async loadOrder(orderId: string): Promise<OrderState> {
    return (await this.loadOrderAndClock(orderId)).state;
  }

  /** The order and the test clock it was placed under (none: the real clock). */
  async loadOrderAndClock(
    orderId: string,
  ): Promise<{ state: OrderState; testClockId: string | undefined }> {
    const { state, events } = await this.load(orderStreamId(orderId), ORDER_FOLD);
    return { state, testClockId: testClockOf(events) };
  }
}

/**
 * The test clock a stream is dated by: recorded in the metadata of its events (the first one
 * suffices). Events from before test clocks, and every production stream, carry none, so no
 * upcasting is needed: none means the process's clock.
 */
export function testClockOf(
  recorded: readonly Pick<RecordedEvent, 'metadata'>[],
): string | undefined {
  const id = recorded[0]?.metadata.testClockId;
  return typeof id === 'string' ? id : undefined;
}

/** Runs `attempt` again (from its first read) when it lost a race; decisions are recomputed. */
export function retryOnConflict<T>(
  attempt: () => Promise<T>,
  maxAttempts = MAX_ATTEMPTS,
): Promise<T> {
  return retrying(attempt, {
    maxAttempts,
    retryable: (error) => error instanceof WrongExpectedRevisionError,
    delayMs: (n) => jitteredDelay(n, CONFLICT_JITTER_MS),
  });
}

/** A command's data less the ids the handler creates (distributes over unions of responses). */
export type InputOf<
  C extends DisputeCommand,
  Generated extends string = never,
> = C['data'] extends infer D ? (D extends unknown ? Omit<D, Generated> : never) : never;
