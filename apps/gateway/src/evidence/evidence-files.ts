import { Injectable } from '@nestjs/common';
import type {
  EvidenceFileOwner,
  EvidenceFiles,
} from '@arbiter/disputes/application/add-evidence/add-evidence';
import type { StoredFile } from '@arbiter/disputes';
import { EvidenceUploads } from './evidence-uploads';

/**
 * The add-evidence handler's view of uploads (`EVIDENCE_FILES`): the uploads registry, which
 * knows a file only for the dispute and the party it was uploaded for. Takes the receipt's `id`
 * (`sha256:<hex>`) or the bare hex, so resolvers can pass either.
 */
@Injectable()
export class RegisteredEvidenceFiles implements EvidenceFiles {
  constructor(private readonly uploads: EvidenceUploads) {}

  find(owner: EvidenceFileOwner, reference: string): Promise<StoredFile | null> {
    return this.uploads.find(owner, reference.replace(/^sha256:/, ''));
  }
}
