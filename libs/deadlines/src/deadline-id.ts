import { deterministicUuid } from '@arbiter/disputes/application/command-handling';
import type { PendingDeadline } from '@arbiter/disputes';
import { instant } from '@arbiter/disputes';

/**
 * The id of one armed deadline, and the command id its firing carries: the same dispute, kind,
 * request and dueAt always give the same id, so firing it twice (two schedulers, or a retry
 * after a crash) is one command and appends nothing the second time. The name is the one the
 * command side's `DisputeDeadlines.fire` derives, so either way of firing is the same command.
 */
export function deadlineId(
  disputeId: string,
  deadline: Pick<PendingDeadline, 'kind' | 'dueAt' | 'requestId'>,
): string {
  return deterministicUuid(
    `deadline:${disputeId}:${deadline.kind}:${instant(deadline.dueAt)}:${deadline.requestId ?? ''}`,
  );
}
