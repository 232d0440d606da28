import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ConfirmRefundPayout, Dispute, DomainError, Money } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Platform: the refund due was paid out; the dispute closes. */
export class ConfirmRefundPayoutCommand extends Command<DisputeOutcome> {
  readonly type = 'ConfirmRefundPayout';
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
 * on the same order knows what is left to refund.
 *
 * Recovery (an application concern, not a business rule): a crash between the two appends leaves
 * the dispute closed and the order without the refund. The order half is keyed on a refund id
 * derived from the dispute, not on the caller's command id, so any retry can complete it: a retry
 * that the dispute refuses as closed, while the dispute recorded exactly this payout (amount and
 * reference), skips the dispute half and records the order half, once (an order that already has
 * this refund appends nothing). A retry with other payout data is refused (DISPUTE_CLOSED).
 */
@CommandHandler(ConfirmRefundPayoutCommand)
export class ConfirmRefundPayoutHandler implements ICommandHandler<ConfirmRefundPayoutCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  async execute({ disputeId, input, issued }: ConfirmRefundPayoutCommand): Promise<DisputeOutcome> {
    const outcome = await this.streams
      .dispute(disputeId, issued, (metadata): ConfirmRefundPayout => ({
        type: 'ConfirmRefundPayout',
        data: input,
        metadata,
      }))
      .catch((error: unknown) => this.alreadyPaidOut(disputeId, input, error));
    const { orderId, refunded } = outcome.state as Dispute;
    await this.streams.order(
      orderId,
      issued,
      (metadata) => ({
        type: 'RecordRefundPayout',
        data: { refundId: `dispute-${disputeId}`, disputeId, amount: refunded as Money },
        metadata,
      }),
      { duplicateIsDone: true },
    );
    return outcome;
  }

  /** Recovery: the dispute as it stands when it already recorded exactly this payout; else `error`. */
  private async alreadyPaidOut(
    disputeId: string,
    input: ConfirmRefundPayoutCommand['input'],
    error: unknown,
  ): Promise<DisputeOutcome> {
    if (!(error instanceof DomainError) || error.code !== 'DISPUTE_CLOSED') throw error;
    const existing = await this.streams.answerWithDispute(disputeId);
    const paid = existing.history.findLast((e) => e.type === 'RefundPaidOut')?.data as
      { amount: Money; payoutReference: string } | undefined;
    const same =
      paid !== undefined &&
      paid.payoutReference === input.payoutReference &&
      paid.amount.amountMinor === input.amount.amountMinor &&
      paid.amount.currency === input.amount.currency;
    if (!same) throw error;
    return existing;
  }
}
