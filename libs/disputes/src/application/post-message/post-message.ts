import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { PostMessage } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, InputOf, Issued } from '../dispute-streams';

/** Buyer or seller: a message on the dispute. */
export class PostMessageCommand extends Command<DisputeOutcome> {
  constructor(
    readonly disputeId: string,
    readonly input: InputOf<PostMessage, 'messageId'>,
    readonly issued: Issued,
  ) {
    super();
  }
}

@CommandHandler(PostMessageCommand)
export class PostMessageHandler implements ICommandHandler<PostMessageCommand> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ disputeId, input, issued }: PostMessageCommand): Promise<DisputeOutcome> {
    return this.streams.dispute(disputeId, issued, (metadata): PostMessage => ({
      type: 'PostMessage',
      data: { ...input, messageId: idFor(issued, 'message') },
      metadata,
    }));
  }
}
