import { Inject } from '@nestjs/common';
import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { AUDIT_LOG, type AuditLog } from '@arbiter/audit';
import { type Actor, CurrentActor, Roles } from '@arbiter/auth';
import { type DisputeEventType, DomainError, STAFF_ROLES } from '@arbiter/disputes';
import { forViewer } from '@arbiter/disputes/read-side';
import { CLOCK, type Clock } from '@arbiter/platform';
import {
  DEFAULT_PAGE_SIZE,
  DisputeQueries,
  disputeStatistics,
  MAX_PAGE_SIZE,
  type Page,
  type QueriedDispute,
  READ_DB,
  type ReadDb,
  timelinePage,
} from '@arbiter/read-models';
import { pagedComplexity } from '../graphql/limits';
import { DisputeType, toDisputeType } from '../disputes/dispute.type';
import { DisputeAudit } from './dispute-audit';
import {
  AuditDigestInput,
  AuditDigestType,
  fromDigestInput,
  toDigestType,
  toVerificationType,
} from './audit.types';
import {
  AuditVerificationType,
  DisputeAuditType,
  DisputeConnectionType,
  DisputeFilterInput,
  DisputeStatsType,
  MediationQueueConnectionType,
  toMediationCase,
  MediationQueueArgs,
  DisputeListArgs,
  TimelineArgs,
  SellerMetricsType,
  TimelineConnectionType,
} from './read.types';
import { paging } from './paging';

/** A dispute the caller may not see answers exactly like a missing one (mapped to FORBIDDEN for parties). */
const missing = () => new DomainError('DISPUTE_NOT_FOUND');

const disputes = (page: Page<QueriedDispute>): DisputeConnectionType => ({
  ...page,
  edges: page.edges.map((edge) => ({
    cursor: edge.cursor,
    node: toDisputeType(edge.node),
  })),
});

/** The read side's queries: GraphQL arguments → read-model queries, read models → GraphQL types. */
const PAGE_COMPLEXITY = pagedComplexity({ max: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE });

