import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '@arbiter/auth';
import { DisputeQueries, ProjectionRunner, type DisputeView } from '@arbiter/read-models';
import { BUYER_VIEW, MEDIATOR_VIEW, SELLER_VIEW } from '@arbiter/read-models';

export interface ViewAfterWrite {
  view: DisputeView | null;
  /** False when the projection had not reached the write within the wait: the view may be older. */
  consistent: boolean;
}

/** How long a mutation waits for its view before answering with what there is. */
export const READ_AFTER_WRITE_TIMEOUT_MS = 2_000;

const VIEW_OF_ROLE: Record<string, string> = { buyer: BUYER_VIEW, seller: SELLER_VIEW, platform: BUYER_VIEW, analyst: BUYER_VIEW };

/**
 * Read-your-writes for mutations: wait (bounded) until the caller's view has passed the appended
 * position, then read it. Only the view the caller reads is waited for.
 */
@Injectable()
export class ReadAfterWrite {
  constructor(
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(DisputeQueries) private readonly queries: DisputeQueries,
  ) {}

  async viewAfter(disputeId: string, position: bigint | undefined, actor: Actor, timeoutMs = READ_AFTER_WRITE_TIMEOUT_MS): Promise<ViewAfterWrite> {
    const consistent =
      position === undefined || (await this.runner.waitForPosition(position, timeoutMs, VIEW_OF_ROLE[actor.role] ?? MEDIATOR_VIEW));
    return { view: await this.queries.dispute(actor, disputeId), consistent };
  }
}
