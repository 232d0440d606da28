import type { RecordedEvent } from '@arbiter/event-store';
import {
  DISPUTE_EVENT_TYPES,
  type Dispute,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeState,
  evolve,
  initialState,
  type PendingDeadline,
  pendingDeadlines,
} from '@arbiter/disputes';
import {
  deadlineDisputeStates,
  deadlines,
  type Projection,
  type ReadTx,
} from '@arbiter/read-models';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import { deadlineCommandId } from '@arbiter/disputes/application/fire-deadline/fire-deadline';

export const DEADLINES_PROJECTION = 'deadlines';

/**
 * The deadline process manager, run as a projection: per dispute event it folds the dispute's
 * stored state with the domain's `evolve` and makes the dispute's rows in `read_models.deadlines`
 * equal `pendingDeadlines(state)`. The runner commits these writes with the checkpoint, so every
 * `dueAt` the domain announces is stored exactly once, and cancelled or moved when the state moves
 * on. No event-store IO inside the transaction: the state comes from `deadline_dispute_states`.
 *
 * A deadline that stays armed keeps its row (and so its lease and fired mark): its id is the
 * deterministic command id of firing it (`deadlineCommandId`: dispute, kind, request, dueAt).
 */
export function deadlinesProcessManager(policy: DisputePolicy): Projection {
  return {
    name: DEADLINES_PROJECTION,
    eventTypes: DISPUTE_EVENT_TYPES,
    async apply(event: RecordedEvent, tx: ReadTx): Promise<void> {
      const domainEvent = event as unknown as DisputeEvent;
      const disputeId = domainEvent.data.disputeId;
      const [stored] = await tx
        .select({
          state: deadlineDisputeStates.state,
          lastPosition: deadlineDisputeStates.lastPosition,
        })
        .from(deadlineDisputeStates)
        .where(eq(deadlineDisputeStates.disputeId, disputeId));
      // A replay (rewound checkpoint) must not fold an event twice.
      if (stored && stored.lastPosition >= event.position) return;

      const state = evolve(stored ? thaw(stored.state) : initialState, domainEvent);
      await tx
        .insert(deadlineDisputeStates)
        .values({ disputeId, state: freeze(state), lastPosition: event.position })
        .onConflictDoUpdate({
          target: deadlineDisputeStates.disputeId,
          set: { state: freeze(state), lastPosition: event.position, updatedAt: sql`now()` },
        });
      await replaceDeadlines(tx, disputeId, pendingDeadlines(state, policy), event.position);
    },
    async reset(tx: ReadTx): Promise<void> {
      await tx.delete(deadlines);
      await tx.delete(deadlineDisputeStates);
    },
  };
}

async function replaceDeadlines(
  tx: ReadTx,
  disputeId: string,
  pending: readonly PendingDeadline[],
  position: bigint,
): Promise<void> {
  const rows = pending.map((deadline) => ({
    id: deadlineCommandId(disputeId, deadline),
    disputeId,
    kind: deadline.kind,
    requestId: deadline.requestId,
    dueAt: new Date(deadline.dueAt),
    consequence: deadline.consequence,
    armedPosition: position,
  }));
  const keep = rows.map((row) => row.id);
  await tx
    .delete(deadlines)
    .where(
      keep.length
        ? and(eq(deadlines.disputeId, disputeId), notInArray(deadlines.id, keep))
        : eq(deadlines.disputeId, disputeId),
    );
  if (rows.length)
    await tx.insert(deadlines).values(rows).onConflictDoNothing({ target: deadlines.id });
}

// The decider's `usedIds` grow with every proposal and message, and nothing here needs them.
function freeze(state: DisputeState): unknown {
  return state.status === 'NONE' ? state : { ...state, usedIds: [] };
}

function thaw(stored: unknown): DisputeState {
  const state = stored as DisputeState;
  return state.status === 'NONE'
    ? state
    : ({ ...state, usedIds: (state as Dispute).usedIds ?? [] } as Dispute);
}
