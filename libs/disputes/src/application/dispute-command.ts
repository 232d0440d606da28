import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { DisputeCommand } from '../domain';
import { commandData, TableCommandType, TableInput } from './command-table';
import { DisputeOutcome, DisputeStreams, Issued } from './dispute-streams';

/**
 * A table command (`DISPUTE_COMMANDS`) on its way to the bus: which command, on which dispute,
 * with the client's input, issued by whom. Its request fingerprint is its type, dispute and input.
 */
export class DisputeCommandMessage<
  T extends TableCommandType = TableCommandType,
> extends Command<DisputeOutcome> {
  constructor(
    readonly type: T,
    readonly disputeId: string,
    readonly input: TableInput<T>,
    readonly issued: Issued,
  ) {
    super();
  }
}

/** The one handler of every table command: load the dispute, decide, append (`DisputeStreams`). */
@CommandHandler(DisputeCommandMessage)
export class DisputeCommandHandler implements ICommandHandler<DisputeCommandMessage> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ type, disputeId, input, issued }: DisputeCommandMessage): Promise<DisputeOutcome> {
    const data = commandData(type, input, issued);
    return this.streams.dispute(
      disputeId,
      issued,
      (metadata) => ({ type, data, metadata }) as DisputeCommand,
    );
  }
}
