import {
  type Audience,
  AUDIENCE_OF_ROLE,
  type DisputeEventType,
  type DisputeView,
  MEDIATOR_ONLY_EVENT_TYPES,
  replayView,
  type Role,
  visibleEventFor,
} from '@arbiter/disputes/read-side';
import {
  and,
  asc,
  count,
  eq,
  getTableColumns,
  gt,
  inArray,
  notInArray,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { ReadDb } from '../../database';
import { timelineEntries } from '../../schema';
import { decodeCursor, type Page, type PageArgs, pageWindow, toPage } from '../shared/pagination';
import { describeEvent, type TimelineReader } from './describe-event';
import { currentEventOf } from './stored-event';

export type { TimelineReader } from './describe-event';

/** One line of a dispute's history as a reader may see it. */
export interface TimelineEntry {
  disputeId: string;
  /**
   * 1-based and consecutive over the entries this reader may see: a party's numbers skip nothing,
   * so they cannot tell that staff-only entries exist between two of theirs.
   */
  sequence: number;
  /** The stream revision, for staff only (null for everyone else: its gaps would show hidden entries). */
  revision: number | null;
  type: DisputeEventType;
  actorRole: Role;
  /** Staff ids read "[redacted]" for parties. */
  actorId: string;
  at: Date;
  /** In the second person where it speaks of the reader ("You opened a dispute…"). */
  summary: string;
}

type TimelineRow = typeof timelineEntries.$inferSelect;

const seesEverything = (role: Role): boolean => AUDIENCE_OF_ROLE[role] === 'staff';

/** The event types a role never sees: exactly those `visibleEventFor` hides from it. */
function hiddenTypes(role: Role): string[] {
  return seesEverything(role) ? [] : [...MEDIATOR_ONLY_EVENT_TYPES];
}

/** The rows of the reader's timeline: hidden types are filtered in SQL, so numbering can be too. */
function visibleRows(role: Role, disputes: SQL): SQL | undefined {
  const hidden = hiddenTypes(role);
  return and(disputes, hidden.length ? notInArray(timelineEntries.type, hidden) : undefined);
}

function entryFor(reader: TimelineReader, row: TimelineRow, sequence: number): TimelineEntry {
  const visible = visibleEventFor(reader.role, currentEventOf(row));
  // The rows were filtered by `hiddenTypes`, which hides exactly what visibleEventFor does.
  if (!visible) throw new Error(`Timeline row ${row.disputeId}@${row.revision} is hidden`);
  return {
    disputeId: row.disputeId,
    sequence,
    revision: seesEverything(reader.role) ? row.revision : null,
    type: visible.type,
    actorRole: visible.data.by.role,
    actorId: visible.data.by.id,
    at: row.at,
    summary: describeEvent(visible, reader),
  };
}

/**
 * One dispute's timeline, oldest first, paged by the reader's own sequence (a cursor carries
 * no stream revision). Access is checked by the caller.
 */
export async function timelinePage(
  db: ReadDb,
  reader: TimelineReader,
  disputeId: string,
  args: PageArgs,
): Promise<Page<TimelineEntry>> {
  const page = pageWindow({ first: args.first, after: args.after });
  const { size } = page;
  const base = visibleRows(reader.role, eq(timelineEntries.disputeId, disputeId));
  const after =
    args.after === undefined || args.after === null
      ? 0
      : Number(decodeCursor(args.after, ['sequence'])[0]);
  const numbered = db
    .select({
      ...getTableColumns(timelineEntries),
      sequence: sql<number>`(row_number() over (order by ${timelineEntries.revision}))::integer`
        .mapWith(Number)
        .as('sequence'),
    })
    .from(timelineEntries)
    .where(base)
    .as('numbered');
  const rows = await db
    .select()
    .from(numbered)
    .where(gt(numbered.sequence, after))
    .orderBy(asc(numbered.sequence))
    .limit(size + 1);
  const [{ total }] = await db.select({ total: count() }).from(timelineEntries).where(base);
  return toPage(
    rows,
    page,
    Number(total),
    (row) => [String(row.sequence)],
    ({ sequence, ...row }) => entryFor(reader, row, sequence),
  );
}

/** The whole timelines of several disputes in one query (a DataLoader's batch), in the order asked. */
export async function timelinesOf(
  db: ReadDb,
  reader: TimelineReader,
  disputeIds: readonly string[],
): Promise<TimelineEntry[][]> {
  const rows = await db
    .select()
    .from(timelineEntries)
    .where(visibleRows(reader.role, inArray(timelineEntries.disputeId, [...disputeIds])))
    .orderBy(asc(timelineEntries.disputeId), asc(timelineEntries.revision));
  const byDispute = new Map<string, TimelineEntry[]>(disputeIds.map((id) => [id, []]));
  for (const row of rows) {
    const entries = byDispute.get(row.disputeId);
    entries?.push(entryFor(reader, row, entries.length + 1));
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
