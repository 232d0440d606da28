/**
 * KurrentDB stand-in: a test double of KurrentDB's gRPC protocol.
 *
 * No KurrentDB server can run where these tests run (no container engine), so this is an
 * in-process `@grpc/grpc-js` server built on the very service definitions and protobuf classes
 * that ship inside the official Node client (`@kurrent/kurrentdb-client/generated/...`). The
 * client's grpc-js half (appends, subscriptions) and its native Rust bridge (`readStream`,
 * `readAll`, a tonic client) both talk to it exactly as they would to a single insecure node.
 *
 * What it implements, with the real server's documented behaviour:
 * - `ServerFeatures.GetSupportedMethods`, reporting only what is implemented here (so the client
 *   picks `Streams.Append` over `Streams.BatchAppend`), and `Gossip.Read` answering as a lone
 *   leader node.
 * - `Streams.Append`: expected state any / no_stream / stream_exists / exact revision, answered
 *   with the `WrongExpectedVersion` result message (not a gRPC error); idempotent re-appends
 *   (exact and no_stream by comparing ids after the expected revision, any / stream_exists only
 *   within a bounded window of recent events, reproducing the server's best-effort cache);
 *   required `type` / `content-type` metadata; the 1 MiB maximum append size.
 * - `Streams.Read`: stream reads (forwards / backwards, from a revision or start / end, count,
 *   `stream_not_found`), `$all` reads (inclusive forwards from a position, exclusive backwards,
 *   prefix / regex filters on stream name or event type), and catch-up-then-live subscriptions
 *   to a stream or to `$all` (exclusive from a position, confirmation, caught-up, checkpoints
 *   for filtered `$all` subscriptions every `checkpointIntervalMultiplier x window` events).
 * - A single log: every event has a log position (commit == prepare, as on the real server
 *   without explicit transactions) that grows by the record's size, so positions are gappy.
 *   The log starts with a few system events (`$`-prefixed streams and types), like a fresh node.
 * - `kill()` cuts every call like a crashed process; `restart()` listens again on the same port
 *   with the log intact.
 *
 * What it is not: no persistence across process restarts, no cluster (gossip only ever lists
 * itself), no TLS, no authentication or ACLs, no projections, no persistent subscriptions, no
 * stream deletion / tombstones / stream metadata semantics ($maxCount, $tb...), no link
 * resolution, no `BatchAppend`, no v2 (multi-stream append) services, no scavenging. Those calls
 * answer UNIMPLEMENTED, as they would on a server without the feature.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { GossipService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/gossip_grpc_pb';
import {
  ClusterInfo,
  EndPoint,
  MemberInfo,
} from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/gossip_pb';
import { OperationsService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/operations_grpc_pb';
import { PersistentSubscriptionsService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/persistentsubscriptions_grpc_pb';
import { ProjectionsService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/projectionmanagement_grpc_pb';
import { ServerFeaturesService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_grpc_pb';
import {
  SupportedMethod,
  SupportedMethods,
} from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/serverfeatures_pb';
import {
  Empty,
  StreamIdentifier,
  UUID,
} from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/shared_pb';
import { StreamsService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_grpc_pb';
import {
  AppendReq,
  AppendResp,
  ReadReq,
  ReadResp,
} from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/streams_pb';
import { UsersService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v1/usermanagement_grpc_pb';
import { ServerInfoServiceService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v2/features/service_grpc_pb';
import { StreamsServiceService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v2/streams/streams_grpc_pb';

export interface KurrentDbStandIn {
  url: string;
  port: number;
  host: string;
  /** Stop the gRPC server, cutting every open call (subscriptions see an error, like a crashed server); the in-memory log is kept. */
  kill(): Promise<void>;
  /** Start listening again on the same port with the same log. */
  restart(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
  /** Number of events in the log, system events included (for tests). */
  readonly size: number;
}

export interface KurrentDbStandInOptions {
  /** 0 = any free port. Default 2113, KurrentDB's. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** How many of the most recent events (whole log) an `any` / `stream_exists` append is checked against for idempotency. Default 100. */
  anyIdempotencyWindow?: number;
  /** Opt-in: write a `$statsCollected` system event this often, like a node with stats enabled. Off by default so tests stay deterministic. */
  statsIntervalMs?: number;
  /** Log position of the first record, to exercise positions beyond 2^53. Default: just after a simulated epoch record. */
  firstPosition?: bigint;
  /**
   * Answer stream reads as EventStoreDB servers before 2022 did: without the event's real log
   * position (the placeholder 2^64-1 in its place). `$all` reads keep real positions.
   */
  legacyStreamReadPositions?: boolean;
  /** Receives one line per RPC received (method path and its options); for finding out what a client calls. */
  trace?: (line: string) => void;
}

