import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { INestApplication, Injectable, Logger } from '@nestjs/common';

/**
 * Whether the process is shutting down, and which of its shutdown steps are running: readiness
 * answers 503 from the moment a shutdown begins, and a shutdown that runs out of time names the
 * steps it was still waiting for.
 */
@Injectable()
export class ShutdownState {
  private readonly logger = new Logger('Shutdown');
  private began: { reason: string; at: number } | undefined;
  private readonly running = new Map<string, number>();

  get shuttingDown(): boolean {
    return this.began !== undefined;
  }

  /** Why the process is shutting down (e.g. `SIGTERM`), once it is. */
  get reason(): string | undefined {
    return this.began?.reason;
  }

  begin(reason: string): void {
    this.began ??= { reason, at: Date.now() };
  }

  /** Runs one step of the shutdown, logged with how long it took. */
  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.running.set(name, started);
    if (this.shuttingDown) this.logger.log(`${name}: stopping`);
    try {
      return await run();
    } finally {
      this.running.delete(name);
      if (this.shuttingDown) this.logger.log(`${name}: stopped in ${Date.now() - started} ms`);
    }
  }

  /** The steps not finished yet, each with how long it has run. */
  stillRunning(): string[] {
    const now = Date.now();
    return [...this.running].map(([name, since]) => `${name} (for ${now - since} ms)`);
  }
}

/** `run` as a step of `state`'s shutdown when there is one (an app without the platform: just run). */
export function shutdownStep<T>(
  state: ShutdownState | undefined,
  name: string,
  run: () => Promise<T>,
): Promise<T> {
  return state ? state.step(name, run) : run();
}

export interface GracefulShutdownOptions {
  /** Everything must be done within this, or the process exits 1 naming what still ran. */
  timeoutMs: number;
  /** Keep serving this long with readiness at 503 before closing the listener. */
  delayMs: number;
  /** Tests replace it; the process's own exit otherwise. */
  exit?: (code: number) => void;
  /** The signals that start the shutdown (the second one forces the exit). */
  signals?: NodeJS.Signals[];
}

/**
 * SIGTERM / SIGINT drain the process instead of dropping what it is doing, in this order:
 * readiness turns 503 (load balancers stop sending) and every answer from then on goes out with
 * `Connection: close`; after `delayMs` the listener closes (new connections are refused, idle
 * keep-alive ones closed); once every HTTP request in flight has been answered the app closes —
 * WebSocket subscriptions closed with 1001 (going away), projection runners and the deadline
 * scheduler stopped between batches, the event store and the SQL pool or PGlite closed, in
 * NestJS's hook order — and the process exits 0. Past `timeoutMs` it exits 1, naming what was
 * still running; a second signal exits 1 at once.
 *
 * Installed instead of Nest's `enableShutdownHooks()`, which closes the HTTP server only after
 * every module's destroy hook (requests would meet a closed event store) and ends the process by
 * re-raising the signal (a non-zero exit).
 */
export function handleShutdownSignals(
  app: INestApplication,
  options: GracefulShutdownOptions,
): { shutdown(reason: string): void } {
  const logger = new Logger('Shutdown');
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const state = app.get(ShutdownState);
  const server = app.getHttpServer() as Server;
  const requests = trackRequests(server, state);
  let draining: Promise<void> | undefined;

  const describeRemaining = () => {
    const left = [...state.stillRunning(), ...requests.describe()];
    return left.length > 0 ? left.join('; ') : 'nothing (the last step was finishing)';
  };

  const drain = async (signal: string): Promise<void> => {
    const started = Date.now();
    const timer = setTimeout(() => {
      logger.error(
        `Shutdown did not finish within SHUTDOWN_TIMEOUT_MS (${options.timeoutMs} ms); exiting 1. Still running: ${describeRemaining()}`,
      );
      exit(1);
    }, options.timeoutMs);
    state.begin(signal);
    // From now on every answer closes its connection: keep-alive clients reconnect elsewhere.
    requests.closeAfterAnswer();
    logger.log(
      `${signal}: shutting down within ${options.timeoutMs} ms; readiness answers 503 from now`,
    );
    if (options.delayMs > 0)
      await state.step(`serving ${options.delayMs} ms more (SHUTDOWN_DELAY_MS)`, () =>
        sleep(options.delayMs),
      );
    await state.step('HTTP listener and requests in flight', async () => {
      logger.log(`Closing the listener; ${requests.size} HTTP request(s) in flight`);
      server.close();
      server.closeIdleConnections();
      await requests.none();
      // A keep-alive connection whose answer had begun before the drain is idle by now.
      server.closeIdleConnections();
    });
    // Nest's hooks: destroy (GraphQL and its WebSockets, runners, scheduler), before-shutdown
    // (event store, broker), then the connection (onApplicationShutdown).
    await state.step('application modules', () => app.close());
    clearTimeout(timer);
    logger.log(`Shut down cleanly in ${Date.now() - started} ms`);
    exit(0);
  };

  const onSignal = (signal: string) => {
    if (draining) {
      logger.error(`${signal} again: exiting 1 now. Still running: ${describeRemaining()}`);
      exit(1);
      return;
    }
    draining = drain(signal).catch((error: unknown) => {
      logger.error(
        `Shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      exit(1);
    });
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
  return { shutdown: onSignal };
}

/** The HTTP requests being answered, so the drain can wait for them and name them. */
function trackRequests(server: Server, state: ShutdownState) {
  const open = new Map<ServerResponse, { what: string; since: number }>();
  let emptied: (() => void) | undefined;
  // Ahead of Express: the header must be set before any handler starts its answer.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (state.shuttingDown) response.setHeader('connection', 'close');
    open.set(response, { what: `${request.method} ${request.url}`, since: Date.now() });
    // `close` comes after the answer is sent, or when the client went away before it was.
    response.once('close', () => {
      open.delete(response);
      if (open.size === 0) emptied?.();
    });
  });
  return {
    get size() {
      return open.size;
    },
    /** Answers still owed close their connection once sent, instead of keeping it alive. */
    closeAfterAnswer(): void {
      for (const response of open.keys())
        if (!response.headersSent) response.setHeader('connection', 'close');
    },
    none(): Promise<void> {
      if (open.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (emptied = resolve));
    },
    describe(): string[] {
      const now = Date.now();
      return [...open.values()].map(
        ({ what, since }) => `HTTP ${what} (in flight for ${now - since} ms)`,
      );
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
