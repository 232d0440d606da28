import type { EventStore } from '@arbiter/event-store';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { readCheckpoints } from './checkpoints';
import type { ReadDb } from './database';
import { beyondLog, ProjectionLag, readProjectionLag } from './lag';
import { heldProjectionLeases } from './locks';
import type { ProjectionRegistry } from './projection';
import type { ProjectionRunner, ProjectionState } from './runner';
import { START_POSITION } from './schema';

/** One projection as health checks and metrics report it. */
export interface ProjectionHealth {
  name: string;
  /** An external projection (its effect outside the read DB, e.g. the NATS forwarder). */
  external: boolean;
  /** In this process: `idle` or `stopped` when another process (the worker) runs it. */
  state: ProjectionState;
  /** From the shared checkpoint table: `active`, `failed`, `rebuilding`, or `new`. */
  status: string;
  checkpoint: bigint;
  /** Whether some process anywhere (this one or another) holds the projection's runner lock. */
  runnerPresent: boolean;
  /**
   * Seconds this process has seen the projection without a runner (since its first reading
   * without one; a process that just started knows no earlier); 0 while one holds it.
   */
  unownedSeconds: number;
  lagEvents: number;
  lagEventsCapped: boolean;
  lagSeconds: number;
  /**
   * Age of the lag figures in seconds. They are read from the event store in the background, and
   * a reading the store does not finish in time is used by the next check: null until the first
   * one finished (then the lag figures are 0 and unknown).
   */
  lagAgeSeconds: number | null;
  failed: boolean;
  failedPosition: bigint | null;
  /**
   * First line of the last error; null when none. Also while the projection is not failed: an
   * error it is retrying (a transient one, e.g. a broker outage for an external projection).
   */
  error: string | null;
}

export interface ProjectionMonitorOptions {
  /** A health probe and a scrape close together share one reading. */
  cacheMs?: number;
  /** Lag is counted up to this many events (then reported as capped); at least `maxLagEvents`. */
  countLimit?: number;
  /**
   * Readiness fails when a read model has had no runner anywhere for longer than this
   * (PROJECTION_UNOWNED_AFTER_MS); default 30 s.
   */
  unownedAfterMs?: number;
  /** Readiness fails when a read model is this many events behind or more; default 10 000. */
  maxLagEvents?: number;
  /** Readiness fails when a read model's oldest unapplied event is older than this; default 60 s. */
  maxLagMs?: number;
  /**
   * Longest a reading may take: the runners and checkpoints not read by then make the check
   * `down`; lag not read by then is taken from the last reading that finished. Default 900 ms,
   * so `/health` answers within a second whatever the database or the event store does.
   */
  timeoutMs?: number;
}

/** Why readiness fails for a projection: the `projections` check lists them by reason. */
export type ProjectionProblem = 'failed' | 'unowned' | 'lagging';

export const PROJECTION_MONITOR_DEFAULTS = {
  unownedAfterMs: 30_000,
  maxLagEvents: 10_000,
  maxLagMs: 60_000,
  timeoutMs: 900,
} as const;

class ReadingTimeout extends Error {}

/**
 * What `/health` and `/metrics` say about the projections, read from the shared checkpoint table,
 * the database's lock table (who runs what, anywhere) and the store (lag), right whichever process
 * runs them, beside this process's own runner state. A failed projection is never skipped past: it
 * shows here, with the position and the error.
 *
 * Bounded: the runners (`pg_locks`) and checkpoints are small reads that must answer within
 * `timeoutMs`; lag needs the event store, whose reads may wait for its read fence, so it is read
 * in the background and a check uses the newest reading that finished.
 */
export class ProjectionMonitor {
  private cached: { at: number; reading: Promise<ProjectionHealth[]> } | undefined;
  private lag: { at: number; byName: Map<string, ProjectionLag> } | undefined;
  private lagInFlight: Promise<void> | undefined;
  /** First time this process saw each projection without a runner; absent while one runs it. */
  private readonly unownedSince = new Map<string, number>();
  private readonly settings: Required<ProjectionMonitorOptions>;