/** Byte size of the epoch record a fresh node writes before its first event; positions start after it. */
const EPOCH_RECORD_SIZE = 117n;
/** Prepare-record framing around an event's own bytes (length prefix / suffix, flags, ids, timestamps). */
const RECORD_HEADER_SIZE = 96;
const MAX_APPEND_SIZE = 1_048_576;
/** The real server's read batch size, which is also the default filter search window. */
const DEFAULT_SEARCH_WINDOW = 32;
const TICKS_PER_MILLISECOND = 10_000n;
const SERVER_VERSION = '25.0.0';

interface LoggedEvent {
  position: bigint;
  streamId: string;
  revision: bigint;
  id: string;
  type: string;
  isJson: boolean;
  /** .NET ticks since the Unix epoch, as the `created` metadata carries it. */
  created: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

interface ProposedEvent {
  id: string;
  type: string;
  isJson: boolean;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

type ExpectedState =
  | { kind: 'any' }
  | { kind: 'stream_exists' }
  | { kind: 'no_stream' }
  | { kind: 'revision'; revision: bigint };

type AppendOutcome =
  | { kind: 'written' | 'idempotent'; revision: bigint; position: bigint }
  | { kind: 'empty'; revision: bigint | undefined }
  | { kind: 'wrong_expected_version'; current: bigint | undefined };

interface EventFilter {
  on: 'stream' | 'type';
  prefixes: string[];
  regex: RegExp | undefined;
  window: number;
  checkpointInterval: number;
}

const utf8 = new TextEncoder();

class EventLog {
  readonly records: LoggedEvent[] = [];
  private readonly streams = new Map<string, LoggedEvent[]>();
  private readonly listeners = new Set<() => void>();
  private nextPosition: bigint;

  constructor(
    firstPosition: bigint,
    private readonly anyIdempotencyWindow: number,
  ) {
    this.nextPosition = firstPosition;
  }

  stream(streamId: string): readonly LoggedEvent[] {
    return this.streams.get(streamId) ?? [];
  }

  lastPosition(): bigint | undefined {
    return this.records.at(-1)?.position;
  }

  /** Index of the first record whose position is >= `position` (or > it when `exclusive`). */
  indexFrom(position: bigint, exclusive: boolean): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const candidate = this.records[middle].position;
      if (candidate < position || (exclusive && candidate === position)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamId: string, expected: ExpectedState, events: ProposedEvent[]): AppendOutcome {
    const stream = this.stream(streamId);
    const current = stream.length === 0 ? undefined : BigInt(stream.length - 1);
    const wrong: AppendOutcome = { kind: 'wrong_expected_version', current };

    if (expected.kind === 'stream_exists' && current === undefined) return wrong;
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const replay = this.recentlyWritten(streamId, events);
      if (replay)
        return { kind: 'idempotent', revision: replay.revision, position: replay.position };
      return this.write(streamId, stream, events);
    }

    const expectedRevision = expected.kind === 'no_stream' ? -1n : expected.revision;
    const currentRevision = current ?? -1n;
    if (currentRevision === expectedRevision) return this.write(streamId, stream, events);
    if (currentRevision < expectedRevision || events.length === 0) return wrong;
    // The stream moved past the expected revision: a retry of the very write that moved it is
    // answered as a success, anything else (even a partial match) is a conflict.
    const following = stream.slice(
      Number(expectedRevision + 1n),
      Number(expectedRevision + 1n) + events.length,
    );
    const replayed =
      following.length === events.length &&
      following.every((stored, i) => stored.id === events[i].id);
    if (!replayed) return wrong;
    const last = following[following.length - 1];
    return { kind: 'idempotent', revision: last.revision, position: last.position };
  }

  /** The real server only remembers recently written event ids, so `any` retries are deduplicated on a best-effort basis. */
  private recentlyWritten(streamId: string, events: ProposedEvent[]): LoggedEvent | undefined {
    if (events.length === 0 || this.anyIdempotencyWindow <= 0) return undefined;
    const recent = new Map<string, LoggedEvent>();
    const from = Math.max(0, this.records.length - this.anyIdempotencyWindow);
    for (let i = from; i < this.records.length; i++) {
      const record = this.records[i];
      if (record.streamId === streamId) recent.set(record.id, record);
    }
    const matched = events.map((event) => recent.get(event.id));
    if (matched.some((record) => record === undefined)) return undefined;
    return matched[matched.length - 1];
  }

