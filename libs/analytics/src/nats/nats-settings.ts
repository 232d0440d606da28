import type { AppConfig } from '@arbiter/platform';

/** Where and how the forwarder publishes: NATS_URL and the NATS_STREAM* settings. */
export interface NatsForwarderSettings {
  /** NATS_URL split on commas: the client tries them in turn and reconnects to any of them. */
  servers: string[];
  /** NATS_STREAM: created at start-up, or updated to the settings below when it exists. */
  stream: string;
  /** NATS_SUBJECT_PREFIX: events go to `<prefix>.<EventType>`; the stream takes `<prefix>.>`. */
  subjectPrefix: string;
  /** NATS_STREAM_MAX_AGE_HOURS; 0: no age limit. */
  maxAgeHours: number;
  /** NATS_STREAM_MAX_BYTES; -1: no size limit. */
  maxBytes: number;
  /** NATS_STREAM_REPLICAS. */
  replicas: number;
  /** NATS_DUPLICATE_WINDOW_SECONDS: how long the server drops a repeated Nats-Msg-Id. */
  duplicateWindowSeconds: number;
  /** How long a publish waits for its PubAck (then: a transient failure, retried); default 5 s. */
  publishTimeoutMs?: number;
  /** How long one connection attempt may take; default 5 s. */
  connectTimeoutMs?: number;
  /** Pause between reconnection attempts once connected; default 1 s. */
  reconnectWaitMs?: number;
}

/** The forwarder's settings, or undefined when NATS_URL is not set (the forwarder is off). */
export function natsForwarderSettingsFrom(config: AppConfig): NatsForwarderSettings | undefined {
  if (!config.NATS_URL) return undefined;
  return {
    servers: config.NATS_URL.split(',')
      .map((server) => server.trim())
      .filter(Boolean),
    stream: config.NATS_STREAM,
    subjectPrefix: config.NATS_SUBJECT_PREFIX,
    maxAgeHours: config.NATS_STREAM_MAX_AGE_HOURS,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    replicas: config.NATS_STREAM_REPLICAS,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_SECONDS,
  };
}