  constructor(
    private readonly eventStore: EventStore,
    private readonly db: ReadDb,
    private readonly registry: ProjectionRegistry,
    private readonly runner: ProjectionRunner,
    options: ProjectionMonitorOptions = {},
  ) {
    const maxLagEvents = options.maxLagEvents ?? PROJECTION_MONITOR_DEFAULTS.maxLagEvents;
    this.settings = {
      cacheMs: options.cacheMs ?? 1_000,
      countLimit: Math.max(options.countLimit ?? 10_000, maxLagEvents),
      unownedAfterMs: options.unownedAfterMs ?? PROJECTION_MONITOR_DEFAULTS.unownedAfterMs,
      maxLagEvents,
      maxLagMs: options.maxLagMs ?? PROJECTION_MONITOR_DEFAULTS.maxLagMs,
      timeoutMs: options.timeoutMs ?? PROJECTION_MONITOR_DEFAULTS.timeoutMs,
    };
  }

  snapshot(): Promise<ProjectionHealth[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.settings.cacheMs) {
      const reading = this.read();
      reading.catch(() => (this.cached = undefined));
      this.cached = { at: now, reading };
    }
    return this.cached.reading;
  }

  /**
   * Why readiness fails for `p`, each reason once (none: ready): failed (any projection), or — for
   * read models only, an external projection's broker outage must never take the API out of
   * service — no runner anywhere for longer than `unownedAfterMs`, or lag past `maxLagEvents` /
   * `maxLagMs`.
   */
  problemsOf(p: ProjectionHealth): { problem: ProjectionProblem; reason: string }[] {
    const { unownedAfterMs, maxLagEvents, maxLagMs } = this.settings;
    const problems: { problem: ProjectionProblem; reason: string }[] = [];
    if (p.failed) problems.push({ problem: 'failed', reason: p.error ?? 'failed' });
    if (p.external) return problems;
    if (!p.runnerPresent && p.unownedSeconds * 1000 > unownedAfterMs) {
      problems.push({
        problem: 'unowned',
        reason:
          `no process has run it for ${Math.round(p.unownedSeconds)} s (limit ${unownedAfterMs} ms):` +
          ' start a worker, or a gateway with WORKERS=inline',
      });
    }
    if (p.lagAgeSeconds !== null && p.lagEvents >= maxLagEvents) {
      problems.push({
        problem: 'lagging',
        reason: `${p.lagEvents}${p.lagEventsCapped ? '+' : ''} events behind (limit ${maxLagEvents})`,
      });
    } else if (p.lagAgeSeconds !== null && p.lagSeconds * 1000 > maxLagMs) {
      problems.push({
        problem: 'lagging',
        reason: `its oldest unapplied event is ${Math.round(p.lagSeconds)} s old (limit ${maxLagMs} ms)`,
      });
    }
    return problems;
  }

  /**
   * Terminus result under `key`: `down` when a projection has failed, a read model has had no
   * runner for too long or lags too far (each listed by name under `failed`, `unowned`,
   * `lagging`, with the reason in its details), or when the runners cannot be read in time.
   */
  async health(key = 'projections'): Promise<HealthIndicatorResult> {
    try {
      const projections = await this.snapshot();
      const byProblem: Record<ProjectionProblem, string[]> = {
        failed: [],
        unowned: [],
        lagging: [],
      };
      const details: Record<string, Record<string, unknown>> = {};
      for (const p of projections) {
        const problems = this.problemsOf(p);
        for (const { problem } of problems) byProblem[problem].push(p.name);
        details[p.name] = {
          ...healthDetails(p),
          ...(problems.length ? { down: problems.map((each) => each.reason).join('; ') } : {}),
        };
      }
      const down = Object.entries(byProblem).filter(([, names]) => names.length > 0);
      return {
        [key]: down.length
          ? { status: 'down', ...Object.fromEntries(down), projections: details }
          : { status: 'up', projections: details },
      };
    } catch (error) {
      return {
        [key]: { status: 'down', message: error instanceof Error ? error.message : String(error) },
      };
    }
  }

  private async read(): Promise<ProjectionHealth[]> {
    const started = Date.now();
    const { timeoutMs } = this.settings;
    const lagRead = this.refreshLag();
    const names = this.registry.names();
    const [held, rows] = await within(
      Promise.all([heldProjectionLeases(this.runner.connection, names), readCheckpoints(this.db)]),
      timeoutMs,
      `the projections' runners and checkpoints could not be read within ${timeoutMs} ms`,
    );
    await within(lagRead, Math.max(0, timeoutMs - (Date.now() - started)), '').catch(
      () => undefined, // the last reading that finished stands in
    );
    const now = Date.now();
    const local = new Map(this.runner.status().map((status) => [status.name, status]));
    const checkpoints = new Map(rows.map((row) => [row.name, row]));
    return names.map((name) => {
      const runnerPresent = held.has(name);
      if (runnerPresent) this.unownedSince.delete(name);
      else if (!this.unownedSince.has(name)) this.unownedSince.set(name, now);
      const since = this.unownedSince.get(name);
      const mine = local.get(name);
      const row = checkpoints.get(name);
      const lag = this.lag?.byName.get(name);
      const beyond = lag ? beyondLog(name, lag.checkpoint, lag.head) : undefined;
      const status = row?.status ?? 'new';
      const failed = status === 'failed' || mine?.state === 'failed' || beyond !== undefined;
      const error = beyond ?? row?.lastError ?? mine?.lastError?.message ?? null;
      return {
        name,
        external: this.registry.get(name).external === true,
        state: mine?.state ?? 'idle',
        status,
        checkpoint: row?.position ?? START_POSITION,
        runnerPresent,
        unownedSeconds: since === undefined ? 0 : (now - since) / 1000,
        lagEvents: lag?.lagEvents ?? 0,
        lagEventsCapped: lag?.lagEventsCapped ?? false,
        lagSeconds: lag?.lagSeconds ?? 0,
        lagAgeSeconds: lag && this.lag ? (now - this.lag.at) / 1000 : null,
        failed,
        failedPosition: row?.failedPosition ?? mine?.failedPosition ?? null,
        error: error === null ? null : error.split('\n')[0],
      };
    });
  }

  /** One lag reading at a time; a slow one is joined, not repeated. */
  private refreshLag(): Promise<void> {
    this.lagInFlight ??= readProjectionLag(this.eventStore, this.db, this.registry, {
      countLimit: this.settings.countLimit,
    })
      .then(
        (lags) => {
          this.lag = { at: Date.now(), byName: new Map(lags.map((lag) => [lag.name, lag])) };
        },
        () => undefined, // unknown this time: the last reading stands, and ages
      )
      .finally(() => (this.lagInFlight = undefined));
    return this.lagInFlight;
  }
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReadingTimeout(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function healthDetails(p: ProjectionHealth) {
  return {
    state: p.state,
    status: p.status,
    checkpoint: String(p.checkpoint),
    runner: p.runnerPresent,
    ...(p.runnerPresent ? {} : { unownedSeconds: Math.round(p.unownedSeconds) }),
    ...(p.lagAgeSeconds === null
      ? { lag: 'unknown: the event store has not answered yet' }
      : {
          lagEvents: p.lagEvents,
          lagSeconds: Math.round(p.lagSeconds * 10) / 10,
          ...(p.lagAgeSeconds >= 5 ? { lagReadSecondsAgo: Math.round(p.lagAgeSeconds) } : {}),
        }),
    ...(p.failed
      ? {
          failedPosition: p.failedPosition === null ? null : String(p.failedPosition),
          error: p.error,
        }
      : p.error !== null
        ? // Retrying (this process holds it): still up, but say why it is not moving on.
          { error: p.error }
        : {}),
  };
}
