import { DynamicModule, Logger, Module } from '@nestjs/common';
import { CLOCK, type Clock } from '@arbiter/platform/clock';
import { EVIDENCE_FILES } from '@arbiter/disputes/application/add-evidence/add-evidence';
import { SQL_CONNECTION, type SqlConnection } from '@arbiter/platform';
import { BLOB_STORE } from './blob-store';
import { DisputePartyEvidenceAccessPolicy } from '../disputes/evidence-access';
import { EVIDENCE_ACCESS_POLICY } from './evidence-access.policy';
import { EVIDENCE_OPTIONS, EvidenceController, EvidenceOptions } from './evidence.controller';
import { EvidenceDownloadController } from './evidence-download.controller';
import {
  DEVELOPMENT_EVIDENCE_URL_SECRET,
  EVIDENCE_LINKS,
  EvidenceLinkOptions,
  EvidenceLinks,
} from './evidence-links';
import { RegisteredEvidenceFiles } from './evidence-files';
import { EvidenceUploads } from './evidence-uploads';
import { LocalBlobStore } from './local-blob-store';
import { StoredFileResolver } from './stored-file.resolver';

/**
 * Evidence files: uploads (`POST /evidence`) and downloads (`GET /evidence/:disputeId/:sha256`,
 * with a token or a signed link from `StoredFile.url`). Bytes go to the blob store; which dispute and which party each upload
 * was for goes to `EvidenceUploads` (the SQL database), which answers `EVIDENCE_FILES` (the
 * add-evidence handler's lookup) and counts the quotas. `EVIDENCE_ACCESS_POLICY` is bound to the
 * add-evidence rule of the disputes module (global DisputesGatewayModule).
 */
@Module({})
export class EvidenceModule {
  /** `links.secret`: EVIDENCE_URL_SECRET, which configuration requires in production. */
  static forRoot(
    options: EvidenceOptions,
    links: Omit<EvidenceLinkOptions, 'secret'> & { secret?: string },
  ): DynamicModule {
    return {
      module: EvidenceModule,
      global: true,
      controllers: [EvidenceController, EvidenceDownloadController],
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
        {
          provide: EVIDENCE_LINKS,
          inject: [CLOCK],
          useFactory: (clock: Clock) => {
            if (!links.secret) {
              new Logger('Evidence').warn(
                'EVIDENCE_URL_SECRET is not set: evidence links use a public development key (never in production)',
              );
            }
            const secret = links.secret ?? DEVELOPMENT_EVIDENCE_URL_SECRET;
            return new EvidenceLinks({ ...links, secret }, clock);
          },
        },
        StoredFileResolver,
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
