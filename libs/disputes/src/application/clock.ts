import { Injectable } from '@nestjs/common';

/** Injection token of the clock that fills every command's `metadata.now`. */
export const CLOCK = Symbol('CLOCK');

/** The only place the application reads the time; the domain gets it inside each command. */
export interface Clock {
  /** The current instant as a canonical ISO-8601 UTC string. */
  now(): string;
}

/**
 * The wall clock, which a test (or a demo of the deadline scheduler) may pin or move forward.
 * Nothing in production calls `set` or `advance`: there is no route to them from outside.
 */
@Injectable()
export class AdjustableClock implements Clock {
  private pinned: number | null = null;
  private offsetMs = 0;

  now(): string {
    return new Date((this.pinned ?? Date.now()) + this.offsetMs).toISOString();
  }

  /** Freezes the clock at `instant` (null: back to the wall clock, keeping no offset). */
  set(instant: string | null): void {
    this.pinned = instant === null ? null : Date.parse(instant);
    this.offsetMs = 0;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}
