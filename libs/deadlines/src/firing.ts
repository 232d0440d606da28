import type { EventStore } from '@arbiter/event-store';
import {
  decide,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputeCommand,
  type DisputeEvent,
  type DisputeEventType,
  type DisputePolicy,
  type DisputeState,
  disputeStreamId,
  evolve,
  fireDeadlineCommand,
  fromEpochMs,
  initialState,
  type PendingDeadline,
} from '@arbiter/disputes';
import { type Decider, handleCommand } from '@arbiter/disputes/application/command-handling';

export const SCHEDULER_ACTOR = { id: 'deadline-scheduler', role: 'system' } as const;

export interface DueDeadline {
  readonly disputeId: string;
  readonly deadline: Pick<PendingDeadline, 'kind' | 'dueAt' | 'requestId'>;
  /** Deterministic (see deadlineId): the same deadline is always the same command. */
  readonly commandId: string;
}

/** `fired`: events were appended; `already-fired`: this command id is in the stream; `no-op`: the state had moved on. */
export type FireOutcome = 'fired' | 'already-fired' | 'no-op';

/**
 * How the scheduler sends the system `FireDeadline` command: a port, so the scheduler does not
 * depend on how the command side is assembled.
 */
export interface DeadlineFirer {
  fire(due: DueDeadline, now: Date): Promise<FireOutcome>;
}

/**
 * Fires through `handleCommand` on the dispute's stream with the system actor. The decider is
 * idempotent by dueAt and `handleCommand` by command id, so a second fire appends nothing.
 */
export function eventStoreFirer(store: EventStore, policy: DisputePolicy): DeadlineFirer {
  const decider: Decider<DisputeCommand, DisputeEvent, DisputeState> = {
    initialState,
    evolve,
    decide: (command, state) => decide(command, state, policy),
  };
  return {
    async fire(due, now) {
      const command = fireDeadlineCommand(due.deadline, fromEpochMs(now.getTime()), SCHEDULER_ACTOR);
      const result = await handleCommand(store, disputeStreamId(due.disputeId), command, decider, {
        commandId: due.commandId,
        actor: SCHEDULER_ACTOR,
      }, {
        schemaVersionOf: (type) => DISPUTE_EVENT_SCHEMA_VERSIONS[type as DisputeEventType] ?? 1,
      });
      if (result.replayed) return 'already-fired';
      return result.appended.length > 0 ? 'fired' : 'no-op';
    },
  };
}

/** The command side's in-process entry point (`DisputeDeadlines` of @arbiter/disputes/application). */
export interface DisputeDeadlinesPort {
  fire(
    disputeId: string,
    deadline: Pick<PendingDeadline, 'kind' | 'dueAt'> & { requestId?: string | null },
  ): Promise<{ replayed: boolean; appended: readonly unknown[] }>;
}

/**
 * Fires through the command side's `DisputeDeadlines` (its policy, clock, tracing and schema
 * versions). It derives the same command id as `deadlineId`; its own clock dates the command.
 */
export function disputeDeadlinesFirer(deadlines: DisputeDeadlinesPort): DeadlineFirer {
  return {
    async fire(due) {
      const result = await deadlines.fire(due.disputeId, due.deadline);
      if (result.replayed) return 'already-fired';
      return result.appended.length > 0 ? 'fired' : 'no-op';
    },
  };
}
