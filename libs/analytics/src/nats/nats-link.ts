import {
  DiscardPolicy,
  jetstream,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NatsForwarderSettings } from './nats-settings';

/**
 * `idle`: not started; `connecting`: the first attempt (or one after `unreachable`) is under way;
 * `connected`; `reconnecting`: the connection dropped and the client is trying again by itself;
 * `unreachable`: no server answered (the next publish tries again); `closed`: shut down.
 */
export type NatsLinkState =
  'idle' | 'connecting' | 'connected' | 'reconnecting' | 'unreachable' | 'closed';

export interface NatsLinkStatus {
  state: NatsLinkState;
  servers: string[];
  /** The server currently connected to; null when none. */
  server: string | null;
  stream: string;
  /** The stream was created or brought to the configured settings on this connection. */
  streamReady: boolean;
  /** The last connection or stream error (kept after recovery, with when it happened). */
  lastError: { message: string; at: Date } | null;
  since: Date;
}

export interface NatsLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** NATS cannot be reached, or JetStream refused a stream operation: retried, never fatal. */
export class NatsUnavailableError extends Error {
  readonly code = 'NATS_UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NatsUnavailableError';
  }
}

export interface NatsHandles {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** JetStream API error codes the link and the forwarder act on. */
export const JS_STREAM_NOT_FOUND = 10059;
const JS_STREAM_NAME_IN_USE = 10058;

const NANOS_PER_MS = 1_000_000;

/**
 * The forwarder's connection to NATS: connects on first use (or `start()`), reconnects forever
 * once connected, creates or updates the stream once per connection, and reports its state for
 * `/health`. A failed first connection is not retried here: the next `ready()` (the next publish
 * attempt, paced by the projection runner's backoff) tries again.
 */
export class NatsLink {
  private handles: NatsHandles | undefined;
  private opening: Promise<NatsHandles> | undefined;
  private ensuring: Promise<void> | undefined;
  private streamReady = false;
  private closed = false;
  private state: NatsLinkState = 'idle';
  private since = new Date();
  private server: string | null = null;
  private lastError: { message: string; at: Date } | null = null;

  constructor(
    readonly settings: NatsForwarderSettings,
    private readonly logger: NatsLogger = silentLogger,
  ) {}

  status(): NatsLinkStatus {
    return {
      state: this.state,
      servers: [...this.settings.servers],
      server: this.server,
      stream: this.settings.stream,
      streamReady: this.streamReady,
      lastError: this.lastError,
      since: this.since,
    };
  }

  /** Connects and prepares the stream in the background (start-up); failures only show in status. */
  start(): void {
    this.ready().catch(() => undefined);
  }

  /** The connection, with the stream in place; NatsUnavailableError when that cannot be had now. */
  async ready(): Promise<NatsHandles> {
    if (this.closed) throw new NatsUnavailableError('the NATS connection is closed');
    const handles =
      this.handles ??
      (await (this.opening ??= this.open().finally(() => (this.opening = undefined))));
    if (!this.streamReady) {
      await (this.ensuring ??= this.ensureStream(handles.jsm).finally(
        () => (this.ensuring = undefined),
      ));
    }
    return handles;
  }

  /** Makes the next `ready()` check the stream again (it was deleted, or the server changed). */
  streamMayBeGone(): void {
    this.streamReady = false;
  }

  /** Records a failure seen by a user of the link (a publish), for `/health`. */
  noteError(error: unknown): void {
    this.lastError = { message: messageOf(error), at: new Date() };
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.opening;
    await opening?.catch(() => undefined);
    const handles = this.handles;
    this.handles = undefined;
    this.streamReady = false;
    this.server = null;
    this.setState('closed');
    if (handles && !handles.connection.isClosed()) {
      await handles.connection.close().catch(() => undefined);
    }
  }

