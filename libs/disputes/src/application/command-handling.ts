import { createHash, randomUUID } from 'node:crypto';
import { chainHash, GENESIS_HASH } from './audit-chain';
import { foldAll, type LoadedStream, type StateCache } from './state-cache';
import { DomainError } from '../domain/errors';
import { personalDataSubjectOf } from '../domain/personal-data';
import {
  markFor,
  type PersonalDataMark,
  sealPersonalFields,
} from '@arbiter/event-store/personal-data/personal-data-cipher';
import type { PersonKeys } from '@arbiter/event-store/personal-data/person-keys';
import { personalDataOf } from '@arbiter/event-store/upcasting/upcasting-event-store';
import { canonicalJson } from '@arbiter/event-store/semantics';
import {
  EventIdConflictError,
  EventMetadata,
  EventStore,
  EventToAppend,
  RecordedEvent,
  WrongExpectedRevisionError,
} from '@arbiter/event-store/port';
import { dbSystemOf } from '@arbiter/event-store/event-store.module';
import { DatabaseUnavailableError } from '@arbiter/platform/database-errors';
import { activeTraceCarrier, ATTR, inSpan, type TraceCarrier } from '@arbiter/platform/tracing';
import { type Attributes, type Span, SpanKind } from '@opentelemetry/api';
import { jitteredDelay, sleep } from '@arbiter/platform/backoff';

/** The jitter step after a lost race, per attempt: a few ms spread writers of one stream apart. */
export const CONFLICT_JITTER_MS = 5;

/** The three pure functions of a decider; the handler never holds business rules of its own. */
export interface Decider<Command, Event extends { type: string; data: unknown }, State> {
  initialState: State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

export interface CommandContext {
  /** Stable per logical command: derived from an idempotency key when the client sent one. */
  commandId: string;
  correlationId?: string;
  causationId?: string;
  actor: { id: string; role: string };
  /**
   * A fingerprint of the request behind the command id (`requestFingerprint` of what the client
   * asked for, without time or correlation ids). Recorded on every event as
   * `metadata.requestHash`; when the command id comes back with another fingerprint, the key was
   * reused for another request and is refused (IDEMPOTENCY_KEY_REUSED) instead of replayed.
   */
  requestHash?: string;
}

export interface HandledCommand<State> {
  state: State;
  /** Last revision of the stream after the command (-1n: the stream does not exist). */
  revision: bigint;
  /**
   * Global position of the command's last event: appended now or, for a replay, recorded before;
   * undefined when the command appended nothing.
   */
  position?: bigint;
  appended: RecordedEventLike[];
  /** Every event the returned state was folded from, appended ones included (for role views). */
  history: RecordedEventLike[];
  /** True when this command id had already been handled: nothing was appended this time. */
  replayed: boolean;
}

type RecordedEventLike = Pick<RecordedEvent, 'type' | 'data' | 'metadata'>;

/**
 * The command as it depends on the stream it is decided on (its time comes from the stream's test
 * clock, in staging), and metadata to record on each event it appends (that test clock's id).
 */
export type CommandFor<Command> = (
  recorded: readonly RecordedEvent[],
) => Promise<{ command: Command; metadata?: Record<string, unknown> }>;

export interface HandleOptions {
  /** How many times a revision conflict reloads the stream and decides again. */
  maxAttempts?: number;
  /** The schema version stamped into each event's metadata. */
  schemaVersionOf?: (eventType: string) => number;
  /**
   * Folded streams kept between commands (`StateCache`): a command reads only the events appended
   * since, checked against the cached last one. Without it, every command reads its whole stream.
   */
  cache?: StateCache;
  /**
   * What event ids are derived from (default: the command id). A command that writes to two
   * streams needs a different seed per stream: an event id is unique across the whole store.
   */
  eventIdSeed?: string;
  /** Attributes of the command's span besides the stream and the command type (the dispute id). */
  traceAttributes?: Attributes;
}

/**
 * Load the stream, fold it, decide, append with the revision that was loaded. A concurrent writer
 * makes the append fail with a revision conflict; the command is then decided again on the new
 * state (never replayed blindly), a bounded number of times.
 *
 * Idempotency rides on the stream itself: every event carries its command id, so a command whose
 * id is already in the stream appends nothing and returns the state, and the event ids are derived
 * from the command id, so even a lost response followed by a retry cannot duplicate an event.
 *
 * Concurrent requests with one command id: one append wins; the others fail on the revision or on
 * the taken event ids (their events differ from the recorded ones: own correlation id, own clock),
 * read the stream again, find the command recorded and answer as its replay, so every caller gets
 * the first request's result and none an error. The append is atomic, so no caller ever finds the
 * command half done. Taken ids while the stream holds no event of this command id mean the id was
 * used on another stream: IDEMPOTENCY_KEY_REUSED, as is a recorded command with another request
 * fingerprint.
 *
 * With `options.cache`, the load reads only the events appended since the stream was last seen
 * (checked against the cached last event, `StateCache`), and the command id is looked up in a map
 * instead of a scan: the same decisions, at a cost that does not grow with the stream.
 */
export function handleCommand<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  streamId: string,
  command: Command | CommandFor<Command>,
  decider: Decider<Command, Event, State>,
  context: CommandContext,
  options: HandleOptions = {},
): Promise<HandledCommand<State>> {
  // One span per command on one stream: its type, outcome or refusal code. Its context is what
  // the appended events carry (`metadata.trace`), for the projections and deadlines to link to.
  return inSpan(
    'command',
    { attributes: { [ATTR.streamId]: streamId, ...options.traceAttributes } },
    async (span) => {
      try {
        const handled = await handleInSpan(
          span,
          store,
          streamId,
          command,
          decider,
          context,
          options,
        );
        span.setAttribute(
          ATTR.commandOutcome,
          handled.replayed ? 'replayed' : handled.appended.length > 0 ? 'appended' : 'no-op',
        );
        return handled;
      } catch (error) {
        span.setAttribute(ATTR.commandOutcome, error instanceof DomainError ? 'refused' : 'failed');
        throw error;
      }
    },
  );
}

