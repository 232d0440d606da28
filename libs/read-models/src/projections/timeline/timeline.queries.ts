import {
  type Audience,
  AUDIENCE_OF_ROLE,
  type DisputeView,
  MEDIATOR_ONLY_EVENT_TYPES,
  replayView,
  type Role,
  visibleEventFor,
} from '@arbiter/disputes/read-side';
import { and, asc, count, eq, gt, inArray, notInArray } from 'drizzle-orm';
import type { ReadDb } from '../../database';
import { timelineEntries } from '../../schema';
import { decodeCursor, type Page, type PageArgs, pageWindow, toPage } from '../shared/pagination';
import { describeEvent } from './describe-event';
import { currentEventOf } from './stored-event';

/** One line of a dispute's history as a role may see it. */
export interface TimelineEntry {
  disputeId: string;
  revision: number;
  type: string;
  actorRole: Role;
  /** Staff ids read "[redacted]" for parties. */
  actorId: string;
  at: Date;
  summary: string;
}

type TimelineRow = typeof timelineEntries.$inferSelect;

function hiddenTypes(role: Role): string[] {
  return AUDIENCE_OF_ROLE[role] === 'staff' ? [] : [...MEDIATOR_ONLY_EVENT_TYPES];
}

function entryFor(role: Role, row: TimelineRow): TimelineEntry | null {
  const visible = visibleEventFor(role, currentEventOf(row));
  if (!visible) return null;
  return {
    disputeId: row.disputeId,
    revision: row.revision,
    type: row.type,
    actorRole: visible.data.by.role,
    actorId: visible.data.by.id,
    at: row.at,
    summary: describeEvent(visible),
  };
}

/** One dispute's timeline, oldest first, paged by revision. Access is checked by the caller. */
export async function timelinePage(
  db: ReadDb,
  role: Role,
  disputeId: string,
  args: PageArgs,
): Promise<Page<TimelineEntry>> {
  const page = pageWindow({ first: args.first, after: args.after });
  const { size } = page;
  const hidden = hiddenTypes(role);
  const base = and(
    eq(timelineEntries.disputeId, disputeId),
    hidden.length ? notInArray(timelineEntries.type, hidden) : undefined,
  );
  const after =
    args.after === undefined || args.after === null
      ? null
      : Number(decodeCursor(args.after, ['revision'])[0]);
  const rows = await db
    .select()
    .from(timelineEntries)
    .where(and(base, after === null ? undefined : gt(timelineEntries.revision, after)))
    .orderBy(asc(timelineEntries.revision))
    .limit(size + 1);
  const [{ total }] = await db.select({ total: count() }).from(timelineEntries).where(base);
  return toPage(
    rows,
    page,
    Number(total),
    (row) => [String(row.revision)],
    (row) => entryFor(role, row) as TimelineEntry,
  );
}

/** The whole timelines of several disputes in one query (a DataLoader's batch), in the order asked. */
export async function timelinesOf(
  db: ReadDb,
  role: Role,
  disputeIds: readonly string[],
): Promise<TimelineEntry[][]> {
  const hidden = hiddenTypes(role);
  const rows = await db
    .select()
    .from(timelineEntries)
    .where(
      and(
        inArray(timelineEntries.disputeId, [...disputeIds]),
        hidden.length ? notInArray(timelineEntries.type, hidden) : undefined,
      ),
    )
    .orderBy(asc(timelineEntries.disputeId), asc(timelineEntries.revision));
  const byDispute = new Map<string, TimelineEntry[]>(disputeIds.map((id) => [id, []]));
  for (const row of rows) {
    const entry = entryFor(role, row);
    if (entry) byDispute.get(row.disputeId)?.push(entry);
  }
  return disputeIds.map((id) => byDispute.get(id) ?? []);
}

/**
 * The dispute as `audience` may see it, folded from its timeline by `evolveView` (for audiences
 * no view table is kept for); null when the dispute has no events.
 */
export async function viewFromTimeline(
  db: ReadDb,
  audience: Audience,
  disputeId: string,
): Promise<DisputeView | null> {
  const rows = await db
    .select({
      disputeId: timelineEntries.disputeId,
      revision: timelineEntries.revision,
      type: timelineEntries.type,
      data: timelineEntries.data,
      schemaVersion: timelineEntries.schemaVersion,
    })
    .from(timelineEntries)
    .where(eq(timelineEntries.disputeId, disputeId))
    .orderBy(asc(timelineEntries.revision));
  return replayView(rows.map(currentEventOf), audience);
}
