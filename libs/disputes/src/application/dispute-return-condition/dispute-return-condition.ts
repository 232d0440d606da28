import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { DisputeReturnCondition } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Seller: the returned item is not as agreed; the case goes (back) to mediation. */
export class DisputeReturnConditionCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<DisputeReturnCondition>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(DisputeReturnConditionCommand)
export class DisputeReturnConditionHandler implements ICommandHandler<DisputeReturnConditionCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: DisputeReturnConditionCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): DisputeReturnCondition => ({
      type: 'DisputeReturnCondition',
      data: { ...input },
      metadata,
    }));
  }
}
