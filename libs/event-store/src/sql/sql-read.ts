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

/** How long readAll / headPosition wait for an older open append before answering. */
const FENCE_WAIT_MS = 2_000;
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
   * Everything committed before the call (up to maxCount): when committed events wait behind the
   * fence (an older append of this store is still open), waits for it, at most FENCE_WAIT_MS, then
   * returns what is safe. Subscriptions do not wait here; they poll.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? -1n;
    const deadline = Date.now() + FENCE_WAIT_MS;
    for (;;) {
      const fence = await this.fence.current();
      const events = await this.readBelow(fence, after, options.maxCount, options.filter);
      if (options.maxCount !== undefined && events.length >= options.maxCount) return events;
      const checkpoint = events.at(-1)?.position ?? after;
      if (Date.now() >= deadline || !(await this.fence.holdsBackAt(fence, checkpoint)))
        return events;
      await sleep(FENCE_RETRY_MS);
    }
  }

  /** Waits for the fence like readAll, so it covers the caller's own committed appends. */
  async headPosition(): Promise<bigint> {
    const deadline = Date.now() + FENCE_WAIT_MS;
    for (;;) {
      const fence = await this.fence.current();
      // min(), not EXISTS: see AppendFence.holdsBackAt (a generic plan would scan the whole log).
      const [row] = await this.ctx.runner.query<{ head: string; fenced: boolean }>(
        `SELECT (SELECT coalesce(max(position), 0) FROM ${this.ctx.table} WHERE position < $1::bigint)::text AS head,
                (SELECT min(position) FROM ${this.ctx.table} WHERE position >= $1::bigint) IS NOT NULL AS fenced`,
        [fence.toString()],
        this.ctx.statement('head'),
      );
      if (!row.fenced || Date.now() >= deadline) return BigInt(row.head);
      await sleep(FENCE_RETRY_MS);
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
    let where = '';
    if (filter?.eventTypes) {
      params.push(JSON.stringify(filter.eventTypes));
      where += ` AND e.type = ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    if (filter?.streamPrefixes) {
      params.push(
        JSON.stringify(
          filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`),
        ),
      );
      where += ` AND e.stream_id LIKE ANY(ARRAY(SELECT jsonb_array_elements_text($${params.length}::jsonb)))`;
    }
    const sql = `
      SELECT ${COLUMNS} FROM ${this.ctx.table} e
      WHERE e.position > $1::bigint AND e.position < $3::bigint${where}
      ORDER BY e.position LIMIT $2`;
    const variant = `read_all${filter?.eventTypes ? '_t' : ''}${filter?.streamPrefixes ? '_p' : ''}`;
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
