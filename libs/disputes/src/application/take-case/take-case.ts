import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { TakeCase } from '../../domain';
import { DisputeOutcome, DisputeStreams, InputOf, Issued } from '../dispute-streams';

/** Mediator (or senior mediator): take an escalated case from the queue. */
export class TakeCaseCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<TakeCase>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(TakeCaseCommand)
export class TakeCaseHandler implements ICommandHandler<TakeCaseCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: TakeCaseCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): TakeCase => ({
      type: 'TakeCase',
      data: { ...input },
      metadata,
    }));
  }
}