async function handleInSpan<Command, Event extends { type: string; data: unknown }, State>(
  span: Span,
  store: EventStore,
  streamId: string,
  command: Command | CommandFor<Command>,
  decider: Decider<Command, Event, State>,
  context: CommandContext,
  options: HandleOptions,
): Promise<HandledCommand<State>> {
  // Undefined when tracing is off or this request is not sampled: the metadata stays as it was.
  const trace = activeTraceCarrier();
  const maxAttempts = options.maxAttempts ?? 10;
  let idsTaken = false;
  for (let attempt = 1; ; attempt++) {
    let loaded: LoadedStream<State>;
    try {
      // With a cache: the events appended since this stream was last seen, checked against it;
      // a conflict below comes back here and reads the tail again, never trusting the entry.
      loaded = options.cache
        ? await options.cache.load(store, streamId, decider)
        : foldAll(await store.readStream(streamId), decider);
    } catch (error) {
      throw unavailable(error, context, 'no-write') ?? error;
    }
    const recorded = loaded.events;
    const lastOfThisCommand = loaded.lastOfCommand.get(context.commandId) ?? -1;
    if (lastOfThisCommand >= 0) {
      assertSameRequest(recorded[lastOfThisCommand], context);
      // Already handled: answer with the state as that command left it, append nothing.
      const latest = lastOfThisCommand === recorded.length - 1;
      const history = recorded.slice(0, lastOfThisCommand + 1);
      return {
        state: latest ? loaded.state : foldAll(history, decider).state,
        revision: BigInt(lastOfThisCommand),
        // Where the command's events are, so a copy that replays it can wait for the read models
        // to show them as the first request did.
        position: recorded[lastOfThisCommand].position,
        appended: [],
        history,
        replayed: true,
      };
    }
    // The ids derived from this command id are taken, but not in this stream.
    if (idsTaken) throw keyReused();
    const state = loaded.state;
    const revision = BigInt(recorded.length) - 1n;

    const prepared =
      typeof command === 'function'
        ? await (command as CommandFor<Command>)(recorded)
        : { command, metadata: undefined };
    const commandType = (prepared.command as { type?: unknown }).type;
    if (typeof commandType === 'string' && span.isRecording()) {
      span.updateName(`command ${commandType}`);
      span.setAttribute(ATTR.commandType, commandType);
    }
    const events = decider.decide(prepared.command, state);
    if (events.length === 0) {
      return { state, revision, appended: [], history: [...recorded], replayed: false };
    }

    let previousHash = (recorded.at(-1)?.metadata.hash as string | undefined) ?? GENESIS_HASH;
    const personalData = personalDataOf(store);
    const stored: EventToAppend[] = [];
    const toAppend = [];
    for (const [index, event] of events.entries()) {
      const id = deterministicUuid(`${options.eventIdSeed ?? context.commandId}:${index}`);
      const metadata: EventMetadata = {
        ...metadataFor(context, options.schemaVersionOf?.(event.type) ?? 1, trace),
        ...prepared.metadata,
      };
      // Personal fields are stored encrypted under their writer's key, and the chain is computed
      // over what is stored: destroying the key later erases them and leaves every hash valid.
      const sealed = personalData ? await seal(personalData.keys, id, event) : undefined;
      const storedMetadata: EventMetadata = sealed
        ? { ...metadata, personalData: sealed.mark }
        : metadata;
      const storedData = sealed ? sealed.data : event.data;
      const hash = chainHash(previousHash, {
        streamId,
        revision: revision + 1n + BigInt(index),
        type: event.type,
        data: storedData,
        metadata: storedMetadata,
      });
      previousHash = hash;
      stored.push({
        id,
        type: event.type,
        data: storedData,
        metadata: { ...storedMetadata, hash },
      });
      toAppend.push({
        id,
        type: event.type,
        data: event.data,
        metadata: { ...storedMetadata, hash },
      });
    }
    try {
      const result = await traceAppend(
        store,
        streamId,
        stored,
        recorded.length === 0 ? 'no_stream' : revision,
      );
      appendedFor.add(context);
      return {
        state: events.reduce(decider.evolve, state),
        revision: result.nextRevision,
        position: result.position,
        appended: toAppend,
        history: [...recorded, ...toAppend],
        replayed: false,
      };
    } catch (error) {
      if (error instanceof EventIdConflictError) {
        // Recorded meanwhile by a concurrent request with this command id (found on the re-read,
        // answered as its replay), or recorded on another stream (refused on the re-read).
        idsTaken = true;
        continue;
      }
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= maxAttempts)
        throw unavailable(error, context, 'write') ?? error;
      // Another command won the race; back off a little (with jitter) and decide again.
      await sleep(jitteredDelay(attempt, CONFLICT_JITTER_MS));
    }
  }
}

