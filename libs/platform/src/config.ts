import { z } from 'zod';
import {
  DEFAULT_POLICY,
  definePolicy,
  type DisputePolicy,
  SELLER_SILENCE_POLICIES,
} from '@arbiter/disputes';

/**
 * Every setting Arbiter reads from the environment, validated once at start-up. Only this file
 * and the apps' main.ts read `process.env`; libs receive plain options
 * (docs/architecture.md#conventions).
 */
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

export const configSchema = z
  .object({
    NODE_ENV: z.preprocess(
      emptyAsUndefined,
      z.enum(['development', 'production', 'test']).default('development'),
    ),
    EVENT_STORE: z.preprocess(
      emptyAsUndefined,
      z.enum(['pglite', 'postgres', 'kurrentdb', 'memory']).default('pglite'),
    ),
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    /** PostgreSQL connections per process (one pool shared by the event store and the read models). */
    DATABASE_POOL_SIZE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(1).max(1000).default(20),
    ),
    /** Opening a PostgreSQL connection, and waiting for a free pooled one; 0: no limit. */
    DATABASE_CONNECT_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).default(3_000),
    ),
    /** Server-side `statement_timeout`: PostgreSQL cancels a statement running longer; 0: none. */
    DATABASE_STATEMENT_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).default(5_000),
    ),
    /**
     * Client-side: a query with no answer within this fails and its connection is closed (a
     * partition). Default: the statement timeout plus 2 s (none when that is off).
     */
    DATABASE_QUERY_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).optional(),
    ),
    /** Server-side `idle_in_transaction_session_timeout`: ends a session idle inside a transaction. */
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).default(60_000),
    ),
    /** TCP keepalive on PostgreSQL connections: probes start after this much silence; 0: off. */
    DATABASE_KEEPALIVE_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).default(10_000),
    ),
    /** KurrentDB (EventStoreDB) connection string; required when EVENT_STORE=kurrentdb. */
    KURRENTDB_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(
          /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\/[^/?#\s]+/,
          'must be a KurrentDB connection string: kurrentdb://, kurrentdb+discover:// (kurrent, kdb and esdb also work)',
        )
        .optional(),
    ),
    /**
     * A name for this deployment's streams in KurrentDB: every stream id is stored as
     * `<name>.<id>`, so several deployments (or test runs) can share one server, each seeing only
     * its own streams. No dots, so one name can never be the start of another's (`prod.` vs
     * `prod2.`).
     */
    KURRENTDB_STREAM_PREFIX: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be letters, digits, _ and - (no dots)')
        .optional(),
    ),
    PGLITE_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
    PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
    HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
    LOG_LEVEL: z.preprocess(
      emptyAsUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    /** `inline`: the gateway also runs projections and deadlines; `off`: a separate worker does. */
    WORKERS: z.preprocess(emptyAsUndefined, z.enum(['inline', 'off']).default('inline')),

    /** HS256 secret for bearer tokens; without it (and without a JWKS URL) a development default is used. */
    JWT_SECRET: z.preprocess(
      emptyAsUndefined,
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    /** Production: verify tokens against this key set (RS256/ES256/EdDSA) instead of a shared secret. */
    JWT_JWKS_URL: z.preprocess(
      emptyAsUndefined,
      z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    ),
    /** Required `iss` / `aud` of tokens; both required in production with JWT_JWKS_URL. */
    JWT_ISSUER: z.preprocess(emptyAsUndefined, z.string().optional()),
    JWT_AUDIENCE: z.preprocess(emptyAsUndefined, z.string().optional()),

    /** Longest a bearer token may live (`exp` minus `iat`); longer ones are refused. */
    JWT_MAX_TOKEN_LIFETIME_SECONDS: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number()
        .int()
        .min(60)
        .default(24 * 60 * 60),
    ),
    /** How far the token issuer's clock may be off ours (`exp`, `nbf`, `iat` in the future). */
    JWT_CLOCK_SKEW_SECONDS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(0).max(300).default(5),
    ),
    /** Where uploaded evidence files are stored by their sha256. */
    EVIDENCE_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data/evidence')),
    EVIDENCE_MAX_BYTES: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
    ),
    /** The whole evidence upload must arrive within this, or it is cut off and its temporary file removed. */
    EVIDENCE_UPLOAD_TIMEOUT_MS: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number()
        .int()
        .positive()
        .default(5 * 60_000),
    ),

    /**
     * Evidence quotas (refused with EVIDENCE_QUOTA_EXCEEDED). Per dispute: what each party may
     * store in one dispute, a share of its own so one party cannot crowd the other out.
     */
    EVIDENCE_QUOTA_FILES_PER_DISPUTE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(50),
    ),
    EVIDENCE_QUOTA_BYTES_PER_DISPUTE: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number()
        .int()
        .positive()
        .default(250 * 1024 * 1024),
    ),
    /** Per user: what one account may upload across all its disputes within the window below. */
    EVIDENCE_QUOTA_FILES_PER_USER: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(200),
    ),
    EVIDENCE_QUOTA_BYTES_PER_USER: z.preprocess(
      emptyAsUndefined,
      z.coerce
        .number()
        .int()
        .positive()
        .default(1024 * 1024 * 1024),
    ),
    EVIDENCE_QUOTA_USER_WINDOW_HOURS: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().positive().default(24),
    ),

    /** Requests per minute per actor (or per IP when anonymous). */
    RATE_LIMIT_PER_MINUTE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(300),
    ),
    /** Requests per minute per IP address without valid credentials, counted before parsing. */
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(60),
    ),
    /** Refused requests per minute per IP address; past it the address is cut off for the window. */
    RATE_LIMIT_FAILED_PER_MINUTE: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(60),
    ),
    /**
     * Express's `trust proxy`: which proxies' X-Forwarded-For to believe for the client's address
     * (rate limits by IP). Off by default: every proxy's clients would share one address.
     */
    TRUST_PROXY: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^(true|false|\d+|[\w.:/, -]+)$/, 'true, false, a hop count, or addresses/subnets')
        .optional()
        .transform((value): boolean | number | string => {
          if (value === undefined || value === 'false') return false;
          if (value === 'true') return true;
          return /^\d+$/.test(value) ? Number(value) : value;
        }),
    ),
    GRAPHQL_MAX_DEPTH: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(10),
    ),
    GRAPHQL_MAX_COMPLEXITY: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().positive().default(1000),
    ),
    /** Aliased fields per GraphQL operation. */
    GRAPHQL_MAX_ALIASES: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().nonnegative().default(15),
    ),
    /** Directives per GraphQL operation. */
    GRAPHQL_MAX_DIRECTIVES: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().nonnegative().default(20),
    ),
    /** Largest JSON request body, in body-parser's notation (`100kb`, `1mb`). */
    REQUEST_BODY_LIMIT: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\d+(b|kb|mb)$/i, 'must be a size such as 512kb or 1mb')
        .default('1mb'),
    ),
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
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.JWT_SECRET && !config.JWT_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'is required in production unless JWT_JWKS_URL is set',
      });
    }
    // A JWKS usually belongs to a shared identity provider that signs tokens for other apps too:
    // in production a token must also name this app (aud) and come from the expected issuer.
    if (config.NODE_ENV === 'production' && config.JWT_JWKS_URL) {
      for (const setting of ['JWT_AUDIENCE', 'JWT_ISSUER'] as const) {
        if (!config[setting]) {
          ctx.addIssue({
            code: 'custom',
            path: [setting],
            message: 'is required in production when JWT_JWKS_URL is set',
          });
        }
      }
    }
    if (config.NODE_ENV === 'production' && !config.ANALYTICS_PSEUDONYM_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['ANALYTICS_PSEUDONYM_KEY'],
        message: 'is required in production (analysts would otherwise see guessable pseudonyms)',
      });
    }
    if (
      config.DATABASE_QUERY_TIMEOUT_MS !== undefined &&
      config.DATABASE_QUERY_TIMEOUT_MS > 0 &&
      (config.DATABASE_STATEMENT_TIMEOUT_MS === 0 ||
        config.DATABASE_QUERY_TIMEOUT_MS <= config.DATABASE_STATEMENT_TIMEOUT_MS)
    ) {
      // Shorter, it would discard connections whose statements the server is still allowed to run.
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_QUERY_TIMEOUT_MS'],
        message:
          config.DATABASE_STATEMENT_TIMEOUT_MS === 0
            ? 'needs DATABASE_STATEMENT_TIMEOUT_MS (or set both to 0)'
            : `must be longer than DATABASE_STATEMENT_TIMEOUT_MS (${config.DATABASE_STATEMENT_TIMEOUT_MS})`,
      });
    }
    if (config.EVENT_STORE === 'kurrentdb' && !config.KURRENTDB_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['KURRENTDB_URL'],
        message: 'is required when EVENT_STORE=kurrentdb',
      });
    }
    if (config.EVENT_STORE === 'postgres' && !config.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required when EVENT_STORE=postgres',
      });
    }
  })
  // The policy is validated by the domain's own rules (definePolicy), so a bad value stops the
  // process at start-up with the one-line error like any other setting.
  .transform((config, ctx) => {
    const refuse = (setting: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [setting], message });
      return z.NEVER;
    };
    let overrides: Partial<DisputePolicy> = {};
    if (config.DISPUTE_POLICY_JSON !== undefined) {
      const parsed = policyOverrides(config.DISPUTE_POLICY_JSON);
      if (typeof parsed === 'string') return refuse('DISPUTE_POLICY_JSON', parsed);
      overrides = parsed;
    }
    const onSellerSilence = config.ON_SELLER_SILENCE;
    if (onSellerSilence !== undefined) {
      if (
        overrides.onSellerSilence !== undefined &&
        overrides.onSellerSilence !== onSellerSilence
      ) {
        return refuse('ON_SELLER_SILENCE', `contradicts DISPUTE_POLICY_JSON's onSellerSilence`);
      }
      overrides = { ...overrides, onSellerSilence };
    }
    try {
      return { ...config, DISPUTE_POLICY: definePolicy(overrides) };
    } catch (error) {
      const setting =
        config.DISPUTE_POLICY_JSON !== undefined ? 'DISPUTE_POLICY_JSON' : 'ON_SELLER_SILENCE';
      return refuse(setting, error instanceof Error ? error.message : String(error));
    }
  });

