import type { RecordedEvent } from '@arbiter/event-store';
import type { SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { ReadExecutor, ReadTx } from './database';

/**
 * One read model (docs/architecture.md#conventions). The runner hands `apply` only events whose
 * type is listed, in log order, inside the transaction that also moves the projection's checkpoint:
 * what `apply` writes and the checkpoint commit together or not at all.
 *
 * `apply` must still be guarded so a replay does no harm (e.g. upsert keyed by stream id, and
 * `WHERE last_position < event.position` / `ON CONFLICT DO NOTHING` on the event id): a rebuild
 * replays everything, and an operator may rewind a checkpoint by hand.
 */
export interface Projection {
  /** Stable: it keys the checkpoint row and the advisory lock. Renaming it means a rebuild. */
  readonly name: string;
  readonly eventTypes: readonly string[];
  /** Absent (or false): the effect lies in the read DB; see ExternalProjection for the other kind. */
  readonly external?: false;
  apply(event: RecordedEvent, tx: ReadTx): Promise<void>;
  /**
   * Optional: applies several events (in log order) at once, e.g. with multi-row upserts; must
   * leave exactly the rows `apply` one by one would. The runner uses it for catch-up, rebuilds
   * and live batches; when it throws, the runner retries the events one by one with `apply`, so
   * a failure still stops the projection at the very event that failed.
   */
  applyBatch?(events: readonly RecordedEvent[], tx: ReadTx): Promise<void>;
  /** Empties what this projection owns before a rebuild replays the log from the start. */
  reset?(tx: ReadTx): Promise<void>;
  /**
   * Optional: every table this projection writes, and only those (each owned by this projection
   * alone). With it a rebuild is blue/green: the log is replayed into copies of these tables
   * while the live ones keep serving, then the copies take their place in one transaction
   * (runner-rebuild-blue-green.ts). `apply` must then write nothing else, and name these tables
   * schema-qualified (Drizzle tables do; raw SQL as `schema.table`). Without it a rebuild resets
   * and replays in place, the views empty or partial meanwhile.
   */
  readonly tables?: readonly PgTable[];
  /**
   * Optional, with `tables`: copies what the projection does not derive from the log (e.g. a
   * scheduler's lease and marks on a row) from the live rows onto the rebuilt ones, inside the
   * blue/green switch-over's transaction, the live tables locked. `db` names the live tables as
   * usual; `rebuilt(table)` is the rebuilt copy of one of `tables`.
   */
  carryOver?(db: ReadExecutor, rebuilt: (table: PgTable) => SQL): Promise<void>;
  /**
   * Optional: rewrites what this projection holds of one stream from all its events (of the
   * listed types) as the store reads them now, e.g. once a person's data was erased; what a
   * rebuild would leave for that stream. False when the rows have moved past the last of
   * `events` meanwhile (the caller reads the stream again and retries).
   */
  refold?(events: readonly RecordedEvent[], tx: ReadTx): Promise<boolean>;
  /**
   * Optional: errors that say nothing about the event (besides the transient database errors the
   * runner always knows): retried with capped backoff without end instead of stopping the
   * projection after `retry.attempts`. They still show as `lastError` meanwhile.
   */
  isTransient?(error: unknown): boolean;
}

/**
 * A projection whose effect lies outside the read DB (e.g. publishing to a message broker). The
 * runner calls `apply` / `applyBatch` outside any read-DB transaction — holding one open while a
 * broker answers would block the whole database on PGlite — and commits the checkpoint only after
 * they return. A crash in between repeats the batch: the effect must be idempotent (or detect what
 * it already did). Everything else is as for `Projection`: one holder across processes, retries,
 * `failed` at an event after `retry.attempts` non-transient failures, lag and health. No `reset`:
 * such a projection cannot be rebuilt.
 */
export interface ExternalProjection {
  readonly name: string;
  readonly eventTypes: readonly string[];
  readonly external: true;
  apply(event: RecordedEvent): Promise<void>;
  /** As `Projection.applyBatch`: when it throws, the runner retries the events one by one. */
  applyBatch?(events: readonly RecordedEvent[]): Promise<void>;
  /**
   * Errors retried with capped backoff without end (e.g. the broker is unreachable), so an outage
   * never marks the projection failed for good; `lastError` shows them meanwhile.
   */
  isTransient?(error: unknown): boolean;
  readonly reset?: undefined;
  readonly tables?: undefined;
  readonly carryOver?: undefined;
}

/** What the registry and the runner take: a read model or an external projection. */
export type AnyProjection = Projection | ExternalProjection;

/** The projections of the running app. Feature modules register theirs while the app initialises. */
export class ProjectionRegistry {
  private readonly byName = new Map<string, AnyProjection>();

  constructor(projections: readonly AnyProjection[] = []) {
    this.register(...projections);
  }

  register(...projections: AnyProjection[]): void {
    for (const projection of projections) {
      if (!/^[a-z0-9][a-z0-9_.-]*$/.test(projection.name)) {
        throw new Error(
          `Projection name "${projection.name}" must be lower-case letters, digits, '_', '.', '-'`,
        );
      }
      if (projection.eventTypes.length === 0)
        throw new Error(`Projection ${projection.name} lists no event types`);
      const existing = this.byName.get(projection.name);
      if (existing && existing !== projection)
        throw new Error(`Projection ${projection.name} is registered twice`);
      this.byName.set(projection.name, projection);
    }
  }

  get(name: string): AnyProjection {
    const projection = this.byName.get(name);
    if (!projection)
      throw new Error(`Unknown projection "${name}" (known: ${this.names().join(', ') || 'none'})`);
    return projection;
  }

  all(): AnyProjection[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The projections whose effect is in the read DB (not the external ones): what queries read. */
  readModelNames(): string[] {
    return this.all()
      .filter((projection) => !projection.external)
      .map((projection) => projection.name);
  }
}
