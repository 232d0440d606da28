import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { DecideDispute } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** The assigned mediator decides the case; parties may then accept or appeal. */
export class DecideDisputeCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<DecideDispute, 'decisionId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(DecideDisputeCommand)
export class DecideDisputeHandler implements ICommandHandler<DecideDisputeCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: DecideDisputeCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): DecideDispute => ({
      type: 'DecideDispute',
      data: { ...input, decisionId: idFor(issued, 'decision') },
      metadata,
    }));
  }
}
