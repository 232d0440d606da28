import type { PendingDeadline } from '@arbiter/disputes/read-side';

export interface DueDeadline {
  readonly disputeId: string;
  readonly deadline: Pick<PendingDeadline, 'kind' | 'dueAt' | 'requestId'>;
  /** Deterministic (the command side's `deadlineCommandId`): the same deadline is always the same command. */
  readonly commandId: string;
}

/** `fired`: events were appended; `already-fired`: this command id is in the stream; `no-op`: the state had moved on. */
export type FireOutcome = 'fired' | 'already-fired' | 'no-op';

/**
 * How the scheduler sends the system `FireDeadline` command: a port, so the scheduler does not
 * depend on how the command side is assembled. The apps bind `disputeDeadlinesFirer`.
 */
export interface DeadlineFirer {
  fire(due: DueDeadline): Promise<FireOutcome>;
}

/** The command side's in-process entry point (`DisputeDeadlines` of @arbiter/disputes/application). */
export interface DisputeDeadlinesPort {
  fire(
    disputeId: string,
    deadline: Pick<PendingDeadline, 'kind' | 'dueAt'> & { requestId?: string | null },
    trace?: { correlationId?: string; causationId?: string },
  ): Promise<{ replayed: boolean; appended: readonly unknown[] }>;
}

/**
 * Fires through the command side's `DisputeDeadlines`: the one path of every command (its policy,
 * the process's clock, tracing, schema versions, event ids). Its command id is the deadline's row
 * id (`deadlineCommandId`), which is also the correlation id, so its events can be traced to it. The
 * decider ignores a deadline no longer armed and the command id makes a second fire append nothing.
 */
export function disputeDeadlinesFirer(deadlines: DisputeDeadlinesPort): DeadlineFirer {
  return {
    async fire(due) {
      const result = await deadlines.fire(due.disputeId, due.deadline, {
        correlationId: due.commandId,
      });
      if (result.replayed) return 'already-fired';
      return result.appended.length > 0 ? 'fired' : 'no-op';
    },
  };
}
