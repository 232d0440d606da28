import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Actor, AddEvidence, EvidenceKind, StoredFile, takesEvidenceFrom } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, Issued } from '../dispute-streams';

/** Injection token of the `EvidenceFiles` lookup (bound by the app to its uploads registry). */
export const EVIDENCE_FILES = Symbol('EVIDENCE_FILES');

/** Whose upload, for which dispute: a file belongs to the dispute and the party it was sent for. */
export interface EvidenceFileOwner {
  disputeId: string;
  uploader: Pick<Actor, 'id' | 'role'>;
}

/** What the app knows of an uploaded file; the client only names it by its sha256. */
export interface EvidenceFiles {
  /** The file `owner.uploader` uploaded for `owner.disputeId`, or null (also for anyone else's). */
  find(owner: EvidenceFileOwner, sha256: string): Promise<StoredFile | null>;
}

/** Without an app-provided lookup no file exists: only text evidence can be added. */
const NO_FILES: EvidenceFiles = { find: async () => null };

export interface AddEvidenceInput {
  kind: EvidenceKind;
  description: string;
  /** Exactly one of `text` and `fileSha256` (the decider refuses anything else). */
  text?: string | null;
  fileSha256?: string | null;
  answersRequestId?: string | null;
}

/** Buyer or seller: a photo, video, document, tracking proof or text, possibly answering a request. */
export class AddEvidenceCommand extends Command<DisputeOutcome> {
  readonly type = 'AddEvidence';
  constructor(
    readonly disputeId: string,
    readonly input: AddEvidenceInput,
    readonly issued: Issued,
  ) {
    super();
  }
}

/**
 * Size and media type come from the caller's own upload to this dispute, never from the client.
 * The upload is looked up only for who may add evidence here now; anyone else is sent on with
 * no file, and the decider refuses them for who they are or the dispute's state before it looks
 * at the file, so no refusal tells whether a file exists.
 */
@CommandHandler(AddEvidenceCommand)
export class AddEvidenceHandler implements ICommandHandler<AddEvidenceCommand> {
  constructor(
    private readonly streams: DisputeStreams,
    @Optional() @Inject(EVIDENCE_FILES) private readonly files: EvidenceFiles = NO_FILES,
  ) {}

  async execute({ disputeId, input, issued }: AddEvidenceCommand): Promise<DisputeOutcome> {
    const { kind, description, text, fileSha256, answersRequestId } = input;
    const file = fileSha256 ? await this.uploadOf(disputeId, issued.actor, fileSha256) : undefined;
    return this.streams.dispute(disputeId, issued, (metadata): AddEvidence => ({
      type: 'AddEvidence',
      data: {
        evidenceId: idFor(issued, 'evidence'),
        kind,
        description,
        content: { text: text ?? undefined, file } as AddEvidence['data']['content'],
        answersRequestId: answersRequestId ?? null,
      },
      metadata,
    }));
  }

  private async uploadOf(disputeId: string, actor: Actor, sha256: string) {
    const { state } = await this.streams.loadDispute(disputeId);
    if (!takesEvidenceFrom(actor, state)) return null;
    return this.files.find({ disputeId, uploader: actor }, sha256);
  }
}
