/**
 * Time enters Arbiter through one injected clock: commands are dated with it and deadlines fire
 * by it. Production uses the system clock; tests move a fake one.
 */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * 24 * 60 * 60 * 1000);
  }
}

/**
 * Staging's test clocks, as the command side sees them: an order placed under a test clock, and
 * every dispute on it, is dated by that clock instead of the process's `CLOCK`. Bound (globally)
 * only where test clocks are enabled; a command on such a stream elsewhere is refused.
 */
export const TEST_CLOCKS = Symbol('TEST_CLOCKS');

export interface TestClockTime {
  /** The clock's frozen time; refuses (TEST_CLOCK_NOT_FOUND) a clock that does not exist. */
  timeOf(testClockId: string): Promise<Date>;
}
