import type { RecordedEvent } from '@arbiter/event-store';
import {
  DISPUTE_EVENT_TYPES,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeView,
  evolveView,
  initialView,
  pendingDeadlinesOf,
} from '@arbiter/disputes/read-side';
import {
  deadlineDisputeStates,
  deadlines,
  insertRows,
  type Projection,
  type ReadTx,
} from '@arbiter/read-models';
import { and, eq, inArray, lte, notInArray, sql } from 'drizzle-orm';
import { deadlineCommandId } from '@arbiter/disputes/application/fire-deadline/fire-deadline';

export const DEADLINES_PROJECTION = 'deadlines';

/**
 * The deadline process manager, run as a projection: per dispute event it folds the dispute's
 * stored staff view with the domain's `evolveView` (the read side's one fold, as every view is
 * built; never the decider's state) and makes the dispute's rows in `read_models.deadlines` equal
 * `pendingDeadlinesOf(view)`. The runner commits these writes with the checkpoint, so every
 * `dueAt` the domain announces is stored exactly once, and cancelled or moved when the dispute
 * moves on. No event-store IO inside the transaction: the view comes from
 * `deadline_dispute_states`. Firing stays the decider's: it ignores a deadline no longer armed.
 *
 * A deadline that stays armed keeps its row (and so its lease and fired mark): its id is the
 * deterministic command id of firing it (`deadlineCommandId`: dispute, kind, request, dueAt).
 *
 * A batch costs a fixed number of statements whatever its size: one read of the batch's disputes'
 * views, the fold in memory, then one multi-row upsert of the views, one DELETE and one
 * multi-row INSERT of the deadlines (in chunks). The rows it leaves are exactly those the events
 * applied one at a time would leave, `armed_position` included (see `DisputeFold`).
 */
export function deadlinesProcessManager(policy: DisputePolicy): Projection {
  const upsertViews = insertRows(
    deadlineDisputeStates,
    `("dispute_id") DO UPDATE SET "view" = excluded."view", ` +
      `"last_position" = excluded."last_position", "updated_at" = now()`,
  );
  const insertDeadlines = insertRows(deadlines, '("id") DO NOTHING');
  const applyBatch = async (events: readonly RecordedEvent[], tx: ReadTx): Promise<void> => {
    const disputeIds = [
      ...new Set(events.map((event) => (event.data as { disputeId: string }).disputeId)),
    ];
    const stored = new Map<string, StoredView>();
    for (const chunk of chunked(disputeIds, READ_CHUNK)) {
      const rows = await tx
        .select({
          disputeId: deadlineDisputeStates.disputeId,
          view: deadlineDisputeStates.view,
          lastPosition: deadlineDisputeStates.lastPosition,
        })
        .from(deadlineDisputeStates)
        .where(inArray(deadlineDisputeStates.disputeId, chunk));
      for (const row of rows)
        stored.set(row.disputeId, {
          view: row.view as DisputeView,
          lastPosition: row.lastPosition,
        });
    }

    const folds = new Map<string, DisputeFold>();
    for (const event of events) {
      const domainEvent = event as unknown as DisputeEvent;
      const disputeId = domainEvent.data.disputeId;
      let fold = folds.get(disputeId);
      if (!fold) folds.set(disputeId, (fold = new DisputeFold(disputeId, stored.get(disputeId))));
      fold.apply(domainEvent, event.position, policy, testClockOf(event));
    }
    const changed = [...folds.values()].filter((fold) => fold.changed);
    if (changed.length === 0) return;

    // Nothing before a DisputeOpened makes a view: such a dispute has no row and no deadline.
    const opened = changed.filter((fold) => fold.view !== null);
    await upsertViews(
      tx,
      opened.map((fold) => ({
        disputeId: fold.disputeId,
        view: fold.view,
        lastPosition: fold.lastPosition,
      })),
    );
    // Every row of a changed dispute goes but those armed since before its first event here.
    for (const chunk of chunked(changed, READ_CHUNK)) {
      const keep = chunk.flatMap((fold) => fold.keptIds());
      const ids = chunk.map((fold) => fold.disputeId);
      await tx
        .delete(deadlines)
        .where(
          keep.length
            ? and(inArray(deadlines.disputeId, ids), notInArray(deadlines.id, keep))
            : inArray(deadlines.disputeId, ids),
        );
    }
    await insertDeadlines(
      tx,
      changed.flatMap((fold) => fold.rows()),
    );
  };
  return {
    name: DEADLINES_PROJECTION,
    eventTypes: DISPUTE_EVENT_TYPES,
    apply: (event, tx) => applyBatch([event], tx),
    applyBatch,
    // Rebuilt blue/green: the scheduler keeps claiming from the live table until the switch.
    tables: [deadlines, deadlineDisputeStates],
    // The scheduler's own columns are not in the log: a deadline the rebuild arms again (same
    // id: same dispute, kind, request and dueAt) keeps its lease, attempts, error and marks, so
    // the switch neither fires a claimed deadline a second time nor retries a failed one.
    async carryOver(db, rebuilt) {
      await db.execute(sql`
        UPDATE ${rebuilt(deadlines)} AS r
           SET claimed_until = l.claimed_until, claimed_by = l.claimed_by, attempts = l.attempts,
               last_error = l.last_error, fired_at = l.fired_at, failed_at = l.failed_at
          FROM ${deadlines} AS l
         WHERE r.id = l.id`);
    },
    async reset(tx: ReadTx): Promise<void> {
      await tx.delete(deadlines);
      await tx.delete(deadlineDisputeStates);
    },
    // The held staff view folded afresh (a person's data erased); the deadlines it arms depend on
    // no personal field, so their rows stay.
    async refold(events, tx): Promise<boolean> {
      const last = events.at(-1);
      if (!last) return true;
      let view: DisputeView | null = initialView();
      for (const event of events) view = evolveView(view, event as DisputeEvent, 'staff');
      if (!view) return true;
      const disputeId = (last.data as { disputeId: string }).disputeId;
      const updated = await tx
        .update(deadlineDisputeStates)
        .set({ view, lastPosition: last.position, updatedAt: sql`now()` })
        .where(
          and(
            eq(deadlineDisputeStates.disputeId, disputeId),
            lte(deadlineDisputeStates.lastPosition, last.position),
          ),
        )
        .returning({ disputeId: deadlineDisputeStates.disputeId });
      if (updated.length > 0) return true;
      const [row] = await tx
        .select({ disputeId: deadlineDisputeStates.disputeId })
        .from(deadlineDisputeStates)
        .where(eq(deadlineDisputeStates.disputeId, disputeId));
      return !row;
    },
  };
}

