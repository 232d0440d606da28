import { DEFAULT_POLICY } from '@arbiter/disputes';
import { ConfigError, sqlConnectionOptionsFrom, validateConfig } from './config';

function refusal(env: Record<string, unknown>): string {
  try {
    validateConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

const PSEUDONYM_KEY = 'k'.repeat(32);
const EVIDENCE_URL_SECRET = 'e'.repeat(32);
const PERSONAL_DATA_KEY = Buffer.alloc(32, 7).toString('base64');
/** Read when the audit log starts, not by the configuration: a path is enough here. */
const AUDIT_SIGNING_KEY = '/run/secrets/audit-signing-key.pem';

describe('validateConfig', () => {
  it('gives every setting a development default', () => {
    const config = validateConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      EVENT_STORE: 'pglite',
      PORT: 3000,
      EVIDENCE_DIR: './data/evidence',
      EVIDENCE_MAX_BYTES: 20 * 1024 * 1024,
      EVIDENCE_QUOTA_FILES_PER_DISPUTE: 50,
      EVIDENCE_QUOTA_BYTES_PER_DISPUTE: 250 * 1024 * 1024,
      EVIDENCE_QUOTA_FILES_PER_USER: 200,
      EVIDENCE_QUOTA_BYTES_PER_USER: 1024 * 1024 * 1024,
      EVIDENCE_QUOTA_USER_WINDOW_HOURS: 24,
      RATE_LIMIT_PER_MINUTE: 300,
      GRAPHQL_MAX_DEPTH: 10,
      GRAPHQL_MAX_COMPLEXITY: 1000,
      GRAPHQL_MAX_ALIASES: 15,
      GRAPHQL_MAX_DIRECTIVES: 20,
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: 60,
      RATE_LIMIT_FAILED_PER_MINUTE: 60,
      TRUST_PROXY: false,
      JWT_CLOCK_SKEW_SECONDS: 5,
      REQUEST_BODY_LIMIT: '1mb',
      METRICS_ENABLED: true,
    });
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('reads TRUST_PROXY as express does: off, on, a hop count or addresses', () => {
    expect(validateConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(false);
    expect(validateConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(validateConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(validateConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe(
      'loopback, 10.0.0.0/8',
    );
    expect(() => validateConfig({ TRUST_PROXY: 'every$thing' })).toThrow(/TRUST_PROXY/);
  });

  it('coerces numbers and booleans and treats empty values as unset', () => {
    const config = validateConfig({
      PORT: '8080',
      EVIDENCE_MAX_BYTES: '1024',
      METRICS_ENABLED: 'false',
      JWT_ISSUER: '',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      EVIDENCE_MAX_BYTES: 1024,
      METRICS_ENABLED: false,
      JWT_ISSUER: undefined,
    });
  });

  it('names the setting and the given value in one line', () => {
    const message = refusal({ PORT: 'eighty' });
    expect(message).toMatch(/^Invalid setting PORT: .*\(got "eighty"\)$/);
    expect(message).not.toContain('\n');
  });

  it('requires DATABASE_URL for the postgres store', () => {
    expect(refusal({ EVENT_STORE: 'postgres' })).toBe(
      'Invalid setting DATABASE_URL: is required when EVENT_STORE=postgres',
    );
  });

  it('bounds every PostgreSQL wait by default, and derives the client timeout from the server one', () => {
    const url = 'postgres://db.internal:5432/arbiter';
    expect(
      sqlConnectionOptionsFrom(validateConfig({ EVENT_STORE: 'postgres', DATABASE_URL: url })),
    ).toEqual({
      kind: 'postgres',
      url,
      timeouts: {
        poolSize: 20,
        connectTimeoutMs: 3_000,
        statementTimeoutMs: 5_000,
        queryTimeoutMs: 7_000,
        idleInTransactionTimeoutMs: 60_000,
        keepAliveMs: 10_000,
      },
    });
    const tuned = validateConfig({
      EVENT_STORE: 'postgres',
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '5',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_KEEPALIVE_MS: '0',
    });
    expect(sqlConnectionOptionsFrom(tuned)).toMatchObject({
      timeouts: { poolSize: 5, statementTimeoutMs: 2_000, queryTimeoutMs: 4_000, keepAliveMs: 0 },
    });
    const untimed = validateConfig({
      EVENT_STORE: 'postgres',
      DATABASE_URL: url,
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
    });
    expect(sqlConnectionOptionsFrom(untimed)).toMatchObject({
      timeouts: { statementTimeoutMs: 0, queryTimeoutMs: 0 },
    });
  });

  it('refuses a client-side query timeout that would cut off statements the server still runs', () => {
    expect(
      refusal({ DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_QUERY_TIMEOUT_MS: '4000' }),
    ).toBe(
      'Invalid setting DATABASE_QUERY_TIMEOUT_MS: must be longer than DATABASE_STATEMENT_TIMEOUT_MS (5000) (got "4000")',
    );
    expect(
      refusal({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_QUERY_TIMEOUT_MS: '4000' }),
    ).toMatch(/^Invalid setting DATABASE_QUERY_TIMEOUT_MS: needs DATABASE_STATEMENT_TIMEOUT_MS/);
    expect(refusal({ DATABASE_POOL_SIZE: '0' })).toMatch(/^Invalid setting DATABASE_POOL_SIZE/);
    expect(refusal({ DATABASE_CONNECT_TIMEOUT_MS: '-1' })).toMatch(
      /^Invalid setting DATABASE_CONNECT_TIMEOUT_MS/,
    );
  });

  it('checks the OpenTelemetry settings the SDK would otherwise replace by its defaults without a word', () => {
    expect(() => validateConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'notaurl' })).toThrow(
      /^Invalid setting OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL/,
    );
    expect(() =>
      validateConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector/v1/traces' }),
    ).toThrow(/^Invalid setting OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http/);
    expect(() => validateConfig({ OTEL_TRACES_SAMPLER: 'bogus' })).toThrow(
      /^Invalid setting OTEL_TRACES_SAMPLER/,
    );
    expect(() => validateConfig({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(
      /^Invalid setting OTEL_TRACES_SAMPLER_ARG/,
    );
    expect(() => validateConfig({ OTEL_SDK_DISABLED: 'yes' })).toThrow(
      /^Invalid setting OTEL_SDK_DISABLED/,
    );
    expect(
      validateConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_SDK_DISABLED: '',
      }),
    ).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
    });
  });

  it('drains within 25 s by default, and refuses a delay that leaves no time to drain', () => {
    const config = validateConfig({});
    expect([config.SHUTDOWN_TIMEOUT_MS, config.SHUTDOWN_DELAY_MS]).toEqual([25_000, 0]);
    expect(refusal({ SHUTDOWN_TIMEOUT_MS: '5000', SHUTDOWN_DELAY_MS: '5000' })).toBe(
      'Invalid setting SHUTDOWN_DELAY_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (5000) (got "5000")',
    );
    expect(refusal({ SHUTDOWN_TIMEOUT_MS: '0' })).toMatch(/^Invalid setting SHUTDOWN_TIMEOUT_MS/);
  });

  it('requires a JWT secret or a JWKS URL in production', () => {
    expect(refusal({ NODE_ENV: 'production' })).toMatch(
      /^Invalid setting JWT_SECRET: is required in production/,
    );
    expect(
      validateConfig({
        NODE_ENV: 'production',
        JWT_JWKS_URL: 'https://idp.example/jwks.json',
        JWT_ISSUER: 'https://idp.example/',
        JWT_AUDIENCE: 'arbiter',
        ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
        EVIDENCE_URL_SECRET,
        PERSONAL_DATA_KEY,
        AUDIT_SIGNING_KEY,
      }).JWT_JWKS_URL,
    ).toBe('https://idp.example/jwks.json');
    expect(
      validateConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(32),
        ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
        EVIDENCE_URL_SECRET,
        PERSONAL_DATA_KEY,
        AUDIT_SIGNING_KEY,
      }).JWT_SECRET,
    ).toHaveLength(32);
  });

  it('requires a pseudonym key of 32 characters or more in production', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(refusal(production)).toMatch(
      /^Invalid setting ANALYTICS_PSEUDONYM_KEY: is required in production/,
    );
    expect(refusal({ ANALYTICS_PSEUDONYM_KEY: 'short' })).toMatch(
      /^Invalid setting ANALYTICS_PSEUDONYM_KEY: must be at least 32 characters/,
    );
    expect(validateConfig({}).ANALYTICS_PSEUDONYM_KEY).toBeUndefined();
  });

  it('sends no stack traces unless GRAPHQL_DEBUG=true, and never in production', () => {
    expect(validateConfig({}).GRAPHQL_DEBUG).toBe(false);
    expect(validateConfig({ NODE_ENV: 'development' }).GRAPHQL_DEBUG).toBe(false);
    expect(validateConfig({ GRAPHQL_DEBUG: 'true' }).GRAPHQL_DEBUG).toBe(true);
    expect(validateConfig({ GRAPHQL_DEBUG: 'false' }).GRAPHQL_DEBUG).toBe(false);
    expect(refusal({ GRAPHQL_DEBUG: 'yes' })).toMatch(/^Invalid setting GRAPHQL_DEBUG/);
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
      EVIDENCE_URL_SECRET,
      PERSONAL_DATA_KEY,
      AUDIT_SIGNING_KEY,
    };
    expect(validateConfig(production).GRAPHQL_DEBUG).toBe(false);
    expect(refusal({ ...production, GRAPHQL_DEBUG: 'true' })).toMatch(
      /^Invalid setting GRAPHQL_DEBUG: must not be true in production/,
    );
  });

  it('requires a key for evidence links in production, and bounds their lifetime', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
    };
    expect(refusal(production)).toMatch(
      /^Invalid setting EVIDENCE_URL_SECRET: is required in production/,
    );
    expect(refusal({ EVIDENCE_URL_SECRET: 'short-evidence-key' })).toBe(
      'Invalid setting EVIDENCE_URL_SECRET: must be at least 32 characters (got "<18 characters, not shown>")',
    );
    expect(
      validateConfig({ ...production, EVIDENCE_URL_SECRET, PERSONAL_DATA_KEY, AUDIT_SIGNING_KEY }),
    ).toMatchObject({
      EVIDENCE_URL_SECRET,
      EVIDENCE_URL_TTL_SECONDS: 300,
    });
    expect(validateConfig({ EVIDENCE_URL_TTL_SECONDS: '60' }).EVIDENCE_URL_TTL_SECONDS).toBe(60);
    expect(refusal({ EVIDENCE_URL_TTL_SECONDS: '86400' })).toMatch(
      /^Invalid setting EVIDENCE_URL_TTL_SECONDS/,
    );
    expect(validateConfig({}).EVIDENCE_URL_BASE).toBeUndefined();
    expect(
      validateConfig({ EVIDENCE_URL_BASE: 'https://api.example.com/' }).EVIDENCE_URL_BASE,
    ).toBe('https://api.example.com');
    expect(refusal({ EVIDENCE_URL_BASE: 'ftp://files' })).toMatch(
      /^Invalid setting EVIDENCE_URL_BASE/,
    );
  });

  it('never repeats a secret in an error, and masks passwords in URLs', () => {
    expect(refusal({ ANALYTICS_PSEUDONYM_KEY: 'my-real-key' })).toBe(
      'Invalid setting ANALYTICS_PSEUDONYM_KEY: must be at least 32 characters (got "<11 characters, not shown>")',
    );
    expect(refusal({ JWT_SECRET: 'short-secret' })).not.toContain('short-secret');
    expect(refusal({ NATS_URL: 'http://user:hunter2@x:1' })).toMatch(/user:\*\*\*@x:1/);
    expect(refusal({ DATABASE_URL: 'mysql://app:hunter2@db/x' })).not.toContain('hunter2');
  });

  it('reads the NATS settings, off by default', () => {
    const defaults = validateConfig({});
    expect(defaults.NATS_URL).toBeUndefined();
    expect(defaults).toMatchObject({
      NATS_STREAM: 'ARBITER_EVENTS',
      NATS_SUBJECT_PREFIX: 'arbiter.events',
      NATS_DUPLICATE_WINDOW_SECONDS: 600,
    });
    expect(validateConfig({ NATS_URL: 'nats://a:4222,nats://b:4222' }).NATS_URL).toBe(
      'nats://a:4222,nats://b:4222',
    );
    expect(validateConfig({ NATS_URL: 'tls://u:p@nats.internal:4222' }).NATS_URL).toBeDefined();
    expect(validateConfig({ NATS_URL: 'localhost' }).NATS_URL).toBe('localhost');
    for (const bad of ['nats://a b', 'http://x:1', 'nats://h:port', 'nats://h:1/path'])
      expect(refusal({ NATS_URL: bad })).toMatch(/^Invalid setting NATS_URL/);
    expect(refusal({ NATS_SUBJECT_PREFIX: 'events.>' })).toMatch(
      /^Invalid setting NATS_SUBJECT_PREFIX/,
    );
  });

  it('requires JWT_AUDIENCE and JWT_ISSUER with a JWKS URL in production', () => {
    // A shared identity provider signs tokens for other apps too; without these they would pass here.
    const jwks = { NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example/jwks.json' };
    expect(refusal(jwks)).toBe(
      'Invalid setting JWT_AUDIENCE: is required in production when JWT_JWKS_URL is set',
    );
    expect(refusal({ ...jwks, JWT_AUDIENCE: 'arbiter' })).toBe(
      'Invalid setting JWT_ISSUER: is required in production when JWT_JWKS_URL is set',
    );
    expect(validateConfig({ ...jwks, NODE_ENV: 'development' }).JWT_AUDIENCE).toBeUndefined();
  });

  it('refuses a short secret, a non-http JWKS URL and bad sizes', () => {
    expect(refusal({ JWT_SECRET: 'short' })).toMatch(
      /^Invalid setting JWT_SECRET: must be at least 32 characters/,
    );
    expect(refusal({ JWT_JWKS_URL: 'ftp://idp/jwks' })).toMatch(/^Invalid setting JWT_JWKS_URL/);
    expect(refusal({ REQUEST_BODY_LIMIT: 'lots' })).toMatch(
      /^Invalid setting REQUEST_BODY_LIMIT: must be a size/,
    );
    expect(refusal({ EVIDENCE_MAX_BYTES: '-1' })).toMatch(/^Invalid setting EVIDENCE_MAX_BYTES/);
    expect(refusal({ EVIDENCE_QUOTA_FILES_PER_DISPUTE: '0' })).toMatch(
      /^Invalid setting EVIDENCE_QUOTA_FILES_PER_DISPUTE/,
    );
    expect(refusal({ EVIDENCE_QUOTA_USER_WINDOW_HOURS: 'a day' })).toMatch(
      /^Invalid setting EVIDENCE_QUOTA_USER_WINDOW_HOURS/,
    );
    expect(refusal({ METRICS_ENABLED: 'maybe' })).toMatch(/^Invalid setting METRICS_ENABLED/);
  });

  it('bounds each live-list subscriber: 500 changed disputes waiting, cut off after 10 s stalled', () => {
    expect(validateConfig({})).toMatchObject({ LIVE_LIST_BUFFER: 500, LIVE_LIST_STALL_MS: 10_000 });
    expect(validateConfig({ LIVE_LIST_BUFFER: '20', LIVE_LIST_STALL_MS: '250' })).toMatchObject({
      LIVE_LIST_BUFFER: 20,
      LIVE_LIST_STALL_MS: 250,
    });
    expect(refusal({ LIVE_LIST_BUFFER: '0' })).toMatch(/^Invalid setting LIVE_LIST_BUFFER/);
    expect(refusal({ LIVE_LIST_STALL_MS: 'never' })).toMatch(/^Invalid setting LIVE_LIST_STALL_MS/);
  });

  it('keeps 2,000 folded streams of 100,000 events in all by default; 0 streams turns it off', () => {
    expect(validateConfig({})).toMatchObject({
      STATE_CACHE_STREAMS: 2_000,
      STATE_CACHE_EVENTS: 100_000,
    });
    expect(validateConfig({ STATE_CACHE_STREAMS: '0' })).toMatchObject({ STATE_CACHE_STREAMS: 0 });
    expect(refusal({ STATE_CACHE_STREAMS: '-1' })).toMatch(/^Invalid setting STATE_CACHE_STREAMS/);
    expect(refusal({ STATE_CACHE_EVENTS: '0' })).toMatch(/^Invalid setting STATE_CACHE_EVENTS/);
  });

  it('applies the dispute policy settings over the domain defaults', () => {
    expect(validateConfig({}).DISPUTE_POLICY).toEqual(DEFAULT_POLICY);
    expect(validateConfig({ ON_SELLER_SILENCE: 'escalate' }).DISPUTE_POLICY).toEqual({
      ...DEFAULT_POLICY,
      onSellerSilence: 'escalate',
    });
    const policy = validateConfig({
      DISPUTE_POLICY_JSON: '{"sellerResponseDays":15,"allowReopenAfterCancel":true}',
      ON_SELLER_SILENCE: 'escalate',
    }).DISPUTE_POLICY;
    expect(policy).toMatchObject({
      sellerResponseDays: 15,
      allowReopenAfterCancel: true,
      onSellerSilence: 'escalate',
      negotiationDays: DEFAULT_POLICY.negotiationDays,
    });
  });

  it('refuses a bad dispute policy in one line, by the domain’s rules', () => {
    expect(refusal({ ON_SELLER_SILENCE: 'ignore' })).toMatch(
      /^Invalid setting ON_SELLER_SILENCE: .*\(got "ignore"\)$/,
    );
    expect(refusal({ DISPUTE_POLICY_JSON: '{"sellerResponseDays":0}' })).toBe(
      'Invalid setting DISPUTE_POLICY_JSON: sellerResponseDays must be an integer ≥ 1 (days) or an ISO-8601 duration such as "P2D" or "PT10M" (got "{\\"sellerResponseDays\\":0}")',
    );
    expect(refusal({ DISPUTE_POLICY_JSON: '{"onSellerSilence":"refund"}' })).toMatch(
      /^Invalid setting DISPUTE_POLICY_JSON: onSellerSilence must be one of accept-buyer-proposal, escalate/,
    );
    expect(refusal({ DISPUTE_POLICY_JSON: '{"sellerResponseDay":7}' })).toMatch(
      /^Invalid setting DISPUTE_POLICY_JSON: unknown policy setting sellerResponseDay /,
    );
    expect(refusal({ DISPUTE_POLICY_JSON: '[5]' })).toMatch(
      /^Invalid setting DISPUTE_POLICY_JSON: must be a JSON object/,
    );
    expect(
      refusal({
        DISPUTE_POLICY_JSON: '{"onSellerSilence":"escalate"}',
        ON_SELLER_SILENCE: 'accept-buyer-proposal',
      }),
    ).toMatch(/^Invalid setting ON_SELLER_SILENCE: contradicts DISPUTE_POLICY_JSON/);
  });

  it('takes ISO-8601 durations for staging, refusing months and years in one line', () => {
    const policy = validateConfig({
      DISPUTE_POLICY_JSON: '{"sellerResponseDays":"PT10M","negotiationDays":"P2D"}',
    }).DISPUTE_POLICY;
    expect(policy.sellerResponseDays * 86_400_000).toBeCloseTo(600_000, 6);
    expect(policy.negotiationDays).toBe(2);
    expect(refusal({ DISPUTE_POLICY_JSON: '{"sellerResponseDays":"P1M"}' })).toMatch(
      /^Invalid setting DISPUTE_POLICY_JSON: sellerResponseDays: P1M counts weeks, months or years, which have no fixed length here/,
    );
  });

  it('requires a 32-byte personal data master key in production, never showing it', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
      EVIDENCE_URL_SECRET,
      AUDIT_SIGNING_KEY,
    };
    expect(refusal(production)).toMatch(
      /^Invalid setting PERSONAL_DATA_KEY: is required in production/,
    );
    expect(refusal({ PERSONAL_DATA_KEY: Buffer.alloc(16).toString('base64') })).toBe(
      'Invalid setting PERSONAL_DATA_KEY: must be 32 bytes in base64 (openssl rand -base64 32) (got "<24 characters, not shown>")',
    );
    expect(validateConfig({ ...production, PERSONAL_DATA_KEY }).PERSONAL_DATA_KEY).toBe(
      PERSONAL_DATA_KEY,
    );
    expect(validateConfig({}).PERSONAL_DATA_KEY).toBeUndefined();
  });

  it('requires an audit signing key in production and reads the digest interval as a duration', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ANALYTICS_PSEUDONYM_KEY: PSEUDONYM_KEY,
      EVIDENCE_URL_SECRET,
      PERSONAL_DATA_KEY,
    };
    expect(refusal(production)).toMatch(
      /^Invalid setting AUDIT_SIGNING_KEY: is required in production/,
    );
    expect(validateConfig({ ...production, AUDIT_SIGNING_KEY }).AUDIT_SIGNING_KEY).toBe(
      AUDIT_SIGNING_KEY,
    );
    expect(validateConfig({}).AUDIT_DIGEST_INTERVAL_MS).toBe(300_000);
    expect(validateConfig({ AUDIT_DIGEST_INTERVAL: 'PT30S' }).AUDIT_DIGEST_INTERVAL_MS).toBe(
      30_000,
    );
    expect(validateConfig({ AUDIT_DIGEST_INTERVAL: '60000' }).AUDIT_DIGEST_INTERVAL_MS).toBe(
      60_000,
    );
    expect(refusal({ AUDIT_DIGEST_INTERVAL: 'P1M' })).toMatch(
      /^Invalid setting AUDIT_DIGEST_INTERVAL: P1M counts weeks, months or years/,
    );
    expect(refusal({ AUDIT_DIGEST_INTERVAL: 'PT0.5S' })).toMatch(
      /^Invalid setting AUDIT_DIGEST_INTERVAL: must be at least one second/,
    );
  });

  it('turns test clocks on outside production only, and refuses them in production', () => {
    expect(validateConfig({}).TEST_CLOCKS).toBe(true);
    expect(validateConfig({ TEST_CLOCKS_ENABLED: 'false' }).TEST_CLOCKS).toBe(false);
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      ANALYTICS_PSEUDONYM_KEY: 'k'.repeat(32),
      EVIDENCE_URL_SECRET,
      PERSONAL_DATA_KEY,
      AUDIT_SIGNING_KEY,
    };
    expect(validateConfig(production).TEST_CLOCKS).toBe(false);
    expect(refusal({ ...production, TEST_CLOCKS_ENABLED: 'true' })).toMatch(
      /^Invalid setting TEST_CLOCKS_ENABLED: is refused in production/,
    );
  });
});
