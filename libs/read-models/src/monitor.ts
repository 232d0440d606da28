import type { EventStore } from '@arbiter/event-store';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadDb } from './database';
import { beyondLog, readProjectionLag } from './lag';
import type { ProjectionRegistry } from './projection';
import type { ProjectionRunner, ProjectionState } from './runner';

/** One projection as health checks and metrics report it. */
export interface ProjectionHealth {
  name: string;
  /** In this process: `idle` or `stopped` when another process (the worker) runs it. */
  state: ProjectionState;
  /** From the shared checkpoint table: `active`, `failed`, `rebuilding`, or `new`. */
  status: string;
  checkpoint: bigint;
  lagEvents: number;
  lagEventsCapped: boolean;
  lagSeconds: number;
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
  /** Lag is counted up to this many events (then reported as capped). */
  countLimit?: number;
}

/**
 * What `/health` and `/metrics` say about the projections, read from the shared checkpoint table
 * and the store (right whichever process runs them) beside this process's own runner state.
 * A failed projection is never skipped past: it shows here, with the position and the error.
 */
export class ProjectionMonitor {
  private cached: { at: number; reading: Promise<ProjectionHealth[]> } | undefined;

  constructor(
    private readonly eventStore: EventStore,
    private readonly db: ReadDb,
    private readonly registry: ProjectionRegistry,
    private readonly runner: ProjectionRunner,
    private readonly options: ProjectionMonitorOptions = {},
  ) {}

  snapshot(): Promise<ProjectionHealth[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= (this.options.cacheMs ?? 1_000)) {
      const reading = this.read();
      reading.catch(() => (this.cached = undefined));
      this.cached = { at: now, reading };
    }
    return this.cached.reading;
  }

  /** Terminus result under `key`: `down` when a projection has failed (or cannot be read). */
  async health(key = 'projections'): Promise<HealthIndicatorResult> {
    try {
      const projections = await this.snapshot();
      const failed = projections.filter((p) => p.failed);
      const details = Object.fromEntries(projections.map((p) => [p.name, healthDetails(p)]));
      return {
        [key]: failed.length
          ? { status: 'down', failed: failed.map((p) => p.name), projections: details }
          : { status: 'up', projections: details },
      };
    } catch (error) {
      return {
        [key]: { status: 'down', message: error instanceof Error ? error.message : String(error) },
      };
    }
  }

  private async read(): Promise<ProjectionHealth[]> {
    const local = new Map(this.runner.status().map((status) => [status.name, status]));
    const lags = await readProjectionLag(this.eventStore, this.db, this.registry, {
      countLimit: this.options.countLimit ?? 10_000,
    });
    return lags.map((lag) => {
      const mine = local.get(lag.name);
      const beyond = beyondLog(lag.name, lag.checkpoint, lag.head);
      const failed = lag.status === 'failed' || mine?.state === 'failed' || beyond !== undefined;
      const error = beyond ?? lag.lastError ?? mine?.lastError?.message ?? null;
      return {
        name: lag.name,
        state: mine?.state ?? 'idle',
        status: lag.status,
        checkpoint: lag.checkpoint,
        lagEvents: lag.lagEvents,
        lagEventsCapped: lag.lagEventsCapped,
        lagSeconds: lag.lagSeconds,
        failed,
        failedPosition: lag.failedPosition ?? mine?.failedPosition ?? null,
        error: error === null ? null : error.split('\n')[0],
      };
    });
  }
}

function healthDetails(p: ProjectionHealth) {
  return {
    state: p.state,
    status: p.status,
    checkpoint: String(p.checkpoint),
    lagEvents: p.lagEvents,
    lagSeconds: Math.round(p.lagSeconds * 10) / 10,
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
