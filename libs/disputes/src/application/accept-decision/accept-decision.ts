import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { AcceptDecision } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** A party accepts the mediator's decision. */
export class AcceptDecisionCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<AcceptDecision>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(AcceptDecisionCommand)
export class AcceptDecisionHandler implements ICommandHandler<AcceptDecisionCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: AcceptDecisionCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): AcceptDecision => ({
      type: 'AcceptDecision',
      data: { ...input },
      metadata,
    }));
  }
}
