import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { WrongExpectedRevisionError } from '@arbiter/event-store';
import {
  Actor,
  CommandMetadata,
  decide,
  DomainError,
  initialState,
  OpenDispute,
  orderFacts,
  OrderDisputeLinked,
  OrderState,
  orderStreamId,
  requireMayOpenDispute,
  toEpochMs,
} from '../../domain';
import {
  DisputeOutcome,
  DisputeStreams,
  idFor,
  InputOf,
  Issued,
  retryOnConflict,
} from '../dispute-streams';

/**
 * How long a reservation may stand without its dispute stream before a new opening adopts it.
 * Shorter would let a concurrent opening overtake one that is merely in flight (two requests
 * then collapse into one dispute, one's words lost); a crashed opening waits this long at most.
 */
export const ORPHAN_GRACE_MS = 60_000;

/** Buyer: open a dispute on an order (its id, and its first proposal's, are created here). */
export class OpenDisputeCommand extends Command<DisputeOutcome> {
  readonly type = 'OpenDispute';
  constructor(
    readonly orderId: string,
    readonly input: Omit<InputOf<OpenDispute, 'disputeId' | 'proposalId'>, 'order'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

/**
 * Two streams: first the order-level reservation (`OrderDisputeLinked`, appended with the order
 * revision the facts were read at, after the opening itself was decided on those facts), then the
 * dispute stream (`no_stream`).
 *
 * Recovery (an application concern, not a business rule): a crash, or a failed append, between
 * the two leaves the order linked to a dispute whose stream does not exist, an orphan. Once the
 * link is older than ORPHAN_GRACE_MS (until then the opening may still be in flight, and others
 * are refused as usual), a later opening by the order's buyer rolls forward: it adopts the orphan's id, appends no second link,
 * and creates the dispute stream under that id, decided as if the orphan were not there. The
 * dispute stream's `no_stream` is the single decider between an adopter and a slow original (or
 * another adopter): exactly one creates the stream; the others find the dispute they reserved (or
 * adopted) already opened and answer with it.
 */
@CommandHandler(OpenDisputeCommand)
export class OpenDisputeHandler implements ICommandHandler<OpenDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ orderId, input, issued }: OpenDisputeCommand): Promise<DisputeOutcome> {
    // Per order too: a key reused on another order must not link that order to this dispute.
    const proposalId = idFor(issued, `proposal:${orderId}`);
    return retryOnConflict(async () => {
      // Before any lookup: a role that may not open learns nothing about which orders exist.
      requireMayOpenDispute(issued.actor);
      // A dispute is dated by its order's test clock (staging), if the order has one.
      const { state: order, testClockId } = await this.streams.loadOrderAndClock(orderId);
      const orphan = await this.orphanedReservation(order, issued.actor, testClockId);
      const disputeId = orphan ?? idFor(issued, `dispute:${orderId}`);
      // Excludes `disputeId` itself: an adopted orphan (or this command's own reservation, on a
      // retry with the same key) does not count as an earlier dispute.
      const facts = orderFacts(order, await this.streams.previousDispute(order, disputeId));
      const open = (metadata: CommandMetadata): OpenDispute => ({
        type: 'OpenDispute',
        data: { ...input, disputeId, proposalId, order: facts },
        metadata,
      });
      if (orphan === null) await this.reserve(order, disputeId, issued, open, testClockId);
      return this.streams
        .dispute(disputeId, issued, open, { testClockId })
        .catch((error: unknown) => this.openedMeanwhile(disputeId, issued.actor, error));
    });
  }

  /** Links the dispute on the order at the revision the facts were read at. */
  private async reserve(
    order: OrderState,
    disputeId: string,
    issued: Issued,
    open: (metadata: CommandMetadata) => OpenDispute,
    testClockId: string | undefined,
  ): Promise<void> {
    const metadata = await this.streams.metadataFor(issued, testClockId);
    await this.streams.order(
      order.orderId,
      issued,
      () => ({ type: 'LinkDispute', data: { disputeId }, metadata }),
      {
        maxAttempts: 1,
        alsoDecide: (current) => {
          // Facts read at another revision may be stale (a dispute linked meanwhile): start over.
          if (current.revision !== order.revision) {
            throw new WrongExpectedRevisionError(
              orderStreamId(order.orderId),
              BigInt(order.revision),
              BigInt(current.revision),
            );
          }
          decide(open(metadata), initialState, this.streams.policy);
        },
      },
    );
  }

  /**
   * Recovery: the order's last linked dispute when its stream was never created, the link is
   * older than ORPHAN_GRACE_MS, and `actor` is the order's buyer (only they could have reserved
   * it, and only they may complete it); else null, and the opening goes the normal way (where the
   * decider refuses anyone else, and a reservation still in flight counts as a dispute).
   */
  private async orphanedReservation(
    order: OrderState,
    actor: Actor,
    testClockId: string | undefined,
  ): Promise<string | null> {
    const lastId = order.disputeIds.at(-1);
    if (lastId === undefined || actor.role !== 'buyer' || actor.id !== order.buyerId) return null;
    const { state } = await this.streams.loadDispute(lastId);
    if (state.status !== 'NONE') return null;
    const events = await this.streams.store.readStream(orderStreamId(order.orderId), {
      direction: 'backwards',
    });
    const link = events.find(
      (e) =>
        e.type === 'OrderDisputeLinked' &&
        (e.data as OrderDisputeLinked['data']).disputeId === lastId,
    );
    const linkedAt = toEpochMs((link?.data as OrderDisputeLinked['data']).linkedAt);
    // The link was dated by the order's clock, so its age is too.
    const now = toEpochMs(await this.streams.nowFor(testClockId));
    return now - linkedAt >= ORPHAN_GRACE_MS ? lastId : null;
  }

  /**
   * Recovery: the dispute stream this opening reserved (or adopted) was created by someone else
   * first — an adopter, or the slow original request an adopter overtook. That dispute is the one
   * this request was opening, so the buyer gets it back; never a second dispute.
   */
  private async openedMeanwhile(
    disputeId: string,
    actor: Actor,
    error: unknown,
  ): Promise<DisputeOutcome> {
    if (!(error instanceof DomainError) || error.code !== 'DISPUTE_ALREADY_EXISTS') throw error;
    const existing = await this.streams.answerWithDispute(disputeId);
    if (existing.state.status === 'NONE' || existing.state.buyerId !== actor.id) throw error;
    return existing;
  }
}
