import { DynamicModule, Global, Module } from '@nestjs/common';
import type { DisputePolicy } from '@arbiter/disputes';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import {
  DisputeProjectionsModule,
  DisputeQueries,
  READ_DB,
  type ReadDb,
} from '@arbiter/read-models';
import { LiveListMetrics } from '../metrics/live-list-metrics';
import { ProjectionMetrics } from '../metrics/projection-metrics';
import { AuditKeysController } from './audit-keys.controller';
import { DisputeAudit } from './dispute-audit';
import { DisputeFieldsResolver } from './dispute-fields.resolver';
import { DisputeUpdatedResolver } from './dispute-updated.resolver';
import { DisputeUpdates } from './dispute-updates';
import { DisputeParties } from './dispute-parties';
import { LiveListStats } from './live-list-stats';
import { LIVE_LIST_LIMITS, type LiveListLimits, LiveListsResolver } from './live-lists.resolver';
import { ReadAfterWrite } from './read-after-write';
import { ReadYourWritesPlugin } from './read-your-writes.plugin';
import { ReadResolver } from './read.resolver';
import { TimelineLoader } from './timeline.loader';

/**
 * The read side at the edge: the dispute projections (run when this process runs the runner),
 * the queries, the audit and read-your-writes for mutations. Needs ReadModelsModule and
 * EventStoreModule in the app. Global: the dispute mutations answer through ReadAfterWrite.
 */
@Global()
@Module({})
export class ReadModule {
  /**
   * `policy`: the deployment's dispute policy, the one the command side and the deadlines use;
   * `liveLists`: how far a live list may run ahead of its subscriber (defaults without).
   */
  static forRoot(policy: DisputePolicy, liveLists?: LiveListLimits): DynamicModule {
    return {
      module: ReadModule,
      imports: [DisputeProjectionsModule.forRoot(policy)],
      controllers: [AuditKeysController],
      providers: [
        {
          provide: DisputeQueries,
          inject: [READ_DB],
          useFactory: (db: ReadDb) => new DisputeQueries(db, policy),
        },
        {
          provide: DisputeAudit,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => new DisputeAudit(store, policy),
        },
        ReadAfterWrite,
        ReadYourWritesPlugin,
        ProjectionMetrics,
        ReadResolver,
        TimelineLoader,
        DisputeFieldsResolver,
        DisputeUpdates,
        DisputeUpdatedResolver,
        DisputeParties,
        LiveListsResolver,
        LiveListStats,
        LiveListMetrics,
        ...(liveLists ? [{ provide: LIVE_LIST_LIMITS, useValue: liveLists }] : []),
      ],
      exports: [DisputeQueries, ReadAfterWrite],
    };
  }
}
