import { Inject, Injectable } from '@nestjs/common';
import type { Actor, RequestContext } from '@arbiter/auth';
import { AUDIENCE_OF_ROLE, DomainError } from '@arbiter/disputes';
import { DisputeReader, type DisputeOutcome } from '@arbiter/disputes/application';
import type { ViewerDispute } from '@arbiter/disputes/read-side';
import {
  DisputeQueries,
  projectionsReadBy,
  type QueriedDispute,
  ProjectionRunner,
} from '@arbiter/read-models';
import { isDatabaseUnavailable } from '@arbiter/platform/database-errors';
import { noteReadYourWrites } from './read-your-writes.plugin';

export interface ViewAfterWrite {
  view: QueriedDispute | null;
  /** False when the projection had not reached the write within the wait (then no view is read). */
  consistent: boolean;
}

export interface MutationAnswer {
  view: ViewerDispute;
  /** True: the read model (hence every query from now on) already shows the change. */
  consistent: boolean;
}

/** How long a mutation waits for its view before answering with what there is. */
export const READ_AFTER_WRITE_TIMEOUT_MS = 2_000;

/**
 * Read-your-writes for mutations: wait (bounded) until the caller's view has passed the appended
 * position, then read it. Only the views the caller reads are waited for.
 */
@Injectable()
export class ReadAfterWrite {
  /** Tests shorten it; production keeps the default. */
  timeoutMs = READ_AFTER_WRITE_TIMEOUT_MS;

  constructor(
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(DisputeQueries) private readonly queries: DisputeQueries,
    @Inject(DisputeReader) private readonly reader: DisputeReader,
  ) {}

  async viewAfter(
    disputeId: string,
    position: bigint | undefined,
    actor: Actor,
    timeoutMs = this.timeoutMs,
  ): Promise<ViewAfterWrite> {
    const consistent =
      position === undefined ||
      // Only the projections the caller's `dispute(id)` reads (`VIEW_SOURCE_OF_ROLE`).
      (await this.runner.waitForPosition(position, timeoutMs, projectionsReadBy(actor.role)));
    // A view that may be older than the write is never answered: not read at all.
    return { view: consistent ? await this.queries.dispute(actor, disputeId) : null, consistent };
  }

  /**
   * The caller's view of a dispute once the read side passed `position` (a subscription's
   * message): the read model's, or, when the projection did not get there in time, the stream's
   * own fold by the same `evolveView`. Null when the dispute is not the caller's to see.
   */
  async viewAt(
    actor: Actor,
    disputeId: string,
    position: bigint,
  ): Promise<QueriedDispute | ViewerDispute | null> {
    const { view, consistent } = await this.viewAfter(disputeId, position, actor);
    return consistent && view ? view : this.reader.view(actor, disputeId);
  }

  /**
   * A mutation's answer: the read model's view once it shows the command's events; when the wait
   * runs out (or nobody runs the projections, or the read fails on a database fault), the view
   * the command's stream folded by the same `evolveView` — the same view, only not yet what
   * queries return. Either way the consistency is noted for the
   * response's `extensions.readYourWrites`.
   */
  async answer(context: RequestContext, outcome: DisputeOutcome): Promise<MutationAnswer> {
    const actor = context.actor as Actor;
    const written = this.reader.viewOf(actor, outcome);
    if (written === null) throw new DomainError('NOT_A_PARTY');
    let after: ViewAfterWrite;
    try {
      after = await this.viewAfter(outcome.disputeId, outcome.position, actor);
    } catch (error) {
      // The command is recorded: a database that fails now (an outage starting) must not turn
      // its success into an error. Answer with the command's own view, marked not consistent.
      if (!isDatabaseUnavailable(error)) throw error;
      after = { view: null, consistent: false };
    }
    // A replayed command appended nothing: the revision tells whether the view has its events.
    const fresh =
      after.consistent && after.view !== null && after.view.revision >= Number(outcome.revision);
    const answer =
      fresh && after.view
        ? { view: after.view, consistent: true }
        : { view: written, consistent: false };
    noteReadYourWrites(context, {
      disputeId: outcome.disputeId,
      sequence: answer.view.sequence,
      // The stream revision counts hidden events: only staff may compare it with their own.
      revision: AUDIENCE_OF_ROLE[actor.role] === 'staff' ? Number(outcome.revision) : null,
      consistent: answer.consistent,
    });
    return answer;
  }
}
