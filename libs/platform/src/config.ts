import { z } from 'zod';

/**
 * Every setting Arbiter reads from the environment, validated once at start-up. Only this file
 * and the apps' main.ts read `process.env`; libs receive plain options (STYLE.md rule 10).
 */
const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

export const configSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
    EVENT_STORE: z.preprocess(emptyAsUndefined, z.enum(['pglite', 'postgres', 'memory']).default('pglite')),
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
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
  })
  .superRefine((config, ctx) => {
    if (config.EVENT_STORE === 'postgres' && !config.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'is required when EVENT_STORE=postgres',
      });
    }
  });

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
  const given = issue.path.length ? env[String(issue.path[0])] : undefined;
  throw new ConfigError(
    `Invalid setting ${setting}: ${issue.message}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`,
  );
}

/** Where the shared SQL database lives for each running mode (ARCHITECTURE.md, "Running modes"). */
export function sqlConnectionOptionsFrom(config: AppConfig): import('./database').SqlConnectionOptions {
  switch (config.EVENT_STORE) {
    case 'postgres':
      return { kind: 'postgres', url: config.DATABASE_URL as string };
    case 'pglite':
      return { kind: 'pglite', dataDir: config.PGLITE_DATA_DIR };
    case 'memory':
      return { kind: 'pglite', dataDir: 'memory://' };
  }
}
