import type { Subscription } from '@arbiter/event-store';
import type { ProjectionLease } from './locks';
import type { WorkerProgress } from './runner-progress';

/**
 * Whether one worker should go on: a stop and a lost lock both interrupt it, cutting sleeps short
 * and closing the live subscription so a pending read returns. `holding` says this process applies
 * the projection right now (position waits then ask it, not the checkpoint table).
 */
export class WorkerSignals {
  stopRequested = false;
  leaseLost: Error | undefined;
  holding = false;
  subscription: Subscription | undefined;

  constructor(private readonly progress: WorkerProgress) {}

  interrupted(): boolean {
    return this.stopRequested || this.leaseLost !== undefined;
  }

  /** Takes `lease`: losing it interrupts the worker at once. */
  hold(lease: ProjectionLease): void {
    this.leaseLost = undefined;
    lease.lost.catch((error: Error) => {
      this.leaseLost = error;
      void this.subscription?.close().catch(() => undefined);
      this.progress.notify();
    });
    this.holding = true;
  }

  async closeSubscription(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close().catch(() => undefined);
  }

  /** A sleep that a stop or a lost lock cuts short. */
  async sleep(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.interrupted() && Date.now() < deadline)
      await this.progress.nextChange(deadline - Date.now());
  }
}
