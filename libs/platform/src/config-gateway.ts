import { z } from 'zod';
import { emptyAsUndefined } from './config-values';

/** The gateway's edge: authentication, evidence uploads and quotas, rate and request limits. */
export const gatewaySettings = {
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
  /**
   * Test clocks (staging): a platform token may create a clock, place orders under it and advance
   * it, so deadlines can be exercised in minutes. Default: on unless NODE_ENV=production; `true`
   * in production is refused at start-up (a clock that moves time must never reach real disputes).
   */
  TEST_CLOCKS_ENABLED: z.preprocess(emptyAsUndefined, z.enum(['true', 'false']).optional()),
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
   * HMAC key of evidence download links (`StoredFile.url`): whoever knows it can mint a link to
   * any file, so it is a secret of its own, required in production (a development default else).
   * Every gateway behind one address must share it, or a link minted by one fails on another.
   */
  EVIDENCE_URL_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  /** How long an evidence download link works: long enough to load a page, short if it leaks. */
  EVIDENCE_URL_TTL_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(30).max(3600).default(300),
  ),
  /**
   * The gateway's public origin (`https://api.example.com`) for absolute download links; without
   * it `StoredFile.url` is a path on the API's own origin (`/evidence/...`).
   */
  EVIDENCE_URL_BASE: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .optional()
      .transform((value) => value?.replace(/\/+$/, '')),
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
  /**
   * Stack traces (with the server's file paths) in GraphQL error answers, for debugging a local
   * gateway. Off in every environment, development included, unless set; refused in production.
   */
  GRAPHQL_DEBUG: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
  ),
  GRAPHQL_MAX_DEPTH: z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(10)),
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
   * Changed disputes waiting for one live-list subscriber (`myDisputesUpdated`, …), at most; the
   * subscriber's reading of the log pauses while that many wait.
   */
  LIVE_LIST_BUFFER: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(100_000).default(500),
  ),
  /**
   * A live-list subscriber whose buffer is full and who takes nothing for this long is cut off
   * (SUBSCRIBER_TOO_SLOW, with the cursor to resume after).
   */
  LIVE_LIST_STALL_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(10).max(600_000).default(10_000),
  ),
};
