import { DISPUTE_EVENT_TYPES, type Pseudonymizer } from '@arbiter/disputes';
import type { RecordedEvent } from '@arbiter/event-store';
import type { ExternalProjection } from '@arbiter/read-models';
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { SpanKind } from '@opentelemetry/api';
import { ATTR, inSpan, linksToEvents, type TraceCarrier } from '@arbiter/platform/tracing';
import { toFeedEvent } from '../feed-event';
import {
  JS_STREAM_NOT_FOUND,
  messageOf,
  type NatsHandles,
  type NatsLink,
  NatsUnavailableError,
} from './nats-link';

/** The forwarder's projection name: its checkpoint row and its lock. */
export const NATS_FORWARDER = 'analytics-nats';

/** The event's store position (decimal): the forwarder finds where the stream ends by it. */
export const POSITION_HEADER = 'Arbiter-Position';
/** The event's feed cursor (the same as the body's `cursor`), for consumers that resume by it. */
export const CURSOR_HEADER = 'Arbiter-Cursor';
export const EVENT_TYPE_HEADER = 'Arbiter-Event-Type';
export const SCHEMA_VERSION_HEADER = 'Arbiter-Schema-Version';

/** The stream refused the message as too large (its max_msg_size): no retry will change that. */
const JS_MESSAGE_TOO_LARGE = 10054;
/** How far back from the stream's last sequence to look for our last message (others may publish). */
const TAIL_SCAN_LIMIT = 1_000;

/** An event that cannot be published as it is: the projection stops at it (like a poison event). */
export class EventNotPublishableError extends Error {
  readonly code = 'EVENT_NOT_PUBLISHABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EventNotPublishableError';
  }
}

/** A publish that did not get every PubAck (timeout, broker down, wrong last sequence): retried. */
export class NatsPublishError extends Error {
  readonly code = 'NATS_PUBLISH_FAILED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsPublishError';
  }
}

/** What the forwarder counts (this process, since start): `/metrics` and the tests read it. */
export interface NatsForwarderStats {
  /** Messages the stream stored (PubAcks that were not duplicates). */
  published: number;
  /** Events left out because the stream already ended at or past them (a repeated batch). */
  alreadyInStream: number;
  /** PubAcks saying the server had the message id already (within the duplicate window). */
  duplicates: number;
  /** Failed attempts (connect, stream set-up or publish). */
  failures: number;
}

export interface NatsForwarderMetrics {
  published(count: number): void;
  failed(stage: 'connect' | 'publish'): void;
}

export interface NatsForwarderOptions {
  link: NatsLink;
  /** The analysts' pseudonyms (`Pseudonyms.of`). */
  pseudonym: Pseudonymizer;
  metrics?: NatsForwarderMetrics;
  /**
   * Tests only (never set by the app, nor reachable from configuration): runs once every PubAck
   * of a batch is in, before the runner commits the checkpoint — where a crash test kills the
   * process, or throws to stand in for a crash.
   */
  afterAcksForTests?: (events: readonly RecordedEvent[]) => void | Promise<void>;
}

interface Outgoing {
  event: RecordedEvent;
  subject: string;
  body: Uint8Array;
  headers: MsgHdrs;
}

/** Where the stream ends: its last sequence and the store position of the last event we put there. */
interface StreamTail {
  lastSequence: number;
  lastPosition: bigint | null;
}

/**
 * The analytics feed on NATS JetStream, as an external projection (the runner keeps its
 * checkpoint and its lease: one forwarder across processes). Each dispute event goes, in the
 * analyst's form (`toFeedEvent(…, 'analyst', …)`; events analysts never see are left out), to
 * `<prefix>.<EventType>`, with `Nats-Msg-Id` = the event id. A batch is published at once and
 * `applyBatch` returns only when every PubAck is in, so the checkpoint never passes an event the
 * stream has not stored.
 *
 * Exactly once, also when a batch is repeated after a crash (published, checkpoint not yet
 * committed) long after the duplicate window: before its first batch, and after any failure, the
 * forwarder reads where the stream ends (the `Arbiter-Position` header of our last message) and
 * skips the events up to it. That is sound because the stream never has a gap: each message
 * expects the stream's last sequence to be the one before it (`Nats-Expected-Last-Sequence`),
 * so when one of a batch fails, none after it is stored, and the stream always holds a prefix of
 * the log in log order. The same expectation refuses a forwarder that lost its lease while a
 * successor publishes. `Nats-Msg-Id` still lets the server drop repeats within its window.
 */
