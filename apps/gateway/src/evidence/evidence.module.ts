import { DynamicModule, Logger, Module } from '@nestjs/common';
import { EVIDENCE_FILES } from '@arbiter/disputes/application/add-evidence/add-evidence';
import { BLOB_STORE } from './blob-store';
import { DisputePartyEvidenceAccessPolicy } from '../disputes/evidence-access';
import { EVIDENCE_ACCESS_POLICY } from './evidence-access.policy';
import { EVIDENCE_OPTIONS, EvidenceController, EvidenceOptions } from './evidence.controller';
import { BlobStoreEvidenceFiles } from './evidence-files';
import { LocalBlobStore } from './local-blob-store';

/**
 * Evidence file uploads. `EVIDENCE_FILES` (the add-evidence handler's lookup) is bound to the blob
 * store; `EVIDENCE_ACCESS_POLICY` to the party-only rule of the disputes module (global
 * DisputesGatewayModule): only the dispute's own buyer or seller may upload to it.
 */
@Module({})
export class EvidenceModule {
  static forRoot(options: EvidenceOptions): DynamicModule {
    return {
      module: EvidenceModule,
      global: true,
      controllers: [EvidenceController],
      providers: [
        { provide: EVIDENCE_OPTIONS, useValue: options },
        {
          provide: BLOB_STORE,
          useFactory: async () => {
            const store = new LocalBlobStore(options.directory);
            // Past the upload time limit no live upload can still own a temporary file.
            const removed = await store.sweepTemporary(options.uploadTimeoutMs);
            if (removed)
              new Logger('Evidence').warn(`Removed ${removed} stale temporary upload file(s)`);
            return store;
          },
        },
        { provide: EVIDENCE_ACCESS_POLICY, useExisting: DisputePartyEvidenceAccessPolicy },
        { provide: EVIDENCE_FILES, useClass: BlobStoreEvidenceFiles },
      ],
      exports: [BLOB_STORE, EVIDENCE_ACCESS_POLICY, EVIDENCE_OPTIONS, EVIDENCE_FILES],
    };
  }
}