/**
 * The policy overrides an operator wrote, or why they are refused. Unknown names are refused: a
 * typo would otherwise silently keep the default.
 */
function policyOverrides(json: string): Partial<DisputePolicy> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'must be a JSON object of dispute policy settings';
  }
  const unknown = Object.keys(parsed).filter((key) => !Object.hasOwn(DEFAULT_POLICY, key));
  if (unknown.length) return `unknown policy setting ${unknown.join(', ')}`;
  return parsed as Partial<DisputePolicy>;
}

export type AppConfig = z.infer<typeof configSchema>;

/** A configuration error whose message is one line naming the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function validateConfig(env: Record<string, unknown>): AppConfig {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const setting = issue.path.join('.') || 'configuration';
  const name = issue.path.length ? String(issue.path[0]) : undefined;
  const given = name === undefined ? undefined : shown(name, env[name]);
  throw new ConfigError(
    `Invalid setting ${setting}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`,
  );
}

/** Settings whose value is a secret: an error names them but never repeats the value. */
const SECRET_SETTINGS = new Set(['JWT_SECRET', 'ANALYTICS_PSEUDONYM_KEY', 'METRICS_TOKEN']);
/** URL settings that may carry credentials (`user:password@`): shown with the password masked. */
const URL_SETTINGS = new Set(['DATABASE_URL', 'KURRENTDB_URL', 'NATS_URL', 'JWT_JWKS_URL']);