export class NatsForwarder implements ExternalProjection {
  readonly name = NATS_FORWARDER;
  readonly eventTypes = DISPUTE_EVENT_TYPES;
  readonly external = true;
  private tail: StreamTail | undefined;
  private readonly counts: NatsForwarderStats = {
    published: 0,
    alreadyInStream: 0,
    duplicates: 0,
    failures: 0,
  };

  constructor(private readonly options: NatsForwarderOptions) {}

  get link(): NatsLink {
    return this.options.link;
  }

  stats(): NatsForwarderStats {
    return { ...this.counts };
  }

  apply(event: RecordedEvent): Promise<void> {
    return this.applyBatch([event]);
  }

  async applyBatch(events: readonly RecordedEvent[]): Promise<void> {
    const outgoing = events.flatMap((event) => this.messageOf(event) ?? []);
    if (outgoing.length === 0) return;
    let handles: NatsHandles;
    try {
      handles = await this.link.ready();
    } catch (error) {
      this.failed('connect');
      throw error;
    }
    try {
      await this.tracedPublish(handles, outgoing);
    } catch (error) {
      // Where the stream ends is unknown now: read it again before the next attempt.
      this.tail = undefined;
      throw error;
    }
    await this.options.afterAcksForTests?.(events);
  }

  /** Broker trouble is retried without end; an event that cannot be published stops the forwarder. */
  isTransient(error: unknown): boolean {
    return error instanceof NatsUnavailableError || error instanceof NatsPublishError;
  }

