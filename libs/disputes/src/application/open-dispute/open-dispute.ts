import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { WrongExpectedRevisionError } from '@arbiter/event-store';
import {
  CommandMetadata,
  decide,
  initialState,
  OpenDispute,
  orderFacts,
  orderStreamId,
} from '../../domain';
import {
  DisputeOutcome,
  DisputeStreams,
  idFor,
  InputOf,
  Issued,
  retryOnConflict,
} from '../dispute-streams';

/** Buyer: open a dispute on an order (its id, and its first proposal's, are created here). */
export class OpenDisputeCommand extends Command<DisputeOutcome> {
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
 * dispute stream (`no_stream`). Ids derive from the command id, so after a crash between the two a
 * retry with the same idempotency key finds its reservation and creates the same dispute.
 */
@CommandHandler(OpenDisputeCommand)
export class OpenDisputeHandler implements ICommandHandler<OpenDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ orderId, input, issued }: OpenDisputeCommand): Promise<DisputeOutcome> {
    // Per order too: a key reused on another order must not link that order to this dispute.
    const disputeId = idFor(issued, `dispute:${orderId}`);
    const proposalId = idFor(issued, `proposal:${orderId}`);
    return retryOnConflict(async () => {
      const order = await this.streams.loadOrder(orderId);
      const facts = orderFacts(order, await this.streams.previousDispute(order, disputeId));
      const open = (metadata: CommandMetadata): OpenDispute => ({
        type: 'OpenDispute',
        data: { ...input, disputeId, proposalId, order: facts },
        metadata,
      });
      const metadata = this.streams.metadataFor(issued);
      await this.streams.order(
        orderId,
        issued,
        () => ({ type: 'LinkDispute', data: { disputeId }, metadata }),
        {
          maxAttempts: 1,
          alsoDecide: (current) => {
            // Facts read at another revision may be stale (a dispute linked meanwhile): start over.
            if (current.revision !== order.revision) {
              throw new WrongExpectedRevisionError(
                orderStreamId(orderId),
                BigInt(order.revision),
                BigInt(current.revision),
              );
            }
            decide(open(metadata), initialState, this.streams.policy);
          },
        },
      );
      return this.streams.dispute(disputeId, issued, open);
    });
  }
}
