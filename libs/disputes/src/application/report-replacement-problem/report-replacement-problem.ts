import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ReportReplacementProblem } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Buyer: the replacement did not arrive or is not as agreed; the case goes back to mediation. */
export class ReportReplacementProblemCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<ReportReplacementProblem>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(ReportReplacementProblemCommand)
export class ReportReplacementProblemHandler implements ICommandHandler<ReportReplacementProblemCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: ReportReplacementProblemCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): ReportReplacementProblem => ({
      type: 'ReportReplacementProblem',
      data: { ...input },
      metadata,
    }));
  }
}