/**
 * Staging: the test clock a dispute is dated by, which the command side records in the metadata of
 * each of its events; the deadline row keeps it so the scheduler compares `due_at` with that
 * clock. Events without one (every production event, every event from before test clocks): null.
 */
function testClockOf(event: RecordedEvent): string | null {
  const id = event.metadata.testClockId;
  return typeof id === 'string' ? id : null;
}

/** Ids per `IN (…)` list: well below PostgreSQL's 65,535 parameters. */
const READ_CHUNK = 1000;

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    chunks.push(items.slice(start, start + size));
  return chunks;
}

type DeadlineRow = typeof deadlines.$inferInsert;
interface StoredView {
  view: DisputeView;
  lastPosition: bigint;
}

/**
 * One dispute's events of a batch folded in memory, with the deadline rows they would have left
 * applied one at a time (each event: delete the rows no longer pending, insert the new ones with
 * `ON CONFLICT DO NOTHING`):
 * - a deadline pending from the dispute's first event here onwards without a break is the row
 *   already stored, if any (kept as it is: lease, attempts, fired mark), else a new row armed at
 *   that first event;
 * - a deadline that (re)appears at a later event was deleted by an earlier one (or never stored):
 *   a new row armed at the event where it last appeared.
 * So the writes are: delete the dispute's rows except the first kind, insert both kinds with
 * `ON CONFLICT DO NOTHING`.
 */
class DisputeFold {
  view: DisputeView | null;
  lastPosition: bigint;
  changed = false;
  /**
   * A view is stored or folded here, so `lastPosition` tells a replay apart. A dispute not opened
   * yet has no row: refolding its events gives null again, so it needs no guard.
   */
  private known: boolean;
  /** Pending now: row values, and whether it has been pending since the first event applied here. */
  private pending = new Map<string, { row: DeadlineRow; sinceFirst: boolean }>();

  constructor(
    readonly disputeId: string,
    stored: StoredView | undefined,
  ) {
    this.known = stored !== undefined;
    this.view = stored?.view ?? initialView();
    this.lastPosition = stored?.lastPosition ?? -1n;
  }

  apply(
    event: DisputeEvent,
    position: bigint,
    policy: DisputePolicy,
    testClockId: string | null,
  ): void {
    // A replay (rewound checkpoint) must not fold an event twice.
    if (this.known && this.lastPosition >= position) return;
    const first = !this.changed;
    // Staff: the audience nothing of the case is hidden from (deadlines are the same for all).
    this.view = evolveView(this.view, event, 'staff');
    this.known = true;
    this.lastPosition = position;
    this.changed = true;

    const next = new Map<string, { row: DeadlineRow; sinceFirst: boolean }>();
    const armed = this.view === null ? [] : pendingDeadlinesOf(this.view, policy);
    for (const deadline of armed) {
      const id = deadlineCommandId(this.disputeId, deadline);
      next.set(
        id,
        this.pending.get(id) ?? {
          row: {
            id,
            disputeId: this.disputeId,
            kind: deadline.kind,
            requestId: deadline.requestId,
            dueAt: new Date(deadline.dueAt),
            consequence: deadline.consequence,
            armedPosition: position,
            testClockId,
          },
          sinceFirst: first,
        },
      );
    }
    this.pending = next;
  }

  /** Stored rows that stay as they are. */
  keptIds(): string[] {
    return [...this.pending].filter(([, entry]) => entry.sinceFirst).map(([id]) => id);
  }

  rows(): DeadlineRow[] {
    return [...this.pending.values()].map((entry) => entry.row);
  }
}
