import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ConfirmRefundPayout, Dispute, Money } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Platform: the refund due was paid out; the dispute closes. */
export class ConfirmRefundPayoutCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ConfirmRefundPayout>,
    readonly issued: Issued,
  ) {
    super();
  }
}

/**
 * The dispute decides (refund due, amount), then the order records the payout so a later dispute
 * on the same order knows what is left to refund. Both appends are idempotent by command id: a
 * retry after a crash between them completes the second.
 */
@CommandHandler(ConfirmRefundPayoutCommand)
export class ConfirmRefundPayoutHandler implements ICommandHandler<ConfirmRefundPayoutCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  async execute({ disputeId, input, issued }: ConfirmRefundPayoutCommand): Promise<DisputeOutcome> {
    const outcome = await this.streams.dispute(
      disputeId,
      issued,
      (metadata): ConfirmRefundPayout => ({
        type: 'ConfirmRefundPayout',
        data: input,
        metadata,
      }),
    );
    const { orderId, refunded } = outcome.state as Dispute;
    await this.streams.order(orderId, issued, (metadata) => ({
      type: 'RecordRefundPayout',
      data: { refundId: `dispute-${disputeId}`, disputeId, amount: refunded as Money },
      metadata,
    }));
    return outcome;
  }
}
