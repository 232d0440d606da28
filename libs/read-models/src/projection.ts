import type { RecordedEvent } from '@arbiter/event-store';
import type { ReadTx } from './database';

/**
 * One read model (STYLE.md rule 9). The runner hands `apply` only events whose type is listed, in
 * log order, inside the transaction that also moves the projection's checkpoint: what `apply`
 * writes and the checkpoint commit together or not at all.
 *
 * `apply` must still be guarded so a replay does no harm (e.g. upsert keyed by stream id, and
 * `WHERE last_position < event.position` / `ON CONFLICT DO NOTHING` on the event id): a rebuild
 * replays everything, and an operator may rewind a checkpoint by hand.
 */
export interface Projection {
  /** Stable: it keys the checkpoint row and the advisory lock. Renaming it means a rebuild. */
  readonly name: string;
  readonly eventTypes: readonly string[];
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
}

/** The projections of the running app. Feature modules register theirs while the app initialises. */
export class ProjectionRegistry {
  private readonly byName = new Map<string, Projection>();

  constructor(projections: readonly Projection[] = []) {
    this.register(...projections);
  }

  register(...projections: Projection[]): void {
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

  get(name: string): Projection {
    const projection = this.byName.get(name);
    if (!projection)
      throw new Error(`Unknown projection "${name}" (known: ${this.names().join(', ') || 'none'})`);
    return projection;
  }

  all(): Projection[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
