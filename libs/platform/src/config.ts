import {
  DEFAULT_POLICY,
  definePolicy,
  parseIsoDuration,
  type PolicyOverrides,
} from '@arbiter/disputes';
import { z } from 'zod';
import { gatewaySettings } from './config-gateway';
import { storageSettings } from './config-storage';
import { tracingSettings } from './config-tracing';
import { workerSettings } from './config-workers';

/**
 * Every setting Arbiter reads from the environment, validated once at start-up. Only this file
 * and the apps' main.ts read `process.env`; libs receive plain options
 * (docs/architecture.md#conventions). The settings are declared by area in config-storage.ts, config-gateway.ts and config-workers.ts;
 * the rules that span settings are here.
 */
export const configSchema = z
  .object({
    ...storageSettings,
    ...gatewaySettings,
    ...workerSettings,
    ...tracingSettings,
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
    // Refused rather than warned about: a warning scrolls by in the logs while every client error
    // shows the server's source paths and code to whoever sends a bad query.
    if (config.NODE_ENV === 'production' && config.GRAPHQL_DEBUG) {
      ctx.addIssue({
        code: 'custom',
        path: ['GRAPHQL_DEBUG'],
        message: 'must not be true in production (stack traces would reach clients)',
      });
    }
    if (config.NODE_ENV === 'production' && !config.ANALYTICS_PSEUDONYM_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['ANALYTICS_PSEUDONYM_KEY'],
        message: 'is required in production (analysts would otherwise see guessable pseudonyms)',
      });
    }
    if (config.NODE_ENV === 'production' && !config.EVIDENCE_URL_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['EVIDENCE_URL_SECRET'],
        message: 'is required in production (anyone could mint evidence download links otherwise)',
      });
    }
    if (config.NODE_ENV === 'production' && !config.PERSONAL_DATA_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['PERSONAL_DATA_KEY'],
        message: "is required in production (the master key of every person's data key)",
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
    if (config.NODE_ENV === 'production' && config.TEST_CLOCKS_ENABLED === 'true') {
      ctx.addIssue({
        code: 'custom',
        path: ['TEST_CLOCKS_ENABLED'],
        message: 'is refused in production (test clocks move time; staging only)',
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
    if (config.SHUTDOWN_DELAY_MS >= config.SHUTDOWN_TIMEOUT_MS) {
      // The delay is spent inside the timeout: nothing would be left to drain in.
      ctx.addIssue({
        code: 'custom',
        path: ['SHUTDOWN_DELAY_MS'],
        message: `must be shorter than SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS})`,
      });
    }
    if (config.NODE_ENV === 'production' && !config.AUDIT_SIGNING_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUDIT_SIGNING_KEY'],
        message:
          'is required in production (audit digests would be signed by a development key): an Ed25519 PKCS8 PEM or its path, e.g. from `openssl genpkey -algorithm ed25519`',
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
    let overrides: PolicyOverrides = {};
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
    const interval = /^\d+$/.test(config.AUDIT_DIGEST_INTERVAL)
      ? Number(config.AUDIT_DIGEST_INTERVAL)
      : parseIsoDuration(config.AUDIT_DIGEST_INTERVAL);
    if (typeof interval === 'string') return refuse('AUDIT_DIGEST_INTERVAL', interval);
    if (interval < 1_000) return refuse('AUDIT_DIGEST_INTERVAL', 'must be at least one second');
    const AUDIT_DIGEST_INTERVAL_MS = interval;
    // Resolved here so that every reader asks one boolean, never NODE_ENV again.
    const TEST_CLOCKS =
      config.TEST_CLOCKS_ENABLED === undefined
        ? config.NODE_ENV !== 'production'
        : config.TEST_CLOCKS_ENABLED === 'true';
    try {
      return {
        ...config,
        TEST_CLOCKS,
        AUDIT_DIGEST_INTERVAL_MS,
        DISPUTE_POLICY: definePolicy(overrides),
      };
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
function policyOverrides(json: string): PolicyOverrides | string {
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
  return parsed as PolicyOverrides;
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
const SECRET_SETTINGS = new Set([
  'JWT_SECRET',
  'ANALYTICS_PSEUDONYM_KEY',
  'METRICS_TOKEN',
  'EVIDENCE_URL_SECRET',
  'PERSONAL_DATA_KEY',
  'AUDIT_SIGNING_KEY',
]);
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
      return { kind: 'pglite', dataDir: config.PGLITE_DATA_DIR, thread: config.PGLITE_THREAD };
    // Events in KurrentDB; read models, checkpoints and deadlines in PostgreSQL, or PGlite without it.
    case 'kurrentdb':
      return config.DATABASE_URL
        ? { kind: 'postgres', url: config.DATABASE_URL, timeouts: postgresTimeoutsFrom(config) }
        : { kind: 'pglite', dataDir: config.PGLITE_DATA_DIR, thread: config.PGLITE_THREAD };
    case 'memory':
      return { kind: 'pglite', dataDir: 'memory://', thread: config.PGLITE_THREAD };
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
