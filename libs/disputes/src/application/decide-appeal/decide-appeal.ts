import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { DecideAppeal } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** Senior mediator: the final decision on an appeal. */
export class DecideAppealCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<DecideAppeal, 'decisionId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(DecideAppealCommand)
export class DecideAppealHandler implements ICommandHandler<DecideAppealCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: DecideAppealCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): DecideAppeal => ({
      type: 'DecideAppeal',
      data: { ...input, decisionId: idFor(issued, 'decision') },
      metadata,
    }));
  }
}
