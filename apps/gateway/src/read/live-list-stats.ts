import { Injectable } from '@nestjs/common';

export interface LiveListStatsSnapshot {
  subscriptions: number;
  /** Changed disputes waiting to be sent, over every live list. */
  waitingDisputes: number;
  /** Subscriptions cut off with SUBSCRIBER_TOO_SLOW (since start). */
  overflows: number;
}

/** The live lists open in this process, for `/metrics` (and for tests to see that none leaks). */
@Injectable()
export class LiveListStats {
  private readonly live = new Set<{ readonly waiting: number }>();
  private overflowCount = 0;

  add(stream: { readonly waiting: number }): void {
    this.live.add(stream);
  }

  remove(stream: { readonly waiting: number }): void {
    this.live.delete(stream);
  }

  overflowed(): void {
    this.overflowCount += 1;
  }

  stats(): LiveListStatsSnapshot {
    let waitingDisputes = 0;
    for (const stream of this.live) waitingDisputes += stream.waiting;
    return { subscriptions: this.live.size, waitingDisputes, overflows: this.overflowCount };
  }
}
