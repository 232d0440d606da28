import { sleep } from '@arbiter/platform/backoff';
import type {
  EventFilter,
  EventMetadata,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../port';
import type { SqlStoreContext } from './sql-context';
import type { AppendFence } from './sql-fence';

/** How long readAll / headPosition wait at most for older appends still open (SqlEventStoreOptions). */
export const DEFAULT_FENCE_WAIT_MS = 2_000;
const FENCE_RETRY_MS = 5;

const MAX_BIGINT = 9223372036854775807n;

interface EventRow {
  position: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

// Positions and revisions travel as text (PGlite would turn int8 into a lossy number). Queries
// alias the table `e` and order by `e.<column>`: a bare ORDER BY name would pick the text alias.
const COLUMNS = `e.position::text AS position, e.stream_id, e.revision::text AS revision, e.event_id, e.type, e.data, e.metadata, e.recorded_at`;

/** Reads of one stream (unfenced: a command sees its stream's latest commit) and of the log (fenced). */
export class SqlReader {
  constructor(
    private readonly ctx: SqlStoreContext,
    private readonly fence: AppendFence,
    private readonly fenceWaitMs: number = DEFAULT_FENCE_WAIT_MS,
  ) {}

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const sql = `
      SELECT ${COLUMNS} FROM ${this.ctx.table} e
      WHERE e.stream_id = $1 AND e.revision ${backwards ? '<=' : '>='} $2::bigint
      ORDER BY e.revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`;
    const from = options.from ?? (backwards ? MAX_BIGINT : 0n);
    const rows = await this.ctx.runner.query<EventRow>(
      sql,
      [streamId, from.toString(), options.maxCount ?? null],
      this.ctx.statement(backwards ? 'read_stream_bwd' : 'read_stream_fwd'),
    );
    return rows.map(toRecorded);
  }

  /**
   * Everything committed before the call (up to maxCount). Committed events may wait behind the
   * fence (an older append of this store is still open): then it waits for the appends older than
   * the last event committed before the call, at most `fenceWaitMs`, and returns what is safe.
   * Only for those: under a steady load some append is always open, and a newer one that opened
   * after the call holds back only events the call need not return (waiting for a moment with
   * none open waited out the whole bound, two seconds, on every read-your-writes probe).
   * Subscriptions do not wait here; they poll.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? -1n;
    const deadline = Date.now() + this.fenceWaitMs;
    // What the call owes: everything up to the last position committed when it began (read in
    // its first statement). Once the fence is past it, nothing is missing.
    const first = await this.fence.currentAndLast();
    const owed = first.last;
    let fence = first.fence;
    for (;;) {
      const events = await this.readBelow(fence, after, options.maxCount, options.filter);
      if (options.maxCount !== undefined && events.length >= options.maxCount) return events;
      const reached = events.at(-1)?.position ?? after;
      if (owed === undefined || owed < fence || owed <= reached || Date.now() >= deadline)
        return events;
      await sleep(FENCE_RETRY_MS);
      fence = await this.fence.current();
    }
  }

  /**
   * The end of the log as far as it is safe to read, covering the caller's own committed appends:
   * like readAll, waits (at most `fenceWaitMs`) only for appends older than the last event
   * committed when the call began.
   */
  async headPosition(): Promise<bigint> {
    const deadline = Date.now() + this.fenceWaitMs;
    const first = await this.fence.currentAndLast();
    const owed = first.last;
    // Nothing held back (or PGlite, where nothing can be): the last position is the head.
    if (owed !== undefined && owed < first.fence) return owed;
    let fence = first.fence;
    for (;;) {
      // max() over the primary key, a backward index probe whatever the plan (see
      // AppendFence.holdsBackAt on generic plans).
      const [row] = await this.ctx.runner.query<{ head: string }>(
        `SELECT coalesce(max(position), 0)::text AS head FROM ${this.ctx.table} WHERE position < $1::bigint`,
        [fence.toString()],
        this.ctx.statement('head'),
      );
      if (owed === undefined || owed < fence || Date.now() >= deadline) return BigInt(row.head);
      await sleep(FENCE_RETRY_MS);
      fence = await this.fence.current();
    }
  }

  /** One batch for a subscription: below the fence, without waiting for it. */
  async readFenced(
    after: bigint,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    return this.readBelow(await this.fence.current(), after, maxCount, filter);
  }

  /**
   * The end of the log for the shared window (sql-tail.ts): up to `limit` events after `after`,
   * cut at the fence, in one fence statement and one read. `heldBack`: committed events at or
   * above the fence were met (an older append is still open); `full`: the page filled below it.
   */
  async readPastFence(
    after: bigint,
    limit: number,
  ): Promise<{ events: RecordedEvent[]; heldBack: boolean; full: boolean }> {
    const fence = await this.fence.current();
    // Not bounded by the fence, so the same read tells whether anything waits behind it.
    const rows = await this.ctx.runner.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.ctx.table} e
        WHERE e.position > $1::bigint ORDER BY e.position LIMIT $2`,
      [after.toString(), limit],
      this.ctx.statement('read_tail'),
    );
    const events: RecordedEvent[] = [];
    for (const row of rows) {
      if (BigInt(row.position) >= fence) return { events, heldBack: true, full: false };
      events.push(toRecorded(row));
    }
    return { events, heldBack: false, full: events.length >= limit };
  }

  /** `fence` must come from AppendFence.current(), run before this statement. */
  private async readBelow(
    fence: bigint,
    after: bigint,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
  ): Promise<RecordedEvent[]> {
    const params: unknown[] = [after.toString(), maxCount ?? null, fence.toString()];
    const filtered = filter?.eventTypes !== undefined || filter?.streamPrefixes !== undefined;
    // Where the fence goes. Inside, with the start, `position > $1 AND position < $3` is a range
    // whose share of the table the planner guesses (0.5 %) wherever the log has no statistics:
    // always on PGlite (no autovacuum), on PostgreSQL after a bulk load until ANALYZE. A guess
    // smaller than the page had the range read with a bitmap scan and sorted: every page read
    // and sorted the whole rest of the log. Outside, the subquery's LIMIT walks down the index
    // and stops after a page, reading at most a page of committed events past a fence held back
    // by an older open append. Kept inside for a read without a limit (nothing would stop the
    // walk) and for a filtered read on PostgreSQL (past a held fence, the walk would go on until
    // a page of matching events, possibly to the head; PostgreSQL normally has statistics). On
    // PGlite the fence is the end of the log, so nothing lies past it.
    const pastFence =
      maxCount !== undefined && (!filtered || this.ctx.connection.kind === 'pglite');
    // Without statistics a filter's guessed share can still bring the page's estimate under the
    // page, and the bitmap scan back: all of it as one CASE, its share is guessed at a half.
    const tests: string[] = [];
    if (filter?.eventTypes) {
      params.push(JSON.stringify(filter.eventTypes));
      tests.push(`e.type = ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`);
    }
    if (filter?.streamPrefixes) {
      params.push(
        JSON.stringify(
          filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`),
        ),
      );
      tests.push(
        `e.stream_id LIKE ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`,
      );
    }
    const where =
      tests.length === 0
        ? ''
        : pastFence
          ? ` AND CASE WHEN ${tests.join(' AND ')} THEN true END`
          : ` AND ${tests.join(' AND ')}`;
    const sql = pastFence
      ? `
      SELECT ${COLUMNS} FROM (
        SELECT * FROM ${this.ctx.table} e
        WHERE e.position > $1::bigint${where}
        ORDER BY e.position LIMIT $2) e
      WHERE e.position < $3::bigint
      ORDER BY e.position`
      : `
      SELECT ${COLUMNS} FROM ${this.ctx.table} e
      WHERE e.position > $1::bigint AND e.position < $3::bigint${where}
      ORDER BY e.position LIMIT $2`;
    const variant = `read_all${filter?.eventTypes ? '_t' : ''}${filter?.streamPrefixes ? '_p' : ''}${pastFence ? '' : '_f'}`;
    const rows = await this.ctx.runner.query<EventRow>(sql, params, this.ctx.statement(variant));
    return rows.map(toRecorded);
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
  };
}
