import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { AppealDecision } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** A party appeals the decision with new information, inside the appeal window. */
export class AppealDecisionCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<AppealDecision, 'appealId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(AppealDecisionCommand)
export class AppealDecisionHandler implements ICommandHandler<AppealDecisionCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: AppealDecisionCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): AppealDecision => ({
      type: 'AppealDecision',
      data: { ...input, appealId: idFor(issued, 'appeal') },
      metadata,
    }));
  }
}
