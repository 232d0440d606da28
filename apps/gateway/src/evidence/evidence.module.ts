import { DynamicModule, Logger, Module } from '@nestjs/common';
import { EVIDENCE_FILES } from '@arbiter/disputes/application/add-evidence/add-evidence';
import { SQL_CONNECTION, type SqlConnection } from '@arbiter/platform';
import { BLOB_STORE } from './blob-store';
import { DisputePartyEvidenceAccessPolicy } from '../disputes/evidence-access';
import { EVIDENCE_ACCESS_POLICY } from './evidence-access.policy';
import { EVIDENCE_OPTIONS, EvidenceController, EvidenceOptions } from './evidence.controller';
import { RegisteredEvidenceFiles } from './evidence-files';
import { EvidenceUploads } from './evidence-uploads';
import { LocalBlobStore } from './local-blob-store';

/**
 * Evidence file uploads. Bytes go to the blob store; which dispute and which party each upload
 * was for goes to `EvidenceUploads` (the SQL database), which answers `EVIDENCE_FILES` (the
 * add-evidence handler's lookup) and counts the quotas. `EVIDENCE_ACCESS_POLICY` is bound to the
 * add-evidence rule of the disputes module (global DisputesGatewayModule).
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
        {
          provide: EvidenceUploads,
          inject: [SQL_CONNECTION],
          useFactory: async (connection: SqlConnection) => {
            const uploads = new EvidenceUploads(connection, options.quotas);
            await uploads.migrate();
            return uploads;
          },
        },
        { provide: EVIDENCE_ACCESS_POLICY, useExisting: DisputePartyEvidenceAccessPolicy },
        { provide: EVIDENCE_FILES, useClass: RegisteredEvidenceFiles },
      ],
      exports: [
        BLOB_STORE,
        EVIDENCE_ACCESS_POLICY,
        EVIDENCE_OPTIONS,
        EVIDENCE_FILES,
        EvidenceUploads,
      ],
    };
  }
}