  private write(
    streamId: string,
    stream: readonly LoggedEvent[],
    events: ProposedEvent[],
  ): AppendOutcome {
    if (events.length === 0) {
      return {
        kind: 'empty',
        revision: stream.length === 0 ? undefined : BigInt(stream.length - 1),
      };
    }
    const target = this.streams.get(streamId) ?? [];
    this.streams.set(streamId, target);
    const created = (BigInt(Date.now()) * TICKS_PER_MILLISECOND).toString();
    const streamBytes = utf8.encode(streamId).length;
    let last: LoggedEvent | undefined;
    for (const event of events) {
      last = {
        ...event,
        streamId,
        revision: BigInt(target.length),
        position: this.nextPosition,
        created,
      };
      this.nextPosition += BigInt(
        RECORD_HEADER_SIZE +
          streamBytes +
          utf8.encode(event.type).length +
          event.data.length +
          event.customMetadata.length,
      );
      target.push(last);
      this.records.push(last);
    }
    for (const listener of [...this.listeners]) listener();
    return { kind: 'written', revision: last!.revision, position: last!.position };
  }
}

function systemEvent(type: string, data: unknown): ProposedEvent {
  const isJson = typeof data !== 'string';
  return {
    id: randomUUID(),
    type,
    isJson,
    data: utf8.encode(isJson ? JSON.stringify(data) : data),
    customMetadata: new Uint8Array(),
  };
}

/** What a freshly started single node has already written to its log before any client connects. */
function seedSystemEvents(log: EventLog): void {
  const instanceId = randomUUID();
  log.append('$epoch-information', { kind: 'any' }, [
    systemEvent('$epoch-information', {
      epochId: randomUUID(),
      epochNumber: 0,
      epochPosition: 0,
      leaderInstanceId: instanceId,
    }),
  ]);
  log.append('$user-admin', { kind: 'any' }, [
    systemEvent('$user', {
      loginName: 'admin',
      fullName: 'KurrentDB Administrator',
      groups: ['$admins'],
    }),
  ]);
  log.append('$users', { kind: 'any' }, [systemEvent('$UserCreated', 'admin')]);
  log.append('$user-ops', { kind: 'any' }, [
    systemEvent('$user', { loginName: 'ops', fullName: 'KurrentDB Operations', groups: ['$ops'] }),
  ]);
  log.append('$users', { kind: 'any' }, [systemEvent('$UserCreated', 'ops')]);
  log.append('$settings', { kind: 'any' }, [
    systemEvent('$settings', {
      $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' },
      $systemStreamAcl: {
        $r: '$admins',
        $w: '$admins',
        $d: '$admins',
        $mr: '$admins',
        $mw: '$admins',
      },
    }),
  ]);
}

// --- protobuf helpers -------------------------------------------------------------------------

const bytes = (value: Uint8Array | string): Uint8Array =>
  typeof value === 'string' ? Buffer.from(value, 'base64') : value;

const streamName = (identifier: StreamIdentifier | undefined): string =>
  Buffer.from(bytes(identifier?.getStreamName() ?? '')).toString('utf8');

const streamIdentifier = (name: string): StreamIdentifier =>
  new StreamIdentifier().setStreamName(utf8.encode(name));

const toSignedInt64 = (hex: string): string => BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
const toUnsignedHex = (value: string): string =>
  BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');

function parseUuid(uuid: UUID | undefined): string {
  if (!uuid) return '';
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const ms = toUnsignedHex(structured.getMostSignificantBits());
    const ls = toUnsignedHex(structured.getLeastSignificantBits());
    return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${ms.slice(12)}-${ls.slice(0, 4)}-${ls.slice(4)}`;
  }
  return uuid.getString().toLowerCase();
}

function formatUuid(id: string, structured: boolean): UUID {
  if (!structured) return new UUID().setString(id);
  const hex = id.replace(/-/g, '');
  return new UUID().setStructured(
    new UUID.Structured()
      .setMostSignificantBits(toSignedInt64(hex.slice(0, 16)))
      .setLeastSignificantBits(toSignedInt64(hex.slice(16))),
  );
}

function timestampNow(): Timestamp {
  const now = Date.now();
  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor(now / 1000));
  timestamp.setNanos((now % 1000) * 1_000_000);
  return timestamp;
}

const NO_POSITION = (2n ** 64n - 1n).toString();

function recordedEvent(
  event: LoggedEvent,
  structuredIds: boolean,
  placeholderPosition = false,
): ReadResp.ReadEvent {
  const position = placeholderPosition ? NO_POSITION : event.position.toString();
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(formatUuid(event.id, structuredIds))
    .setStreamIdentifier(streamIdentifier(event.streamId))
    .setStreamRevision(event.revision.toString())
    .setCommitPosition(position)
    .setPreparePosition(position)
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('created', event.created)
    .set('content-type', event.isJson ? 'application/json' : 'application/octet-stream');
  return new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(event.position.toString());
}

function serviceError(code: grpc.status, details: string, trailers: Record<string, string> = {}) {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

function compileFilter(filter: ReadReq.Options.FilterOptions): EventFilter {
  const on = filter.hasStreamIdentifier() ? 'stream' : 'type';
  const expression = filter.hasStreamIdentifier()
    ? filter.getStreamIdentifier()
    : filter.getEventType();
  if (!expression)
    throw serviceError(grpc.status.INVALID_ARGUMENT, 'Filter is missing its expression.');
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  const multiplier = filter.getCheckpointintervalmultiplier();
  if (multiplier <= 0) {
    throw serviceError(
      grpc.status.INVALID_ARGUMENT,
      'checkpointIntervalMultiplier must be positive.',
    );
  }
  const regex = expression.getRegex();
  return {
    on,
    // As the server does: a regex, when given, wins over prefixes.
    regex: regex ? new RegExp(regex) : undefined,
    prefixes: expression.getPrefixList(),
    window,
    checkpointInterval: multiplier * window,
  };
}

function matches(filter: EventFilter | undefined, event: LoggedEvent): boolean {
  if (!filter) return true;
  const subject = filter.on === 'stream' ? event.streamId : event.type;
  if (filter.regex) return filter.regex.test(subject);
  return filter.prefixes.some((prefix) => subject.startsWith(prefix));
}

// --- subscriptions ----------------------------------------------------------------------------

type SubscriptionSource =
  | { kind: 'all'; from: 'start' | 'end' | bigint; filter: EventFilter | undefined }
  | { kind: 'stream'; streamId: string; from: 'start' | 'end' | bigint };

/** One catch-up-then-live subscription; everything runs on the event loop, so catch-up and going live cannot miss an append. */
class Subscription {
  private cursor = 0;
  private examined = 0;
  private lastSentCheckpoint: bigint | undefined;
  private checkpoint: bigint | undefined;
  private lastRevision: bigint | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly log: EventLog,
    private readonly call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    private readonly source: SubscriptionSource,
    private readonly structuredIds: boolean,
  ) {}

  start(): void {
    this.send(
      new ReadResp().setConfirmation(
        new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID()),
      ),
    );
    const { source } = this;
    if (source.kind === 'all') {
      const last = this.log.lastPosition();
      if (source.from === 'start') this.cursor = 0;
      else if (source.from === 'end') {
        this.cursor = this.log.records.length;
        this.checkpoint = last;
      } else {
        // Subscriptions resume *after* the given position (it is the last one the consumer saw).
        this.cursor = this.log.indexFrom(source.from, true);
        this.checkpoint = source.from;
      }
    } else {
      const length = BigInt(this.log.stream(source.streamId).length);
      if (source.from === 'start') this.cursor = 0;
      else if (source.from === 'end') {
        this.cursor = Number(length);
        this.lastRevision = length - 1n;
      } else {
        this.cursor = Number(source.from + 1n);
        this.lastRevision = source.from;
      }
    }
    this.drain();
    if (source.kind === 'all' && source.filter && this.checkpoint !== undefined) {
      // The server issues one when going live so that at least one lands per interval.
      this.sendCheckpoint(this.checkpoint);
    }
    this.send(new ReadResp().setCaughtUp(this.caughtUp()));
    this.unsubscribe = this.log.onAppend(() => this.drain());
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  /** Ends the call with an error status, as a node shutting down ends its subscriptions. */
  abort(error: Error): void {
    if (this.closed) return;
    this.close();
    if (!this.call.cancelled) this.call.emit('error', error);
  }

  private caughtUp(): ReadResp.CaughtUp {
    const caughtUp = new ReadResp.CaughtUp().setTimestamp(timestampNow());
    if (this.source.kind === 'stream') {
      if (this.lastRevision !== undefined && this.lastRevision >= 0n) {
        caughtUp.setStreamRevision(this.lastRevision.toString());
      }
    } else if (this.checkpoint !== undefined) {
      caughtUp.setPosition(
        new ReadResp.Position()
          .setCommitPosition(this.checkpoint.toString())
          .setPreparePosition(this.checkpoint.toString()),
      );
    }
    return caughtUp;
  }

  private drain(): void {
    if (this.closed) return;
    if (this.source.kind === 'stream') {
      const stream = this.log.stream(this.source.streamId);
      for (; this.cursor < stream.length; this.cursor++) {
        this.send(new ReadResp().setEvent(recordedEvent(stream[this.cursor], this.structuredIds)));
        this.lastRevision = stream[this.cursor].revision;
      }
      return;
    }
    const { filter } = this.source;
    const records = this.log.records;
    for (; this.cursor < records.length; this.cursor++) {
      const record = records[this.cursor];
      this.checkpoint = record.position;
      if (matches(filter, record)) {
        this.send(new ReadResp().setEvent(recordedEvent(record, this.structuredIds)));
      }
      if (filter && ++this.examined >= filter.checkpointInterval) {
        this.examined %= filter.checkpointInterval;
        this.sendCheckpoint(record.position);
      }
    }
  }

  private sendCheckpoint(position: bigint): void {
    // The server never repeats or goes back on a checkpoint.
    if (this.lastSentCheckpoint !== undefined && position <= this.lastSentCheckpoint) return;
    this.lastSentCheckpoint = position;
    this.send(
      new ReadResp().setCheckpoint(
        new ReadResp.Checkpoint()
          .setCommitPosition(position.toString())
          .setPreparePosition(position.toString())
          .setTimestamp(timestampNow()),
      ),
    );
  }

  private send(message: ReadResp): void {
    if (this.closed || this.call.cancelled) return;
    this.call.write(message);
  }
}

// --- the server -------------------------------------------------------------------------------

type UnaryHandler = (call: unknown, callback: grpc.sendUnaryData<unknown>) => void;
type StreamHandler = (call: grpc.ServerWritableStream<unknown, unknown>) => void;

/** Services the client knows about but this stand-in does not implement; registered so that calls to them can be traced. */
const UNIMPLEMENTED_SERVICES: grpc.ServiceDefinition[] = [
  OperationsService,
  PersistentSubscriptionsService,
  ProjectionsService,
  UsersService,
  StreamsServiceService,
  ServerInfoServiceService,
];

const IMPLEMENTED_METHODS: { service: string; method: string; features: string[] }[] = [
  {
    service: 'event_store.client.streams.streams',
    method: 'read',
    features: ['position', 'events'],
  },
  { service: 'event_store.client.streams.streams', method: 'append', features: [] },
  { service: 'event_store.client.gossip.gossip', method: 'read', features: [] },
  {
    service: 'event_store.client.server_features.serverfeatures',
    method: 'getsupportedmethods',
    features: [],
  },
];

class StandIn implements KurrentDbStandIn {
  readonly host: string;
  port: number;
  private readonly log: EventLog;
  private readonly subscriptions = new Set<Subscription>();
  private readonly sockets = new Set<Socket>();
  private readonly trace: (line: string) => void;
  private server: grpc.Server | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: KurrentDbStandInOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 2113;
    this.trace = options.trace ?? (() => undefined);
    this.log = new EventLog(
      options.firstPosition ?? EPOCH_RECORD_SIZE,
      options.anyIdempotencyWindow ?? 100,
    );
    seedSystemEvents(this.log);
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `kurrentdb://${host}:${this.port}?tls=false`;
  }