  /**
   * A producer span per batch sent (`send <stream>`, messaging conventions), a child of the
   * runner's batch span, linked like it to each event's command span.
   */
  private tracedPublish(handles: NatsHandles, outgoing: readonly Outgoing[]): Promise<void> {
    const { stream } = this.link.settings;
    return inSpan(
      `send ${stream}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.messagingSystem]: 'nats',
          [ATTR.messagingOperationType]: 'send',
          [ATTR.messagingDestination]: stream,
          [ATTR.messagingBatchCount]: outgoing.length,
        },
        links: linksToEvents(outgoing.map(({ event }) => event)),
      },
      () => this.publish(handles, outgoing),
    );
  }

  private async publish(handles: NatsHandles, outgoing: readonly Outgoing[]): Promise<void> {
    const tail = (this.tail ??= await this.readTail(handles));
    const fresh = outgoing.filter(
      ({ event }) => tail.lastPosition === null || event.position > tail.lastPosition,
    );
    this.counts.alreadyInStream += outgoing.length - fresh.length;
    if (fresh.length === 0) return;
    this.checkSize(handles, fresh);
    const timeout = this.link.settings.publishTimeoutMs ?? 5_000;
    // All at once, in order on one connection: the server stores them in that order, each
    // expecting the sequence its predecessor gets.
    const results = await Promise.allSettled(
      fresh.map((message, index) =>
        handles.js.publish(message.subject, message.body, {
          msgID: message.event.id,
          headers: message.headers,
          timeout,
          expect: { lastSequence: tail.lastSequence + index },
        }),
      ),
    );
    const acks = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const stored = acks.filter((ack) => !ack.duplicate);
    this.counts.published += stored.length;
    this.counts.duplicates += acks.length - stored.length;
    if (stored.length > 0) this.options.metrics?.published(stored.length);
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result] : []));
    if (failures.length > 0) {
      const first = failures[0].reason as unknown;
      if (streamMissing(first)) this.link.streamMayBeGone();
      this.failed('publish');
      this.link.noteError(first);
      if (first instanceof JetStreamApiError && first.code === JS_MESSAGE_TOO_LARGE) {
        const index = results.findIndex((result) => result.status === 'rejected');
        throw new EventNotPublishableError(
          `${fresh[index].event.type} at position ${fresh[index].event.position} is larger than stream ${this.link.settings.stream} accepts: ${messageOf(first)}`,
          { cause: first },
        );
      }
      throw new NatsPublishError(
        `publishing to ${this.link.settings.stream}: ${failures.length} of ${fresh.length} messages not acknowledged: ${messageOf(first)}`,
        { cause: first },
      );
    }
    // A duplicate was not stored again, so the sequences no longer count from here: read them.
    this.tail =
      stored.length === acks.length
        ? {
            lastSequence: lastSequenceOf(acks),
            lastPosition: fresh[fresh.length - 1].event.position,
          }
        : undefined;
  }

  /** The stream's last sequence, and the position of our last message at or before it. */
  private async readTail({ jsm }: NatsHandles): Promise<StreamTail> {
    const { stream } = this.link.settings;
    try {
      const { state } = await jsm.streams.info(stream);
      let lastPosition: bigint | null = null;
      if (state.messages > 0) {
        const lowest = Math.max(state.first_seq, state.last_seq - TAIL_SCAN_LIMIT);
        for (let seq = state.last_seq; seq >= lowest && seq > 0; seq--) {
          const message = await jsm.streams.getMessage(stream, { seq });
          const header = message?.header.get(POSITION_HEADER);
          if (header && /^\d+$/.test(header)) {
            lastPosition = BigInt(header);
            break;
          }
        }
      }
      return { lastSequence: state.last_seq, lastPosition };
    } catch (error) {
      if (streamMissing(error)) this.link.streamMayBeGone();
      this.failed('publish');
      this.link.noteError(error);
      throw new NatsPublishError(`reading where stream ${stream} ends: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  private messageOf(event: RecordedEvent): Outgoing | null {
    const feedEvent = toFeedEvent(event, 'analyst', this.options.pseudonym);
    if (feedEvent === null) return null;
    const headers = natsHeaders();
    headers.set(POSITION_HEADER, event.position.toString());
    headers.set(CURSOR_HEADER, feedEvent.cursor);
    headers.set(EVENT_TYPE_HEADER, feedEvent.type);
    headers.set(SCHEMA_VERSION_HEADER, String(feedEvent.schemaVersion));
    headers.set('Content-Type', 'application/json');
    // The W3C context of the command that appended the event (when it was traced): a consumer
    // continues or links to the mutation's trace. The same on every republish of the event.
    const trace = event.metadata.trace as Partial<TraceCarrier> | undefined;
    if (typeof trace?.traceparent === 'string') {
      headers.set('traceparent', trace.traceparent);
      if (typeof trace.tracestate === 'string') headers.set('tracestate', trace.tracestate);
    }
    return {
      event,
      subject: `${this.link.settings.subjectPrefix}.${feedEvent.type}`,
      body: Buffer.from(JSON.stringify(feedEvent), 'utf8'),
      headers,
    };
  }

  private checkSize({ connection }: NatsHandles, messages: readonly Outgoing[]): void {
    const limit = connection.info?.max_payload;
    if (!limit) return;
    for (const message of messages) {
      // Headers count towards the limit as well; 1 KiB is more than ours take.
      if (message.body.length + 1024 > limit) {
        throw new EventNotPublishableError(
          `${message.event.type} at position ${message.event.position} is ${message.body.length} bytes; the NATS server takes at most ${limit}`,
        );
      }
    }
  }

  private failed(stage: 'connect' | 'publish'): void {
    this.counts.failures += 1;
    this.options.metrics?.failed(stage);
  }
}

function lastSequenceOf(acks: readonly PubAck[]): number {
  return acks.reduce((last, ack) => Math.max(last, ack.seq), 0);
}

/**
 * The stream was deleted (or never made it to this server): set it up again. A publish to a
 * subject no stream takes has no responders, which the client reports as JetStreamNotEnabled
 * (a class it does not export).
 */
function streamMissing(error: unknown): boolean {
  return (
    (error instanceof JetStreamApiError && error.code === JS_STREAM_NOT_FOUND) ||
    (error instanceof Error && error.name === 'JetStreamNotEnabled')
  );
}
