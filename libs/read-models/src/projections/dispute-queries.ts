import {
  type Actor,
  AUDIENCE_OF_ROLE,
  DEFAULT_POLICY,
  type DisputePolicy,
  type DisputeView,
  forViewer,
  type ViewerDispute,
} from '@arbiter/disputes/read-side';
import { and, asc, count, desc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import type { ReadDb } from '../database';
import { buyerDisputes, mediatorCases, sellerDisputes, sellerOrders } from '../schema';
import { allOf, type DisputeListFilter, filterConditions } from './shared/filters';
import { BUYER_VIEW } from './buyer-view/buyer-view.projection';
import { MEDIATOR_VIEW } from './mediator-view/mediator-view.projection';
import { SELLER_VIEW } from './seller-view/seller-view.projection';
import { decodeCursor, type Page, type PageArgs, pageWindow, toPage } from './shared/pagination';
import { usableView } from './shared/stored-view';
import { viewFromTimeline } from './timeline/timeline.queries';
import { VIEW_SOURCE_OF_ROLE } from './shared/view-of-role';

/** What the mediators' view adds to a dispute; null for every other audience. */
export interface StaffFacts {
  mediatorId: string | null;
  queuedAt: Date | null;
  /** The earliest armed deadline (evidence requests included). */
  deadlineAt: Date | null;
  abuseSignal: { flagged: boolean; disputes: number; orders: number };
}

/** A dispute as a query answers it: the viewer's view, with the staff's facts for staff. */
export interface QueriedDispute extends ViewerDispute {
  staff: StaffFacts | null;
}

export interface QueueFilter extends DisputeListFilter {
  /** Only cases flagged (true) or not flagged (false) by the buyer abuse signal. */
  abuseSignal?: boolean | null;
  /** Only cases no mediator has taken. */
  unassigned?: boolean | null;
}

export interface SellerMetrics {
  sellerId: string;
  windowDays: number;
  from: Date;
  to: Date;
  orders: number;
  disputes: number;
  escalated: number;
  atFault: number;
  /** disputes / orders; null without orders. */
  disputeRate: number | null;
  /** escalated / disputes; null without disputes. */
  escalationRate: number | null;
  /** Disputes closed against the seller by mediation, appeal or a timeout / disputes; null without disputes. */
  sellerAtFaultRate: number | null;
}

const DAY_MS = 86_400_000;

/** A row's view, refused when stored under another view version (never shown half-understood). */
const stored = (projection: string, row: { disputeId: string; view: DisputeView }) =>
  usableView(projection, row.disputeId, row.view);
const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

type MediatorRow = typeof mediatorCases.$inferSelect;
const staffFacts = (row: MediatorRow): StaffFacts => ({
  mediatorId: row.mediatorId,
  queuedAt: row.queuedAt,
  deadlineAt: row.deadlineAt,
  abuseSignal: { flagged: row.abuseSignal, disputes: row.abuseDisputes, orders: row.abuseOrders },
});

/** What the mediation queue holds: escalated cases (unless `status` says otherwise), filtered. */
function queueConditions(filter: QueueFilter): SQL | undefined {
  const t = mediatorCases;
  return allOf([
    ...filterConditions(t, {
      ...filter,
      status: filter.status?.length ? filter.status : ['IN_MEDIATION', 'IN_APPEAL'],
    }),
    filter.abuseSignal === undefined || filter.abuseSignal === null
      ? undefined
      : eq(t.abuseSignal, filter.abuseSignal),
    filter.unassigned ? isNull(t.mediatorId) : undefined,
  ]);
}

/**
 * The read side's questions, shaped by who asks. Framework-free: the gateway's resolvers call it
 * with the authenticated actor. A dispute the viewer may not see reads as missing (null).
 */
export class DisputeQueries {
  constructor(
    private readonly db: ReadDb,
    private readonly policy: DisputePolicy = DEFAULT_POLICY,
  ) {}

  /** The buyer's own disputes, newest first. */
  async buyerDisputes(
    buyer: Actor,
    filter: DisputeListFilter,
    args: PageArgs,
  ): Promise<Page<QueriedDispute>> {
    const t = buyerDisputes;
    return this.newestFirst(
      t,
      [eq(t.buyerId, buyer.id), ...filterConditions(t, filter)],
      args,
      (row) => this.shown(stored(BUYER_VIEW, row), buyer),
    );
  }

  /** Disputes on the seller's orders, newest first. */
  async sellerDisputes(
    seller: Actor,
    filter: DisputeListFilter,
    args: PageArgs,
  ): Promise<Page<QueriedDispute>> {
    const t = sellerDisputes;
    return this.newestFirst(
      t,
      [eq(t.sellerId, seller.id), ...filterConditions(t, filter)],
      args,
      (row) => this.shown(stored(SELLER_VIEW, row), seller),
    );
  }

  /**
   * Escalated cases (IN_MEDIATION and IN_APPEAL unless `status` says otherwise), earliest armed
   * deadline first, then the longest waiting.
   */
  async mediationQueue(
    viewer: Actor,
    filter: QueueFilter,
    args: PageArgs,
  ): Promise<Page<QueriedDispute>> {
    const t = mediatorCases;
    const page = pageWindow(args);
    const dueKey = sql`coalesce(${t.deadlineAt}, 'infinity'::timestamptz)`;
    const ageKey = sql`coalesce(${t.queuedAt}, ${t.openedAt})`;
    const where = queueConditions(filter);
    // Backward reads the same key order in reverse, from `before`; toPage restores the order.
    const keys = [dueKey, ageKey, sql`${t.disputeId}`];
    let from: SQL | undefined;
    if (page.cursor !== null) {
      const [due, age, id] = decodeCursor(
        page.cursor,
        ['instantOrInfinity', 'instant', 'id'],
        page.backward ? 'before' : 'after',
      );
      const key = sql`(${dueKey}, ${ageKey}, ${t.disputeId})`;
      const at = sql`(${due}::timestamptz, ${age}::timestamptz, ${id})`;
      from = page.backward ? sql`${key} < ${at}` : sql`${key} > ${at}`;
    }
    const rows = await this.db
      .select()
      .from(t)
      .where(allOf([where, from]))
      .orderBy(...keys.map((k) => (page.backward ? desc(k) : asc(k))))
      .limit(page.size + 1);
    const [{ total }] = await this.db.select({ total: count() }).from(t).where(where);
    return toPage(
      rows,
      page,
      Number(total),
      (row) => [
        row.deadlineAt?.toISOString() ?? 'infinity',
        (row.queuedAt ?? row.openedAt).toISOString(),
        row.disputeId,
      ],
      (row) => this.shown(stored(MEDIATOR_VIEW, row), viewer, staffFacts(row)),
    );
  }

  /**
   * One case as `mediationQueue(filter)` shows it, whether the queue (with that filter) holds it
   * now, and whether it was ever queued; null when the dispute does not exist.
   */
  async queueCase(
    viewer: Actor,
    filter: QueueFilter,
    disputeId: string,
  ): Promise<{ node: QueriedDispute; inQueue: boolean; everQueued: boolean } | null> {
    const t = mediatorCases;
    const inQueue = queueConditions(filter) ?? sql`true`;
    const [found] = await this.db
      .select({ row: t, inQueue: sql<boolean>`coalesce(${inQueue}, false)` })
      .from(t)
      .where(eq(t.disputeId, disputeId));
    if (!found) return null;
    return {
      node: this.shown(stored(MEDIATOR_VIEW, found.row), viewer, staffFacts(found.row)),
      inQueue: found.inQueue === true || String(found.inQueue) === 'true',
      everQueued: found.row.queuedAt !== null,
    };
  }

  /** One dispute as `viewer` may see it; null when it does not exist or is not theirs to see. */
  async dispute(viewer: Actor, disputeId: string): Promise<QueriedDispute | null> {
    switch (VIEW_SOURCE_OF_ROLE[viewer.role]) {
      case 'staff': {
        const [row] = await this.db
          .select()
          .from(mediatorCases)
          .where(eq(mediatorCases.disputeId, disputeId));
        return row ? this.shown(stored(MEDIATOR_VIEW, row), viewer, staffFacts(row)) : null;
      }
      // Every dispute, folded from the timeline's events by the same `evolveView` for the
      // role's audience: no personal free text for analysts nor for the platform.
      case 'timeline': {
        const view = await viewFromTimeline(this.db, AUDIENCE_OF_ROLE[viewer.role], disputeId);
        return view && this.shown(view, viewer);
      }
      case 'seller': {
        const [row] = await this.db
          .select()
          .from(sellerDisputes)
          .where(
            and(eq(sellerDisputes.disputeId, disputeId), eq(sellerDisputes.sellerId, viewer.id)),
          );
        return row ? this.shown(stored(SELLER_VIEW, row), viewer) : null;
      }
      case 'buyer': {
        const [row] = await this.db
          .select()
          .from(buyerDisputes)
          .where(and(eq(buyerDisputes.disputeId, disputeId), eq(buyerDisputes.buyerId, viewer.id)));
        return row ? this.shown(stored(BUYER_VIEW, row), viewer) : null;
      }
    }
  }

  /** Whether `viewer` may see the dispute at all (for the timeline and audit entry points). */
  async canView(viewer: Actor, disputeId: string): Promise<boolean> {
    if (viewer.role === 'seller') {
      const [row] = await this.db
        .select({ id: sellerDisputes.disputeId })
        .from(sellerDisputes)
        .where(
          and(eq(sellerDisputes.disputeId, disputeId), eq(sellerDisputes.sellerId, viewer.id)),
        );
      return row !== undefined;
    }
    const owner = viewer.role === 'buyer' ? eq(buyerDisputes.buyerId, viewer.id) : undefined;
    const [row] = await this.db
      .select({ id: buyerDisputes.disputeId })
      .from(buyerDisputes)
      .where(and(eq(buyerDisputes.disputeId, disputeId), owner));
    return row !== undefined;
  }

  /** docs/domain.md#seller-metrics over the `sellerMetricsWindowDays` before `now`. */
  async sellerMetrics(sellerId: string, now: Date): Promise<SellerMetrics> {
    const windowDays = this.policy.sellerMetricsWindowDays;
    const from = new Date(now.getTime() - windowDays * DAY_MS);
    const inWindow = and(
      eq(sellerDisputes.sellerId, sellerId),
      gt(sellerDisputes.openedAt, from),
      sql`${sellerDisputes.openedAt} <= ${now}`,
    );
    const [facts] = await this.db
      .select({
        disputes: count(),
        escalated: count(sellerDisputes.escalatedAt),
        atFault: sql<string>`count(*) filter (where ${sellerDisputes.sellerAtFault})`,
      })
      .from(sellerDisputes)
      .where(inWindow);
    const [{ orders }] = await this.db
      .select({ orders: count() })
      .from(sellerOrders)
      .where(
        and(
          eq(sellerOrders.sellerId, sellerId),
          gt(sellerOrders.placedAt, from),
          sql`${sellerOrders.placedAt} <= ${now}`,
        ),
      );
    const disputes = Number(facts.disputes);
    const escalated = Number(facts.escalated);
    const atFault = Number(facts.atFault);
    return {
      sellerId,
      windowDays,
      from,
      to: now,
      orders: Number(orders),
      disputes,
      escalated,
      atFault,
      disputeRate: ratio(disputes, Number(orders)),
      escalationRate: ratio(escalated, disputes),
      sellerAtFaultRate: ratio(atFault, disputes),
    };
  }

  /** A stored view for `viewer`: their next action, and the staff's facts for staff only. */
  private shown(view: DisputeView, viewer: Actor, staff: StaffFacts | null = null): QueriedDispute {
    const isStaff = AUDIENCE_OF_ROLE[viewer.role] === 'staff';
    return { ...forViewer(view, viewer, this.policy), staff: isStaff ? staff : null };
  }

  private async newestFirst<T extends typeof buyerDisputes | typeof sellerDisputes>(
    t: T,
    conditions: (SQL | undefined)[],
    args: PageArgs,
    map: (row: T['$inferSelect']) => QueriedDispute,
  ): Promise<Page<QueriedDispute>> {
    const page = pageWindow(args);
    const where = allOf(conditions);
    // Newest first; backward reads oldest first from `before` and toPage restores the order.
    let from: SQL | undefined;
    if (page.cursor !== null) {
      const [openedAt, id] = decodeCursor(
        page.cursor,
        ['instant', 'id'],
        page.backward ? 'before' : 'after',
      );
      const key = sql`(${t.openedAt}, ${t.disputeId})`;
      const at = sql`(${openedAt}::timestamptz, ${id})`;
      from = page.backward ? sql`${key} > ${at}` : sql`${key} < ${at}`;
    }
    const order = page.backward ? asc : desc;
    const rows = (await this.db
      .select()
      .from(t as typeof buyerDisputes)
      .where(allOf([where, from]))
      .orderBy(order(t.openedAt), order(t.disputeId))
      .limit(page.size + 1)) as T['$inferSelect'][];
    const [{ total }] = await this.db
      .select({ total: count() })
      .from(t as typeof buyerDisputes)
      .where(where);
    return toPage(
      rows,
      page,
      Number(total),
      (row) => [row.openedAt.toISOString(), row.disputeId],
      map,
    );
  }
}
