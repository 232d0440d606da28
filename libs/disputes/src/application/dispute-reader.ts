import { Injectable } from '@nestjs/common';
import { Actor, requireTakesEvidenceFrom } from '../domain';
import { DisputeOutcome, DisputeStreams } from './dispute-streams';
import { DisputeView, disputeViewFor } from './dispute-view';

/**
 * Reads one dispute from its stream, for the command side's own needs: the view a mutation
 * returns and the add-evidence check of uploads. Lists and searches belong to the read models.
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

  /**
   * Throws the decider's refusal unless `actor` may add evidence to the dispute now (its own
   * buyer or seller, while it takes evidence): evidence uploads ask before storing a byte.
   */
  async requireTakesEvidenceFrom(actor: Actor, disputeId: string): Promise<void> {
    const { state } = await this.streams.loadDispute(disputeId);
    requireTakesEvidenceFrom(actor, state);
  }
}
