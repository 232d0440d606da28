import { Injectable } from '@nestjs/common';
import { FireDeadline, instant, pendingDeadlines, PendingDeadline } from '../../domain';
import { deterministicUuid } from '../command-handling';
import { DisputeOutcome, DisputeStreams } from '../dispute-streams';

export type DeadlineToFire = Pick<PendingDeadline, 'kind' | 'dueAt'> & {
  requestId?: string | null;
};

/**
 * The command id of firing one armed deadline: the same dispute, kind, request and dueAt always
 * give the same id, so a second fire (two schedulers, a retry after a crash) is the same command
 * and appends nothing. @arbiter/deadlines keys its rows by it.
 */
export function deadlineCommandId(disputeId: string, deadline: DeadlineToFire): string {
  return deterministicUuid(
    `deadline:${disputeId}:${deadline.kind}:${instant(deadline.dueAt)}:${deadline.requestId ?? ''}`,
  );
}

/**
 * The system's timer transitions, called in-process by the deadline scheduler (never by clients).
 * Firing is idempotent twice over: the decider ignores a deadline no longer armed, and the command
 * id derives from the deadline, so a scheduler's retry appends nothing.
 */
@Injectable()
export class DisputeDeadlines {
  static readonly ACTOR = { id: 'deadline-scheduler', role: 'system' } as const;

  constructor(private readonly streams: DisputeStreams) {}

  fire(
    disputeId: string,
    deadline: DeadlineToFire,
    trace: { correlationId?: string; causationId?: string } = {},
  ): Promise<DisputeOutcome> {
    const requestId = deadline.requestId ?? null;
    const issued = {
      actor: DisputeDeadlines.ACTOR,
      commandId: deadlineCommandId(disputeId, deadline),
      ...trace,
    };
    return this.streams.dispute(disputeId, issued, (metadata): FireDeadline => ({
      type: 'FireDeadline',
      data: { kind: deadline.kind, dueAt: deadline.dueAt, requestId },
      metadata,
    }));
  }

  /** The deadlines armed on a dispute right now, earliest first. */
  async pending(disputeId: string): Promise<PendingDeadline[]> {
    const { state } = await this.streams.loadDispute(disputeId);
    return pendingDeadlines(state, this.streams.policy);
  }
}
