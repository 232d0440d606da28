import { Inject } from '@nestjs/common';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { StoredFileType } from '../disputes/dispute.type';
import { SHA256_HEX } from './blob-store';
import { EVIDENCE_LINKS, EvidenceLink, EvidenceLinks } from './evidence-links';

/**
 * The download link of an evidence file. Whoever got this `StoredFile` may see it (the dispute
 * was shaped for them by the visibility rules), so the link is minted here without asking again;
 * a reference their view redacts (the platform's, analysts') is no hash, and gets no link.
 */
@Resolver(() => StoredFileType)
export class StoredFileResolver {
  /** One link per file object, so `url` and `urlExpiresAt` of one answer always agree. */
  private readonly minted = new WeakMap<StoredFileType, EvidenceLink | null>();

  constructor(@Inject(EVIDENCE_LINKS) private readonly links: EvidenceLinks) {}

  @ResolveField(() => String, {
    nullable: true,
    description:
      'A short-lived link that opens the file without a token (for <img>, <video> and plain links); ' +
      'it stops working at urlExpiresAt, after which querying the dispute again gives a fresh one. ' +
      'Null when the caller may not open files of this dispute. Relative to the API origin unless ' +
      'the server is configured with its public address.',
  })
  url(@Parent() file: StoredFileType): string | null {
    return this.link(file)?.url ?? null;
  }

  @ResolveField(() => Date, {
    nullable: true,
    description: 'When url stops working (a few minutes after the query); null with url.',
  })
  urlExpiresAt(@Parent() file: StoredFileType): Date | null {
    return this.link(file)?.expiresAt ?? null;
  }

  private link(file: StoredFileType): EvidenceLink | null {
    if (!this.minted.has(file)) {
      const openable = SHA256_HEX.test(file.sha256) && typeof file.disputeId === 'string';
      this.minted.set(file, openable ? this.links.mint(file.disputeId, file.sha256) : null);
    }
    return this.minted.get(file) ?? null;
  }
}
