import { Inject, Optional } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AddEvidence, DomainError, EvidenceKind, StoredFile } from '../../domain';
import { DisputeOutcome, DisputeStreams, idFor, Issued } from '../dispute-streams';

/** Injection token of the `EvidenceFiles` lookup (bound by the app to its blob store). */
export const EVIDENCE_FILES = Symbol('EVIDENCE_FILES');

/** What the blob store knows of an uploaded file; the client only names it by its sha256. */
export interface EvidenceFiles {
  describe(sha256: string): Promise<StoredFile | null>;
}

/** Without an app-provided lookup no file exists: only text evidence can be added. */
const NO_FILES: EvidenceFiles = { describe: async () => null };

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
  constructor(
    readonly disputeId: string,
    readonly input: AddEvidenceInput,
    readonly issued: Issued,
  ) {
    super();
  }
}

/** Looks the file up first: size and media type come from the stored bytes, not from the client. */
@CommandHandler(AddEvidenceCommand)
export class AddEvidenceHandler implements ICommandHandler<AddEvidenceCommand> {
  constructor(
    private readonly streams: DisputeStreams,
    @Optional() @Inject(EVIDENCE_FILES) private readonly files: EvidenceFiles = NO_FILES,
  ) {}

  async execute({ disputeId, input, issued }: AddEvidenceCommand): Promise<DisputeOutcome> {
    const { kind, description, text, fileSha256, answersRequestId } = input;
    const file = fileSha256 ? await this.files.describe(fileSha256) : undefined;
    if (file === null)
      throw new DomainError('INVALID_EVIDENCE', 'no uploaded file has this sha256');
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
}