@Resolver()
export class ReadResolver {
  constructor(
    @Inject(DisputeQueries) private readonly queries: DisputeQueries,
    @Inject(READ_DB) private readonly db: ReadDb,
    @Inject(DisputeAudit) private readonly audit: DisputeAudit,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AUDIT_LOG) private readonly auditLog: AuditLog,
  ) {}

  @Roles('buyer')
  @Query(() => DisputeConnectionType, {
    description: 'The caller’s disputes as a buyer, newest first.',
    complexity: PAGE_COMPLEXITY,
  })
  async myDisputes(
    @CurrentActor() actor: Actor,
    @Args() args: DisputeListArgs,
  ): Promise<DisputeConnectionType> {
    return disputes(await paging(() => this.queries.buyerDisputes(actor, args.filter ?? {}, args)));
  }

  @Roles('seller')
  @Query(() => DisputeConnectionType, {
    description: 'Disputes on the caller’s orders as a seller, newest first.',
    complexity: PAGE_COMPLEXITY,
  })
  async sellerDisputes(
    @CurrentActor() actor: Actor,
    @Args() args: DisputeListArgs,
  ): Promise<DisputeConnectionType> {
    return disputes(
      await paging(() => this.queries.sellerDisputes(actor, args.filter ?? {}, args)),
    );
  }

  @Roles('seller')
  @Query(() => SellerMetricsType, {
    description: 'The caller’s 30-day seller metrics: dispute, escalation and at-fault rates.',
  })
  async sellerMetrics(@CurrentActor() actor: Actor): Promise<SellerMetricsType> {
    return this.queries.sellerMetrics(actor.id, new Date(this.clock.now()));
  }

  @Roles(...STAFF_ROLES)
  @Query(() => MediationQueueConnectionType, {
    description: 'Escalated cases, earliest deadline first, then longest waiting; with flags.',
    complexity: PAGE_COMPLEXITY,
  })
  async mediationQueue(
    @CurrentActor() actor: Actor,
    @Args() args: MediationQueueArgs,
  ): Promise<MediationQueueConnectionType> {
    const result = await paging(() => this.queries.mediationQueue(actor, args.filter ?? {}, args));
    return {
      ...result,
      edges: result.edges.map(({ cursor, node }) => ({
        cursor,
        node: toMediationCase(node),
      })),
    };
  }

  @Query(() => DisputeType, {
    description:
      'One dispute as the caller may see it; FORBIDDEN when not the caller’s to see, or missing (staff get DISPUTE_NOT_FOUND for a missing one).',
  })
  async dispute(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID, description: 'The dispute id.' }) id: string,
  ): Promise<DisputeType> {
    const view = await this.queries.dispute(actor, id);
    if (!view) throw missing();
    return toDisputeType(view);
  }

  @Query(() => TimelineConnectionType, {
    description: 'A dispute’s events in plain words, oldest first, filtered for the caller’s role.',
    complexity: PAGE_COMPLEXITY,
  })
  async disputeTimeline(
    @CurrentActor() actor: Actor,
    @Args() args: TimelineArgs,
  ): Promise<TimelineConnectionType> {
    if (!(await this.queries.canView(actor, args.id))) throw missing();
    return paging(() => timelinePage(this.db, actor, args.id, args));
  }

  @Roles('analyst', ...STAFF_ROLES)
  @Query(() => DisputeStatsType, {
    description: 'Counts by status, reason and outcome, and the median time to resolution.',
  })
  async disputeStats(
    @Args('filter', {
      type: () => DisputeFilterInput,
      nullable: true,
      description: 'Bounds on the disputes counted.',
    })
    filter?: DisputeFilterInput,
  ): Promise<DisputeStatsType> {
    return disputeStatistics(this.db, filter ?? {});
  }

  @Roles(...STAFF_ROLES)
  @Query(() => DisputeAuditType, {
    description: 'The dispute as it stood at a revision or an instant, replayed from its events.',
  })
  async disputeAudit(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID, description: 'The dispute id.' }) id: string,
    @Args('asOfRevision', {
      type: () => Int,
      nullable: true,
      description: 'Include events up to this revision.',
    })
    asOfRevision?: number,
    @Args('asOfTime', {
      type: () => Date,
      nullable: true,
      description: 'Include events recorded at or before this instant.',
    })
    asOfTime?: Date,
  ): Promise<DisputeAuditType> {
    const result = await this.audit.asOf(id, { asOfRevision, asOfTime });
    if (!result) throw missing();
    return {
      revision: result.revision,
      state: JSON.stringify(result.state),
      dispute: result.view && toDisputeType(forViewer(result.view, actor, this.audit.policy)),
      events: result.events.map((e) => ({
        revision: Number(e.revision),
        // A dispute's stream holds dispute events only: the replay above reads them as such.
        type: e.type as DisputeEventType,
        recordedAt: e.recordedAt,
        data: JSON.stringify(e.data),
        hash: typeof e.metadata.hash === 'string' ? e.metadata.hash : null,
      })),
    };
  }

  @Roles(...STAFF_ROLES)
  @Query(() => AuditVerificationType, {
    description:
      'Checks the hash chain of a dispute’s stored events and, given a digest kept outside Arbiter, the dispute against it (with inclusion proofs).',
  })
  async disputeAuditVerify(
    @Args('id', { type: () => ID, description: 'The dispute id.' }) id: string,
    @Args('digest', {
      type: () => AuditDigestInput,
      nullable: true,
      description: 'A digest from `auditDigest`, as it was received.',
    })
    digest?: AuditDigestInput | null,
  ): Promise<AuditVerificationType> {
    const result = await this.audit.verify(id);
    if (result.events === 0) throw missing();
    const checked = digest
      ? toVerificationType(await this.auditLog.verify(fromDigestInput(digest), { disputeId: id }))
      : null;
    return {
      intact: result.intact && (checked?.intact ?? true),
      events: result.events,
      brokenAtRevision: result.intact ? null : Number(result.brokenAtRevision),
      digest: checked,
    };
  }

  @Roles(...STAFF_ROLES)
  @Query(() => AuditDigestType, {
    description:
      'The newest signed digest of the whole event log (one is signed now if none exists yet, or with `fresh`).',
  })
  async auditDigest(
    @Args('fresh', {
      type: () => Boolean,
      defaultValue: false,
      description: 'Sign a digest of the log as it is now (when it grew since the newest).',
    })
    fresh: boolean,
  ): Promise<AuditDigestType> {
    const latest = fresh ? null : await this.auditLog.latest();
    return toDigestType(latest ?? (await this.auditLog.publish()));
  }
}
