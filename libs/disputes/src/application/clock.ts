import { Injectable } from '@nestjs/common';

/** Injection token of the clock that fills every command's `metadata.now`. */
export const COMMAND_CLOCK = Symbol('COMMAND_CLOCK');

/** The only place the application reads the time; the domain gets it inside each command. */
export interface Clock {
  /** The current instant as a canonical ISO-8601 UTC string. */
  now(): string;
}

/**
 * A base clock (the wall clock, or the app's own) that a test may pin or move forward. Nothing
 * in production calls `set` or `advance`: there is no route to them from outside the process.
 */
@Injectable()
export class AdjustableClock implements Clock {
  private pinned: number | null = null;
  private offsetMs = 0;

  constructor(private readonly baseMs: () => number = Date.now) {}

  now(): string {
    return new Date((this.pinned ?? this.baseMs()) + this.offsetMs).toISOString();
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
