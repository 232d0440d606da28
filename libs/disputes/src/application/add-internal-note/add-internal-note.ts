import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { AddInternalNote } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** Staff: a note that parties never see. */
export class AddInternalNoteCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<AddInternalNote, 'noteId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(AddInternalNoteCommand)
export class AddInternalNoteHandler implements ICommandHandler<AddInternalNoteCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: AddInternalNoteCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): AddInternalNote => ({
      type: 'AddInternalNote',
      data: { ...input, noteId: idFor(issued, 'note') },
      metadata,
    }));
  }
}