/** The event's personal fields encrypted under its writer's key, or undefined when it has none. */
async function seal(
  keys: PersonKeys,
  eventId: string,
  event: { type: string; data: unknown },
): Promise<{ data: unknown; mark: PersonalDataMark } | undefined> {
  const personal = personalDataSubjectOf(event);
  if (!personal) return undefined;
  const key = await keys.getOrCreate(personal.subject);
  const sealed = sealPersonalFields(event.data, personal.paths, eventId, key.key);
  if (sealed.paths.length === 0) return undefined;
  return { data: sealed.data, mark: markFor(personal.subject, key, sealed.paths) };
}

/**
 * A recorded command id answered for another request is a key reused, not a retry. Events
 * recorded before fingerprints existed carry none and match any request (their retries keep
 * replaying as they always did); so does a caller that gives no fingerprint.
 */
function assertSameRequest(recorded: RecordedEvent, context: CommandContext): void {
  const recordedHash = recorded.metadata.requestHash;
  if (
    context.requestHash !== undefined &&
    typeof recordedHash === 'string' &&
    recordedHash !== context.requestHash
  ) {
    throw keyReused();
  }
}

const keyReused = () =>
  new DomainError(
    'IDEMPOTENCY_KEY_REUSED',
    'This idempotency key was already used for another request; use a new key for a new request',
  );

/**
 * The fingerprint of a request: sha256 over its canonical JSON (object keys sorted, so the order
 * in which a client sent the fields does not matter). Give it what the client asked for, never
 * times or correlation ids.
 */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * Commands (by their context) that appended to some stream: a use case writing to two streams
 * (an order, then a dispute) has changed something when the second one fails.
 */
const appendedFor = new WeakSet<CommandContext>();

/**
 * A database fault as DatabaseUnavailableError with what it means for the whole command: not
 * applied only when neither this append nor an earlier one of the same command took effect.
 */
function unavailable(
  error: unknown,
  context: CommandContext,
  attempt: 'write' | 'no-write',
): DatabaseUnavailableError | undefined {
  const typed = DatabaseUnavailableError.from(error, attempt);
  if (typed?.outcome === 'NOT_APPLIED' && appendedFor.has(context)) {
    return new DatabaseUnavailableError(typed.fault, 'UNKNOWN', { cause: typed.cause });
  }
  return typed;
}

/** The append as a client span of the event store: stream, event count, revision reached. */
function traceAppend(
  store: EventStore,
  streamId: string,
  events: readonly EventToAppend[],
  expectedRevision: 'no_stream' | bigint,
) {
  return inSpan(
    'append',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.dbSystem]: dbSystemOf(store),
        [ATTR.streamId]: streamId,
        [ATTR.eventCount]: events.length,
      },
    },
    async (span) => {
      const result = await store.append(streamId, events, { expectedRevision });
      span.setAttribute(ATTR.revision, result.nextRevision.toString());
      span.setAttribute(ATTR.position, result.position.toString());
      return result;
    },
  );
}

/**
 * The metadata every event of a command carries. `trace`: the command span's W3C context (ids
 * and flags only), present only when tracing recorded the command; the audit chain hashes it
 * with the rest, and events without it (older ones, untraced ones) verify as before.
 */
function metadataFor(
  context: CommandContext,
  schemaVersion: number,
  trace: TraceCarrier | undefined,
): EventMetadata {
  return {
    correlationId: context.correlationId ?? context.commandId,
    causationId: context.causationId ?? context.commandId,
    actor: context.actor as EventMetadata['actor'],
    commandId: context.commandId,
    schemaVersion,
    ...(context.requestHash === undefined ? {} : { requestHash: context.requestHash }),
    ...(trace === undefined ? {} : { trace }),
  };
}

/** A command id for a client's idempotency key: the same key from the same actor is the same command. */
export function commandIdFor(actor: { id: string; role: string }, idempotencyKey?: string): string {
  return idempotencyKey
    ? deterministicUuid(`idempotency:${actor.role}:${actor.id}:${idempotencyKey}`)
    : randomUUID();
}

/** A name-based (version 5 style, SHA-1) uuid: the same name always gives the same id. */
export function deterministicUuid(name: string): string {
  const hash = createHash('sha1').update('arbiter:').update(name).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
