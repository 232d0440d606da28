import type { ProjectionError, ProjectionState, ProjectionStatus } from './runner-options';
import { messageOf } from './runner-errors';
import { ProjectionCheckpointRow, START_POSITION } from './schema';

/**
 * What one projection's worker has reached, as `status()` shows it, and the wake-up signal for
 * everything that waits on it: every checkpoint or state change (and a stop) notifies the
 * listeners, so sleeps end early and position waits re-check at once.
 */
export class WorkerProgress {
  state: ProjectionState = 'idle';
  since = new Date();
  checkpoint: bigint | null = null;
  passedThrough: bigint | null = null;
  failedPosition: bigint | null = null;
  lastError: ProjectionError | null = null;
  eventsApplied = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly name: string) {}

  /** The checkpoint, or before the first event while none is loaded. */
  get position(): bigint {
    return this.checkpoint ?? START_POSITION;
  }

  status(): ProjectionStatus {
    return {
      name: this.name,
      state: this.state,
      checkpoint: this.checkpoint,
      passedThrough: this.passedThrough,
      failedPosition: this.failedPosition,
      lastError: this.lastError,
      eventsApplied: this.eventsApplied,
      since: this.since,
    };
  }

  setState(state: ProjectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.since = new Date();
    this.notify();
  }

  /** The checkpoint row as a new holder finds it. */
  load(row: ProjectionCheckpointRow): void {
    this.checkpoint = row.position;
    this.passedThrough = row.position;
    this.failedPosition = row.failedPosition;
    if (row.status === 'failed' && row.lastError) {
      // Still visible while we try the failed event again.
      this.lastError = {
        message: row.lastError.split('\n')[0],
        position: row.failedPosition ?? undefined,
        attempts: row.attempts,
        at: row.failedAt ?? row.updatedAt,
      };
    }
  }

  /** A rebuild's reset: back before the first event, errors cleared. */
  rewind(): void {
    this.checkpoint = START_POSITION;
    this.passedThrough = START_POSITION;
    this.failedPosition = null;
    this.lastError = null;
  }

  advanceTo(position: bigint): void {
    this.checkpoint = position;
    this.raisePassedThrough(position);
    this.notify();
  }

  /** `count` events committed up to `to`: whatever failed before is behind us. */
  applied(count: number, to: bigint): void {
    this.eventsApplied += count;
    this.failedPosition = null;
    this.lastError = null;
    this.advanceTo(to);
  }

  /** Known passed without a commit (nothing the projection handles lies before `position`). */
  raisePassedThrough(position: bigint): void {
    if (this.passedThrough === null || this.passedThrough < position) this.passedThrough = position;
  }

  failed(position: bigint): void {
    this.failedPosition = position;
    this.setState('failed');
  }

  recordError(error: unknown, attempts: number, position?: bigint): void {
    this.lastError = {
      message: messageOf(error),
      ...(position === undefined ? {} : { position }),
      attempts,
      at: new Date(),
    };
    this.notify();
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves at the next notification, or after `timeoutMs`. */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(done);
    });
  }
}
