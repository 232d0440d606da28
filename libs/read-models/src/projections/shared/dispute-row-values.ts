import type { RecordedEvent } from '@arbiter/event-store';
import type { Dispute } from '@arbiter/disputes';
import type { CaseFile } from './case-file';
import { toDate } from './dispute-rows';

/** The columns every dispute-shaped view has, from the state after `recorded` and the audience's file. */
export function disputeRowValues(
  state: Dispute,
  file: CaseFile,
  recorded: RecordedEvent,
  deadlineAt: string | null,
) {
  const at = (recorded.data as { at: string }).at;
  return {
    disputeId: state.disputeId,
    orderId: state.orderId,
    buyerId: state.buyerId,
    sellerId: state.sellerId,
    status: state.status,
    reason: state.reason,
    amountMinor: state.orderTotal.amountMinor,
    currency: state.orderTotal.currency,
    openedAt: new Date(state.openedAt),
    updatedAt: new Date(at),
    closedAt: toDate(state.closedAt),
    deadlineAt: toDate(deadlineAt),
    outcome: state.outcome,
    lastRevision: Number(recorded.revision),
    lastPosition: recorded.position,
    state,
    file,
  };
}
