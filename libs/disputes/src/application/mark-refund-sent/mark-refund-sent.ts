import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { MarkRefundSent } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/**
 * Seller: they sent the refund due themselves. Recorded on the dispute only: the order learns of
 * the refund when the platform confirms the payout (ConfirmRefundPayout), so it is counted once.
 */
export class MarkRefundSentCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<MarkRefundSent>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(MarkRefundSentCommand)
export class MarkRefundSentHandler implements ICommandHandler<MarkRefundSentCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: MarkRefundSentCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): MarkRefundSent => ({
      type: 'MarkRefundSent',
      data: { ...input },
      metadata,
    }));
  }
}
