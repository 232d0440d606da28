import { Injectable } from '@nestjs/common';
import {
  Actor,
  AUDIENCE_OF_ROLE,
  canViewDispute,
  canViewOrder,
  DisputeEvent,
  type DisputeView,
  disputeStreamId,
  evolveView,
  type OrderState,
  forViewer,
  initialView,
  replayView,
  requireTakesEvidenceFrom,
  ViewerDispute,
} from '../domain';
import { DisputeOutcome, DisputeStreams } from './dispute-streams';

/**
 * Reads one dispute from its stream, for the command side's own needs: the view a mutation
 * returns and the add-evidence check of uploads. Lists and searches belong to the read models.
 */
@Injectable()
export class DisputeReader {
  constructor(private readonly streams: DisputeStreams) {}

  /**
   * The dispute as `viewer` may see it after a command, or null when it is not theirs to see:
   * the stream's events up to the command's folded by `evolveView` (what the read models store),
   * so the answer equals what a query returns once the projections catch up. With the state cache,
   * the fold starts from the view cached for the events the stream was last read with (the same
   * pure `evolveView`, so the same view as `replayView` of the whole history).
   */
  viewOf(
    viewer: Actor,
    outcome: Pick<DisputeOutcome, 'state' | 'history'> & { disputeId?: string },
  ): ViewerDispute | null {
    const { state, history } = outcome;
    if (state.status === 'NONE' || !canViewDispute(viewer, state)) return null;
    const audience = AUDIENCE_OF_ROLE[viewer.role];
    const upTo = Math.min(state.revision, history.length - 1);
    const cache = this.streams.cache;
    const view =
      cache && outcome.disputeId !== undefined
        ? cache.viewOf<DisputeView | null>(
            disputeStreamId(outcome.disputeId),
            history,
            upTo,
            audience,
            (current, event) => evolveView(current, event, audience),
            initialView(),
          )
        : replayView(history.slice(0, upTo + 1) as DisputeEvent[], audience);
    return view && forViewer(view, viewer, this.streams.policy);
  }

  async view(viewer: Actor, disputeId: string): Promise<ViewerDispute | null> {
    return this.viewOf(viewer, { ...(await this.streams.loadDispute(disputeId)), disputeId });
  }

  /**
   * The order folded from its stream, or null when it was never placed or is not `viewer`'s to
   * read. Its own stream is short and holds the platform's facts only, so no read model keeps it.
   */
  async order(viewer: Actor, orderId: string): Promise<OrderState | null> {
    const state = await this.streams.loadOrder(orderId);
    return canViewOrder(viewer, state) ? state : null;
  }

  /**
   * Throws the decider's refusal unless `actor` may add evidence to the dispute now (its own
   * buyer or seller, while it takes evidence): evidence uploads ask before storing a byte.
   */
  async requireTakesEvidenceFrom(actor: Actor, disputeId: string): Promise<void> {
    const { state } = await this.streams.loadDispute(disputeId);
    requireTakesEvidenceFrom(actor, state);
  }
}