  private async open(): Promise<NatsHandles> {
    const { settings } = this;
    const servers = settings.servers.join(',');
    this.setState('connecting');
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: settings.servers,
        name: 'arbiter-event-forwarder',
        timeout: settings.connectTimeoutMs ?? 5_000,
        // Once connected, never give up: publishes wait (and time out, to be retried) meanwhile.
        maxReconnectAttempts: -1,
        reconnectTimeWait: settings.reconnectWaitMs ?? 1_000,
      });
    } catch (error) {
      this.noteError(error);
      this.setState('unreachable');
      throw new NatsUnavailableError(`cannot connect to NATS at ${servers}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (this.closed) {
      await connection.close().catch(() => undefined);
      throw new NatsUnavailableError('the NATS connection is closed');
    }
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(connection, { timeout: settings.publishTimeoutMs ?? 5_000 });
    } catch (error) {
      this.noteError(error);
      await connection.close().catch(() => undefined);
      this.setState('unreachable');
      throw new NatsUnavailableError(
        `JetStream is not available at ${servers}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    if (this.closed) {
      await connection.close().catch(() => undefined);
      throw new NatsUnavailableError('the NATS connection is closed');
    }
    const handles: NatsHandles = {
      connection,
      js: jetstream(connection, { timeout: settings.publishTimeoutMs ?? 5_000 }),
      jsm,
    };
    this.handles = handles;
    this.server = connection.getServer();
    this.setState('connected');
    this.logger.log(`Connected to NATS at ${this.server}`);
    this.watch(connection);
    return handles;
  }

  private watch(connection: NatsConnection): void {
    void (async () => {
      for await (const status of connection.status()) {
        if (this.handles?.connection !== connection) return;
        switch (status.type) {
          case 'disconnect':
            this.noteError(new Error(`disconnected from NATS at ${status.server}`));
            this.server = null;
            this.setState('reconnecting');
            this.logger.warn(`Disconnected from NATS at ${status.server}; reconnecting`);
            break;
          case 'reconnect':
            this.server = status.server;
            // Perhaps another server of a cluster, or one restarted without its data.
            this.streamReady = false;
            this.setState('connected');
            this.logger.log(`Reconnected to NATS at ${status.server}`);
            break;
          case 'error':
            this.noteError(status.error);
            break;
          default:
            break;
        }
      }
    })().catch(() => undefined);
    void connection.closed().then((error) => {
      if (this.handles?.connection !== connection) return;
      // Closed by the client itself (not by us): start over on the next ready().
      this.handles = undefined;
      this.streamReady = false;
      this.server = null;
      if (error) this.noteError(error);
      this.setState('unreachable');
    });
  }

  /**
   * Creates the stream, or brings an existing one to the configured limits (subjects are added
   * to, never taken away; nothing is purged). Two processes doing it at once is harmless.
   */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { settings } = this;
    const subject = `${settings.subjectPrefix}.>`;
    const maxAgeMs = settings.maxAgeHours * 3_600_000;
    // The server refuses a duplicate window longer than the age limit.
    const windowMs =
      maxAgeMs > 0
        ? Math.min(settings.duplicateWindowSeconds * 1000, maxAgeMs)
        : settings.duplicateWindowSeconds * 1000;
    const limits = {
      max_age: Math.round(maxAgeMs * NANOS_PER_MS),
      max_bytes: settings.maxBytes,
      num_replicas: settings.replicas,
      duplicate_window: Math.round(windowMs * NANOS_PER_MS),
    };
    try {
      let info = await this.streamInfo(jsm);
      if (!info) {
        try {
          await jsm.streams.add({
            name: settings.stream,
            subjects: [subject],
            retention: RetentionPolicy.Limits,
            storage: StorageType.File,
            discard: DiscardPolicy.Old,
            ...limits,
          });
          this.logger.log(`Created JetStream stream ${settings.stream} (${subject})`);
        } catch (error) {
          if (!(error instanceof JetStreamApiError && error.code === JS_STREAM_NAME_IN_USE))
            throw error;
          info = await this.streamInfo(jsm); // Another process created it meanwhile.
        }
      }
      if (info) await this.updateStream(jsm, info, subject, limits);
      this.streamReady = true;
    } catch (error) {
      this.noteError(error);
      throw new NatsUnavailableError(
        `cannot create or update JetStream stream ${settings.stream}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  private async streamInfo(jsm: JetStreamManager): Promise<StreamInfo | null> {
    try {
      return await jsm.streams.info(this.settings.stream);
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JS_STREAM_NOT_FOUND) return null;
      throw error;
    }
  }

  private async updateStream(
    jsm: JetStreamManager,
    info: StreamInfo,
    subject: string,
    limits: Pick<StreamConfig, 'max_age' | 'max_bytes' | 'num_replicas' | 'duplicate_window'>,
  ): Promise<void> {
    const current = info.config;
    if (current.retention !== RetentionPolicy.Limits) {
      this.logger.warn(
        `JetStream stream ${current.name} has ${current.retention} retention, not limits: left as it is (the server cannot change it)`,
      );
    }
    const subjects = current.subjects?.includes(subject)
      ? current.subjects
      : [...(current.subjects ?? []), subject];
    const changed =
      subjects !== current.subjects ||
      (Object.keys(limits) as (keyof typeof limits)[]).some((key) => current[key] !== limits[key]);
    if (!changed) return;
    await jsm.streams.update(current.name, { ...current, subjects, ...limits });
    this.logger.log(`Updated JetStream stream ${current.name} to the configured settings`);
  }

  private setState(state: NatsLinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = new Date();
  }
}

const silentLogger: NatsLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
