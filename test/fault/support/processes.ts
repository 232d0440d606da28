import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The real gateway and worker as child processes, started from their `main.ts` so a test can kill
 * one with SIGKILL and start it again on the same port and database. The sources are transpiled
 * file by file like `ts-node --transpile-only` does, with the output cached on disk
 * (transpile-cache.cjs): a first start takes as long as ts-node's, every restart after it about a
 * third (measured: 15 s against 6 s to load the gateway's modules on a busy 2-core machine), and
 * no build is needed.
 */

const ROOT = resolve(__dirname, '../../..');
const TRANSPILE_CACHE = join(__dirname, 'transpile-cache.cjs');
const ENTRY = {
  gateway: join(ROOT, 'apps/gateway/src/main.ts'),
  worker: join(ROOT, 'apps/worker/src/main.ts'),
} as const;

export type AppKind = keyof typeof ENTRY;

export const FAULT_JWT_SECRET = 'fault-secret-that-is-long-enough-for-hs256!';
const FAULT_PSEUDONYM_KEY = 'fault-pseudonym-key-that-is-long-enough!!';
export const FAULT_PERSONAL_DATA_KEY = Buffer.alloc(32, 'fault-personal-data').toString('base64');

/** Lines of a child's output kept for the failure report. */
const KEEP_LINES = 200;

/** Every child any test started, so none outlives a failed test (or Jest itself). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface AppOptions {
  /** A name for the figures and the failure report, e.g. `worker-a`. */
  name: string;
  /** Settings as environment variables (EVENT_STORE, DATABASE_URL, WORKERS, …). */
  settings: Record<string, string>;
  port?: number;
  /** More to say when the app is not ready in time (e.g. what its database is doing). */
  diagnose?: () => Promise<string>;
}

/**
 * One app (gateway or worker) that can be killed and started again with the same settings and
 * port. `pid` is the running process's (the node process itself: nothing sits between).
 */
export class ChildApp {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** How the last run of the process ended (undefined while it runs). */
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly output: string[] = [];
  /** How many times the process was started. */
  starts = 0;

  private constructor(
    readonly kind: AppKind,
    private readonly options: AppOptions & { port: number },
    private readonly evidenceDir: string,
  ) {
    this.name = options.name;
    this.port = options.port;
    this.url = `http://127.0.0.1:${options.port}`;
  }

