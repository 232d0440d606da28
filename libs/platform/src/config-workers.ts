import { SELLER_SILENCE_POLICIES } from '@arbiter/disputes';
import { z } from 'zod';
import { emptyAsUndefined } from './config-values';

/** The dispute policy, analytics and its NATS stream, metrics, and projection health thresholds. */
export const workerSettings = {
  /**
   * The dispute policy (docs/domain.md#policy): any subset of its settings as a JSON object,
   * e.g. `{"sellerResponseDays":7,"onSellerSilence":"escalate"}`; the rest keep their defaults.
   */
  DISPUTE_POLICY_JSON: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** What the seller's silence past `sellerResponseDays` does (docs/domain.md#policy). */
  ON_SELLER_SILENCE: z.preprocess(emptyAsUndefined, z.enum(SELLER_SILENCE_POLICIES).optional()),
  /** When set, `/metrics` answers only scrapers that send `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  /**
   * Key of the pseudonyms analysts see instead of people's ids (HMAC-SHA256): the same person
   * always gets the same pseudonym, and nobody can reverse one without the key. Required in
   * production; changing it changes every pseudonym.
   */
  ANALYTICS_PSEUDONYM_KEY: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  /** Events read ahead for one `disputeEvents` subscriber, at most. */
  ANALYTICS_SUBSCRIPTION_BUFFER: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(100_000).default(1_000),
  ),
  /**
   * A subscriber whose buffer is full and who takes nothing for this long is cut off
   * (SUBSCRIBER_TOO_SLOW, with the cursor to resume after).
   */
  ANALYTICS_SUBSCRIPTION_STALL_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(10).max(600_000).default(10_000),
  ),
  /** NATS server(s) for the analytics event feed (comma-separated); the forwarder is off without it. */
  NATS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(
        /^((nats|tls|wss?):\/\/)?([^\s,/@]+@)?[^\s,:/@]+(:\d{1,5})?(,((nats|tls|wss?):\/\/)?([^\s,/@]+@)?[^\s,:/@]+(:\d{1,5})?)*$/,
        'must be nats://host:port (several separated by commas)',
      )
      .optional(),
  ),
  /** The JetStream stream the forwarder creates or updates at start-up. */
  NATS_STREAM: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ and -')
      .default('ARBITER_EVENTS'),
  ),
  /** Subjects are `<prefix>.<EventType>`. */
  NATS_SUBJECT_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(
        /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
        'must be dot-separated tokens without wildcards',
      )
      .default('arbiter.events'),
  ),
  /** How long the stream keeps a message; 0 keeps it until a size limit removes it. */
  NATS_STREAM_MAX_AGE_HOURS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .min(0)
      .default(24 * 30),
  ),
  /** The stream's size limit in bytes; -1: none. */
  NATS_STREAM_MAX_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(-1).default(-1),
  ),
  NATS_STREAM_REPLICAS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(5).default(1),
  ),
  /** How long JetStream remembers message ids to drop a re-published event. */
  NATS_DUPLICATE_WINDOW_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).default(600),
  ),
  METRICS_ENABLED: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'])
      .default('true')
      .transform((value) => value === 'true' || value === '1'),
  ),
  /**
   * Readiness (`/health/ready`) fails when a read model has had no runner in any process (no
   * worker, no WORKERS=inline gateway holds its lock) for longer than this.
   */
  PROJECTION_UNOWNED_AFTER_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).default(30_000),
  ),
  /** Readiness fails when a read model is this many events behind the event log, or more. */
  PROJECTION_MAX_LAG_EVENTS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  ),
  /** Readiness fails when a read model's oldest unapplied event is older than this. */
  PROJECTION_MAX_LAG_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).default(60_000),
  ),
  /**
   * The audit log's Ed25519 signing key (libs/audit/README.md): a PKCS8 PEM, or the path of a file
   * holding one. Required in production; elsewhere a development key is generated once and kept
   * beside the PGlite data directory (AUDIT_DEVELOPMENT_KEY_FILE).
   */
  AUDIT_SIGNING_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * Retired audit public keys still trusted to verify older digests after a rotation: PEM blocks,
   * or the path of a PEM or JWK Set file.
   */
  AUDIT_TRUSTED_KEYS: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Where the development signing key is kept (default `<PGLITE_DATA_DIR>.audit-signing-key.pem`). */
  AUDIT_DEVELOPMENT_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * How often, at most, a digest of the log is signed when the log grew: an ISO-8601 duration
   * (`PT5M`) or milliseconds.
   */
  AUDIT_DIGEST_INTERVAL: z.preprocess(emptyAsUndefined, z.string().default('PT5M')),
};
