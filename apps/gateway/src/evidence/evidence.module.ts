import { DynamicModule, Module } from '@nestjs/common';
import { BLOB_STORE } from './blob-store';
import { EVIDENCE_ACCESS_POLICY, RoleOnlyEvidenceAccessPolicy } from './evidence-access.policy';
import { EVIDENCE_OPTIONS, EvidenceController, EvidenceOptions } from './evidence.controller';
import { LocalBlobStore } from './local-blob-store';

/**
 * Evidence file uploads. `BLOB_STORE` is exported for the add-evidence command (to check that a
 * referenced file exists); `EVIDENCE_ACCESS_POLICY` is the seam where the dispute-aware rule goes.
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
        { provide: BLOB_STORE, useValue: new LocalBlobStore(options.directory) },
        { provide: EVIDENCE_ACCESS_POLICY, useClass: RoleOnlyEvidenceAccessPolicy },
      ],
      exports: [BLOB_STORE, EVIDENCE_ACCESS_POLICY, EVIDENCE_OPTIONS],
    };
  }
}