  static async create(kind: AppKind, options: AppOptions): Promise<ChildApp> {
    const port = options.port ?? (await freePort());
    const evidenceDir = await mkdtemp(join(tmpdir(), 'arbiter-fault-evidence-'));
    return new ChildApp(kind, { ...options, port }, evidenceDir);
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  /** Starts the process (it must not be running) and waits until `/health` answers 200. */
  async start(readyWithinMs = 180_000): Promise<void> {
    if (this.pid !== undefined) throw new Error(`${this.name} is already running`);
    trace(`${this.name}: starting`);
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '-r',
        TRANSPILE_CACHE,
        '-r',
        'tsconfig-paths/register',
        ENTRY[this.kind],
      ],
      {
        cwd: ROOT,
        // Only what the app needs: the test process's own DATABASE_URL (the shared CI database)
        // must not leak into an app meant for a database of its own.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          TMPDIR: tmpdir(),
          TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
          NODE_ENV: 'test',
          LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
          HOST: '127.0.0.1',
          PORT: String(this.port),
          JWT_SECRET: FAULT_JWT_SECRET,
          ANALYTICS_PSEUDONYM_KEY: FAULT_PSEUDONYM_KEY,
          // One master key for every process of a run: they share the person keys' table.
          PERSONAL_DATA_KEY: FAULT_PERSONAL_DATA_KEY,
          EVIDENCE_DIR: this.evidenceDir,
          RATE_LIMIT_PER_MINUTE: '1000000',
          RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
          RATE_LIMIT_FAILED_PER_MINUTE: '1000000',
          ...this.options.settings,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.starts++;
    running.add(child);
    this.exitStatus = undefined;
    this.exited = once(child, 'exit').then(([code, signal]) => {
      this.exitStatus = { code, signal };
      running.delete(child);
    });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.output.push(`[${this.name}#${this.starts}] ${line}`);
        if (this.output.length > KEEP_LINES) this.output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await this.waitReady(readyWithinMs);
    trace(`${this.name}: ready after ${Date.now() - started} ms (pid ${child.pid})`);
  }

  /** Polls `/health` until it answers 200; fails when the process exits or time runs out. */
  async waitReady(withinMs: number): Promise<void> {
    const child = this.child;
    const deadline = Date.now() + withinMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!child || child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${this.name} exited before it was ready:\n${this.log()}`);
      const health = await this.health(2_000);
      if (health?.status === 200) return;
      if (health) last = `${health.status} ${JSON.stringify(health.body)}`;
      await sleep(200);
    }
    const more = await this.options.diagnose?.().catch((error: Error) => error.message);
    throw new Error(
      `${this.name} was not ready within ${withinMs} ms; /health: ${last}\n${more ?? ''}\n${this.log()}`,
    );
  }

  /** `/health`'s status and body, or undefined when it does not answer in time. */
  async health(timeoutMs = 2_000): Promise<{ status: number; body: HealthBody } | undefined> {
    try {
      const response = await fetch(`${this.url}/health`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: (await response.json()) as HealthBody };
    } catch {
      return undefined;
    }
  }

  /** Sends `signal` (SIGKILL by default) and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || this.pid === undefined) return;
    trace(`${this.name}: ${signal}`);
    child.kill(signal);
    await this.exited;
  }

  /** Sends `signal` without waiting; `exit()` waits for the process to end. */
  signal(signal: NodeJS.Signals): void {
    trace(`${this.name}: ${signal}`);
    this.child?.kill(signal);
  }

  /** Resolves with how the process ended, once it has. */
  async exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.exited;
    if (!this.exitStatus) throw new Error(`${this.name} was never started`);
    return this.exitStatus;
  }

  /** Stops the process gracefully (SIGTERM), or kills it when it takes longer than `withinMs`. */
  async stop(withinMs = 20_000): Promise<void> {
    if (this.pid === undefined) return;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), withinMs);
    try {
      await this.kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it runs and removes its evidence directory. */
  async dispose(): Promise<void> {
    await this.kill('SIGKILL');
    await rm(this.evidenceDir, { recursive: true, force: true });
  }

  /** The last lines the process wrote, for a failure report. */
  log(): string {
    return this.output.join('\n');
  }
}

export interface ProjectionHealthEntry {
  state: string;
  status: string;
  checkpoint: string;
  lagEvents: number;
}

export interface HealthBody {
  status: string;
  details?: {
    projections?: { projections?: Record<string, ProjectionHealthEntry> };
  } & Record<string, unknown>;
}

/** The projections as `/health` reports them (empty when it does not answer). */
export async function projectionHealth(
  app: ChildApp,
): Promise<Record<string, ProjectionHealthEntry>> {
  const health = await app.health(5_000);
  return health?.body.details?.projections?.projections ?? {};
}

/**
 * Waits until every projection `app` reports has lag 0 and is active; resolves with how long
 * that took, or fails after `withinMs` with the last reading.
 */
export async function waitForNoLag(app: ChildApp, withinMs: number): Promise<number> {
  const started = Date.now();
  let last: Record<string, ProjectionHealthEntry> = {};
  // `/health` may answer from a reading up to a second old: two readings without lag, over a
  // second apart, mean the projections had caught up with everything written before the wait.
  let firstClear: number | undefined;
  while (Date.now() - started < withinMs) {
    last = await projectionHealth(app);
    const entries = Object.values(last);
    if (entries.length > 0 && entries.every((p) => p.lagEvents === 0 && p.status === 'active')) {
      firstClear ??= Date.now();
      if (Date.now() - firstClear > 1_100) return firstClear - started;
    } else firstClear = undefined;
    await sleep(250);
  }
  throw new Error(
    `projections still lag after ${withinMs} ms: ${JSON.stringify(last)}\n${app.log()}`,
  );
}

/** FAULT_TRACE=1 prints each step as it happens (stderr), for watching a long run. */
export function trace(step: string): void {
  if (process.env.FAULT_TRACE) process.stderr.write(`${new Date().toISOString()} ${step}\n`);
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Kills and disposes every app given, whatever state each is in; for `afterEach`/`afterAll`. */
export async function disposeAll(apps: (ChildApp | undefined)[]): Promise<void> {
  await Promise.all(apps.map((app) => app?.dispose().catch(() => undefined)));
}
