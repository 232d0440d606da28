import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { RequestEvidence } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** The assigned mediator asks a party for evidence, with a deadline. */
export class RequestEvidenceCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<RequestEvidence, 'requestId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(RequestEvidenceCommand)
export class RequestEvidenceHandler implements ICommandHandler<RequestEvidenceCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: RequestEvidenceCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): RequestEvidence => ({
      type: 'RequestEvidence',
      data: { ...input, requestId: idFor(issued, 'evidence-request') },
      metadata,
    }));
  }
}