  get size(): number {
    return this.log.records.length;
  }

  async listen(): Promise<void> {
    const server = new grpc.Server();
    server.addService(StreamsService, {
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      append: (
        call: grpc.ServerReadableStream<AppendReq, AppendResp>,
        callback: grpc.sendUnaryData<AppendResp>,
      ) => this.append(call, callback),
      delete: this.unimplemented(StreamsService.delete.path, false),
      tombstone: this.unimplemented(StreamsService.tombstone.path, false),
      batchAppend: this.unimplemented(StreamsService.batchAppend.path, true),
    });
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<SupportedMethods>) => {
        this.trace(ServerFeaturesService.getSupportedMethods.path);
        callback(null, this.supportedMethods());
      },
    });
    server.addService(GossipService, {
      read: (_call: unknown, callback: grpc.sendUnaryData<ClusterInfo>) => {
        this.trace(GossipService.read.path);
        callback(null, this.clusterInfo());
      },
    });
    for (const service of UNIMPLEMENTED_SERVICES) {
      const handlers: Record<string, UnaryHandler | StreamHandler> = {};
      for (const [name, method] of Object.entries(service)) {
        handlers[name] = this.unimplemented(method.path, method.responseStream);
      }
      server.addService(service, handlers);
    }
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        `${this.host}:${this.port}`,
        grpc.ServerCredentials.createInsecure(),
        (error, port) => (error ? reject(error) : resolve(port)),
      ),
    );
    this.server = server;
    this.trackSockets(server);
    if (this.options.statsIntervalMs && !this.statsTimer) {
      this.statsTimer = setInterval(() => this.writeStats(), this.options.statsIntervalMs);
      this.statsTimer.unref();
    }
  }

  async kill(): Promise<void> {
    // A dead node writes nothing, its statistics included.
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.closeSubscriptions();
    // A crashed process vanishes without HTTP/2 goodbyes: reset the TCP connections first, so
    // clients see the connection drop rather than calls cancelled by a server shutting down.
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** grpc-js keeps its HTTP/2 servers private; reaching them is the only way to hold the raw sockets. */
  private trackSockets(server: grpc.Server): void {
    const http2Servers = (server as unknown as { http2Servers?: Map<EventEmitter, unknown> })
      .http2Servers;
    for (const http2Server of http2Servers?.keys() ?? []) {
      http2Server.on('connection', (socket: Socket) => {
        // As a real server does: without it, Nagle holds a response's last frames back until the
        // client's delayed ACK, tens of milliseconds per call.
        socket.setNoDelay(true);
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      });
    }
  }

  async restart(): Promise<void> {
    if (this.server) await this.kill();
    await this.listen();
  }

  async stop(): Promise<void> {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // Subscriptions never end by themselves; a node shutting down ends them as unavailable.
    for (const subscription of this.subscriptions) {
      subscription.abort(serviceError(grpc.status.UNAVAILABLE, 'Server is shutting down.'));
    }
    this.subscriptions.clear();
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2_000);
      server.tryShutdown(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  }

  private closeSubscriptions(): void {
    for (const subscription of this.subscriptions) subscription.close();
    this.subscriptions.clear();
  }

  private writeStats(): void {
    const endpoint = `${this.host}:${this.port}`;
    this.log.append(`$stats-${endpoint}`, { kind: 'any' }, [
      systemEvent('$statsCollected', {
        'proc-startTime': this.startedAt,
        'proc-mem': process.memoryUsage().rss,
        'es-queue-count': this.subscriptions.size,
      }),
    ]);
  }

  private supportedMethods(): SupportedMethods {
    return new SupportedMethods()
      .setEventStoreServerVersion(SERVER_VERSION)
      .setMethodsList(
        IMPLEMENTED_METHODS.map(({ service, method, features }) =>
          new SupportedMethod()
            .setServiceName(service)
            .setMethodName(method)
            .setFeaturesList(features),
        ),
      );
  }

  private clusterInfo(): ClusterInfo {
    const member = new MemberInfo()
      .setInstanceId(formatUuid(randomUUID(), true))
      .setTimeStamp((BigInt(Date.now()) * TICKS_PER_MILLISECOND).toString())
      .setState(MemberInfo.VNodeState.LEADER)
      .setIsAlive(true)
      .setHttpEndPoint(new EndPoint().setAddress(this.host).setPort(this.port));
    return new ClusterInfo().setMembersList([member]);
  }

  private unimplemented(path: string, responseStream: boolean): UnaryHandler | StreamHandler {
    const error = () => {
      this.trace(`${path} -> UNIMPLEMENTED`);
      return serviceError(
        grpc.status.UNIMPLEMENTED,
        `Method ${path} is not implemented by the KurrentDB stand-in.`,
      );
    };
    if (responseStream) {
      return (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', error());
    }
    return (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(error());
  }

  private append(
    call: grpc.ServerReadableStream<AppendReq, AppendResp>,
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    let options: AppendReq.Options | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      callback(error);
    };
    call.on('data', (request: AppendReq) => {
      if (failed) return;
      if (!options) {
        if (!request.hasOptions()) {
          return fail(
            serviceError(grpc.status.UNKNOWN, 'The first append message must carry the options.'),
          );
        }
        options = request.getOptions()!;
        return;
      }
      const message = request.getProposedMessage();
      if (!message) {
        return fail(
          serviceError(grpc.status.UNKNOWN, 'Only proposed messages may follow the options.'),
        );
      }
      const metadata = message.getMetadataMap();
      for (const required of ['type', 'content-type']) {
        if (!metadata.has(required)) {
          return fail(
            serviceError(
              grpc.status.INVALID_ARGUMENT,
              `Required metadata property ${required} is missing.`,
              {
                exception: 'missing-required-metadata-property',
                'required-metadata-properties': required,
              },
            ),
          );
        }
      }
      const event: ProposedEvent = {
        id: parseUuid(message.getId()),
        type: metadata.get('type')!,
        isJson: metadata.get('content-type') === 'application/json',
        data: message.getData_asU8(),
        customMetadata: message.getCustomMetadata_asU8(),
      };
      size += event.data.length + event.customMetadata.length + utf8.encode(event.type).length;
      if (size > MAX_APPEND_SIZE) {
        return fail(
          serviceError(
            grpc.status.INVALID_ARGUMENT,
            `Maximum Append Size of ${MAX_APPEND_SIZE} Exceeded.`,
            {
              exception: 'maximum-append-size-exceeded',
              'maximum-append-size': String(MAX_APPEND_SIZE),
            },
          ),
        );
      }
      events.push(event);
    });
    call.on('error', (error) => fail(error));
    call.on('end', () => {
      if (failed) return;
      if (!options) return fail(serviceError(grpc.status.UNKNOWN, 'An append needs its options.'));
      const streamId = streamName(options.getStreamIdentifier());
      const expected = expectedState(options);
      this.trace(
        `${StreamsService.append.path} stream=${streamId} expected=${describeExpected(expected)} events=${events.length}`,
      );
      const outcome = this.log.append(streamId, expected, events);
      callback(null, appendResponse(outcome, expected));
    });
  }

  private read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    const options = call.request.getOptions();
    try {
      if (!options) throw serviceError(grpc.status.INVALID_ARGUMENT, 'Read options are required.');
      this.trace(`${StreamsService.read.path} ${JSON.stringify(options.toObject())}`);
      // Without a uuid option the server refuses the read; with `string` it sends ids as strings.
      if (!options.hasUuidOption())
        throw serviceError(grpc.status.INVALID_ARGUMENT, 'uuid_option is required.');
      const structuredIds = options.getUuidOption()!.hasStructured();
      const filter = options.hasFilter() ? compileFilter(options.getFilter()!) : undefined;

      if (options.hasSubscription()) {
        const source = subscriptionSource(options, filter);
        const subscription = new Subscription(this.log, call, source, structuredIds);
        this.subscriptions.add(subscription);
        const end = () => {
          subscription.close();
          this.subscriptions.delete(subscription);
        };
        call.on('cancelled', end);
        call.on('close', end);
        subscription.start();
        return;
      }

      const count = options.hasCount() ? BigInt(options.getCount()) : 0n;
      const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
      const messages = options.hasStream()
        ? this.readStream(
            options.getStream()!,
            count,
            backwards,
            options.getControlOption()?.getCompatibility() ?? 0,
            structuredIds,
          )
        : this.readAll(options.getAll()!, count, backwards, filter, structuredIds);
      for (const message of messages) {
        if (call.cancelled) return;
        call.write(message);
      }
      call.end();
    } catch (error) {
      call.emit('error', error);
    }
  }

  private readStream(
    stream: ReadReq.Options.StreamOptions,
    count: bigint,
    backwards: boolean,
    compatibility: number,
    structuredIds: boolean,
  ): ReadResp[] {
    const streamId = streamName(stream.getStreamIdentifier());
    const events = this.log.stream(streamId);
    if (events.length === 0) {
      return [
        new ReadResp().setStreamNotFound(
          new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId)),
        ),
      ];
    }
    const last = BigInt(events.length - 1);
    const selected: LoggedEvent[] = [];
    if (backwards) {
      // `end` is the last event; a revision past the end also starts from the last event.
      let revision = stream.hasRevision()
        ? BigInt(stream.getRevision())
        : stream.hasStart()
          ? 0n
          : last;
      if (revision > last) revision = last;
      for (; revision >= 0n && BigInt(selected.length) < count; revision--) {
        selected.push(events[Number(revision)]);
      }
    } else {
      let revision = stream.hasRevision()
        ? BigInt(stream.getRevision())
        : stream.hasEnd()
          ? last + 1n
          : 0n;
      for (; revision <= last && BigInt(selected.length) < count; revision++) {
        selected.push(events[Number(revision)]);
      }
    }
    const messages = selected.map((event) =>
      new ReadResp().setEvent(
        recordedEvent(event, structuredIds, this.options.legacyStreamReadPositions),
      ),
    );
    if (!backwards && compatibility >= 1)
      messages.push(new ReadResp().setLastStreamPosition(last.toString()));
    return messages;
  }

  private readAll(
    all: ReadReq.Options.AllOptions,
    count: bigint,
    backwards: boolean,
    filter: EventFilter | undefined,
    structuredIds: boolean,
  ): ReadResp[] {
    const records = this.log.records;
    const selected: LoggedEvent[] = [];
    const take = (record: LoggedEvent) => {
      if (matches(filter, record)) selected.push(record);
      return BigInt(selected.length) < count;
    };
    if (backwards) {
      // Reading backwards from a position returns the records *before* it, as the log reader does.
      let index = all.hasPosition()
        ? this.log.indexFrom(BigInt(all.getPosition()!.getCommitPosition()), false) - 1
        : all.hasStart()
          ? -1
          : records.length - 1;
      while (count > 0n && index >= 0 && take(records[index])) index--;
    } else {
      let index = all.hasPosition()
        ? this.log.indexFrom(BigInt(all.getPosition()!.getCommitPosition()), false)
        : all.hasEnd()
          ? records.length
          : 0;
      while (count > 0n && index < records.length && take(records[index])) index++;
    }
    return selected.map((event) => new ReadResp().setEvent(recordedEvent(event, structuredIds)));
  }
}

