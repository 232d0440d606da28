import type { Clock } from '@arbiter/platform';
import type { ReadDb } from '@arbiter/read-models';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FireOutcome } from './firing';
import { countDeadlines, type DeadlineCounts } from './queries';
import type { ClaimedDeadline } from './scheduler';

export interface DeadlineMetrics {
  /** Hand to the scheduler as `onFired`. */
  onFired(due: ClaimedDeadline, outcome: FireOutcome | 'failed'): void;
}

/**
 * Gauges read from the deadlines table at scrape time (so every gateway reports the shared
 * truth, also when another process runs the scheduler), and a counter of this process's fires.
 */
export function registerDeadlineMetrics(
  registry: Registry,
  options: { db: ReadDb; clock: Clock; overdueAfterMs: number },
): DeadlineMetrics {
  const labelNames = ['kind'] as const;
  // The gauges are collected concurrently on a scrape: they share one query.
  let inFlight: ReturnType<typeof countDeadlines> | undefined;
  const counts = () => {
    inFlight ??= countDeadlines(options.db, options.clock.now(), options.overdueAfterMs).finally(
      () => {
        inFlight = undefined;
      },
    );
    return inFlight;
  };
  const gauge = (name: string, help: string, pick: (c: DeadlineCounts) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const byKind = await counts();
        this.reset();
        for (const [kind, c] of byKind) this.set({ kind }, pick(c));
      },
    });
  gauge(
    'arbiter_deadlines_scheduled',
    'Armed deadlines not yet fired, by kind',
    (c) => c.scheduled,
  );
  gauge(
    'arbiter_deadlines_due',
    'Deadlines whose dueAt has passed and that have not fired yet, by kind',
    (c) => c.due,
  );
  gauge(
    'arbiter_deadlines_overdue',
    `Deadlines due for longer than ${options.overdueAfterMs} ms and not fired (scheduler behind or failing), by kind`,
    (c) => c.overdue,
  );
  gauge(
    'arbiter_deadlines_failed',
    'Deadlines the scheduler gave up on after its attempt cap (last_error in read_models.deadlines); cleared by a re-arm, by kind',
    (c) => c.failed,
  );
  const fired = new Counter({
    name: 'arbiter_deadlines_fired_total',
    help: 'Deadline fires by this process, by kind and outcome (fired, already-fired, no-op, failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  return { onFired: (claimed, outcome) => fired.inc({ kind: claimed.kind, outcome }) };
}
