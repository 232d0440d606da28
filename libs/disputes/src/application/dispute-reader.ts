import { Injectable } from '@nestjs/common';
import { Actor } from '../domain';
import { DisputeOutcome, DisputeStreams } from './dispute-streams';
import { DisputeView, disputeViewFor } from './dispute-view';

/**
 * Reads one dispute from its stream, for the command side's own needs: the view a mutation
 * returns and the party check of evidence uploads. Lists and searches belong to the read models.
 */
@Injectable()
export class DisputeReader {
  constructor(private readonly streams: DisputeStreams) {}

  /** The dispute as `viewer` may see it after a command, or null when it is not theirs to see. */
  viewOf(viewer: Actor, outcome: Pick<DisputeOutcome, 'state' | 'history'>): DisputeView | null {
    return disputeViewFor(viewer, outcome.state, outcome.history, this.streams.policy);
  }

  async view(viewer: Actor, disputeId: string): Promise<DisputeView | null> {
    return this.viewOf(viewer, await this.streams.loadDispute(disputeId));
  }

  /** True only for the dispute's own buyer or seller: the ones who may add evidence to it. */
  async isPartyOf(actor: Actor, disputeId: string): Promise<boolean> {
    const { state } = await this.streams.loadDispute(disputeId);
    if (state.status === 'NONE') return false;
    return (
      (actor.role === 'buyer' && actor.id === state.buyerId) ||
      (actor.role === 'seller' && actor.id === state.sellerId)
    );
  }
}