/** A setting's value as an error message may show it. */
function shown(name: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (SECRET_SETTINGS.has(name)) return `<${String(value).length} characters, not shown>`;
  if (URL_SETTINGS.has(name) && typeof value === 'string')
    return value.replace(/(\/\/[^:/@\s,]*:)[^@/\s,]*@/g, '$1***@');
  return value;
}

/** Where the shared SQL database lives in each mode (docs/architecture.md#running-modes). */
export function sqlConnectionOptionsFrom(
  config: AppConfig,
): import('./database').SqlConnectionOptions {
  switch (config.EVENT_STORE) {
    case 'postgres':
      return {
        kind: 'postgres',
        url: config.DATABASE_URL as string,
        timeouts: postgresTimeoutsFrom(config),
      };
    case 'pglite':
      return { kind: 'pglite', dataDir: config.PGLITE_DATA_DIR };
    // Events in KurrentDB; read models, checkpoints and deadlines in PostgreSQL, or PGlite without it.
    case 'kurrentdb':
      return config.DATABASE_URL
        ? { kind: 'postgres', url: config.DATABASE_URL, timeouts: postgresTimeoutsFrom(config) }
        : { kind: 'pglite', dataDir: config.PGLITE_DATA_DIR };
    case 'memory':
      return { kind: 'pglite', dataDir: 'memory://' };
  }
}

/** The `DATABASE_*` timeouts and pool size as the connection takes them. */
export function postgresTimeoutsFrom(config: AppConfig): import('./database').PostgresTimeouts {
  const statementTimeoutMs = config.DATABASE_STATEMENT_TIMEOUT_MS;
  return {
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    statementTimeoutMs,
    queryTimeoutMs:
      config.DATABASE_QUERY_TIMEOUT_MS ?? (statementTimeoutMs > 0 ? statementTimeoutMs + 2_000 : 0),
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    keepAliveMs: config.DATABASE_KEEPALIVE_MS,
  };
}