function expectedState(options: AppendReq.Options): ExpectedState {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

function describeExpected(expected: ExpectedState): string {
  return expected.kind === 'revision' ? expected.revision.toString() : expected.kind;
}

function subscriptionSource(
  options: ReadReq.Options,
  filter: EventFilter | undefined,
): SubscriptionSource {
  if (options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS) {
    throw serviceError(grpc.status.INVALID_ARGUMENT, 'Subscriptions only go forwards.');
  }
  if (options.hasStream()) {
    if (filter)
      throw serviceError(grpc.status.INVALID_ARGUMENT, 'Stream subscriptions cannot be filtered.');
    const stream = options.getStream()!;
    const from = stream.hasRevision()
      ? BigInt(stream.getRevision())
      : stream.hasEnd()
        ? 'end'
        : 'start';
    return { kind: 'stream', streamId: streamName(stream.getStreamIdentifier()), from };
  }
  const all = options.getAll();
  if (!all) throw serviceError(grpc.status.INVALID_ARGUMENT, 'A stream or $all is required.');
  const from = all.hasPosition()
    ? BigInt(all.getPosition()!.getCommitPosition())
    : all.hasEnd()
      ? 'end'
      : 'start';
  return { kind: 'all', from, filter };
}

function appendResponse(outcome: AppendOutcome, expected: ExpectedState): AppendResp {
  const response = new AppendResp();
  if (outcome.kind === 'wrong_expected_version') {
    const wrong = new AppendResp.WrongExpectedVersion();
    // Both the current fields and the 20.6.0 ones, as the server fills both.
    if (outcome.current === undefined) {
      wrong.setCurrentNoStream(new Empty()).setNoStream2060(new Empty());
    } else {
      wrong.setCurrentRevision(outcome.current.toString());
      if (outcome.current <= BigInt(Number.MAX_SAFE_INTEGER))
        wrong.setCurrentRevision2060(Number(outcome.current));
    }
    switch (expected.kind) {
      case 'any':
        wrong.setExpectedAny(new Empty()).setAny2060(new Empty());
        break;
      case 'stream_exists':
        wrong.setExpectedStreamExists(new Empty()).setStreamExists2060(new Empty());
        break;
      case 'no_stream':
        wrong.setExpectedNoStream(new Empty());
        break;
      case 'revision':
        wrong.setExpectedRevision(expected.revision.toString());
        if (expected.revision <= BigInt(Number.MAX_SAFE_INTEGER)) {
          wrong.setExpectedRevision2060(Number(expected.revision));
        }
        break;
    }
    return response.setWrongExpectedVersion(wrong);
  }
  const success = new AppendResp.Success();
  if (outcome.kind === 'empty') {
    // Nothing was written, so there is no position to report.
    if (outcome.revision === undefined) success.setNoStream(new Empty());
    else success.setCurrentRevision(outcome.revision.toString());
    success.setNoPosition(new Empty());
  } else {
    success
      .setCurrentRevision(outcome.revision.toString())
      .setPosition(
        new AppendResp.Position()
          .setCommitPosition(outcome.position.toString())
          .setPreparePosition(outcome.position.toString()),
      );
  }
  return response.setSuccess(success);
}

export async function startKurrentDbStandIn(
  options: KurrentDbStandInOptions = {},
): Promise<KurrentDbStandIn> {
  const standIn = new StandIn(options);
  await standIn.listen();
  return standIn;
}
