import { Inject, Injectable } from '@nestjs/common';
import type { EvidenceFiles } from '@arbiter/disputes/application/add-evidence/add-evidence';
import type { StoredFile } from '@arbiter/disputes';
import { BLOB_STORE, BlobStore } from './blob-store';

/**
 * The add-evidence handler's view of uploads (`EVIDENCE_FILES`), answered by the blob store.
 * Takes the receipt's `id` (`sha256:<hex>`) or the bare hex, so resolvers can pass either.
 */
@Injectable()
export class BlobStoreEvidenceFiles implements EvidenceFiles {
  constructor(@Inject(BLOB_STORE) private readonly blobs: BlobStore) {}

  async describe(reference: string): Promise<StoredFile | null> {
    const blob = await this.blobs.describe(reference.replace(/^sha256:/, ''));
    return blob ? { sha256: blob.sha256, mediaType: blob.mediaType, sizeBytes: blob.size } : null;
  }
}
