import { DatabaseUnavailableError } from '@arbiter/platform/database-errors';
import {
  AppendOptions,
  AppendResult,
  EventIdConflictError,
  EventToAppend,
  WrongExpectedRevisionError,
} from '../port';
import { assertUniqueIds, revisionMatches } from '../semantics';
import { MAX_EVENTS_PER_TRANSACTION } from './schema';
import { appendStatements, AppendStatements } from './sql-append-statements';
import type { SqlStoreContext } from './sql-context';
import type { SqlReader } from './sql-read';
import { SqlRunner, sqlState, UNIQUE_VIOLATION } from './sql-runner';

/** `any` can still lose a race for the next revision; it retries instead of failing. */
const ANY_RETRIES = 20;

/** The single-event statement returns no row on a mismatch, and no `actual`. */
interface AppendRow {
  actual?: string;
  next_revision: string | null;
  position: string | null;
}

interface ExistingRow {
  ord: string;
  stream_id: string;
  revision: string;
  position: string;
  same: boolean;
}

/**
 * An append through a caller's transaction that already had a transaction id without holding the
 * append lock: readers could have passed its position already, so its events might be skipped.
 */
export class AppendLockTooLateError extends Error {
  readonly code = 'EVENT_STORE_APPEND_LOCK_TOO_LATE';
  constructor(readonly schema: string) {
    super(
      `Event store ${schema}: this transaction wrote before it took the append lock; call lockForAppend first in the transaction`,
    );
    this.name = 'AppendLockTooLateError';
  }
}

/**
 * Appends with an expected revision. The hot path is one statement (see sql-append-statements.ts);
 * the idempotency and conflict analysis only run after it reports a mismatch or a unique violation.
 */
export class SqlAppender {
  private readonly statements: AppendStatements;

  constructor(
    private readonly ctx: SqlStoreContext,
    private readonly reader: SqlReader,
    /** After a commit through the pool: wakes the subscribers. */
    private readonly appended: () => void,
  ) {
    this.statements = appendStatements(ctx.table, ctx.schema);
  }

  /** See SqlEventStore.append. */
  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    try {
      return await this.appendVia(this.ctx.runner, streamId, events, options);
    } catch (error) {
      // Faults of the insert itself are typed below; the rest (the analysis after a refused
      // insert) come after the server answered that nothing was inserted.
      throw DatabaseUnavailableError.from(error, 'no-write') ?? error;
    }
  }

  /** See SqlEventStore.appendVia. */
  async appendVia(
    runner: SqlRunner,
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const { ctx } = this;
    const expected = options.expectedRevision ?? 'any';
    assertUniqueIds(events);
    if (events.length > MAX_EVENTS_PER_TRANSACTION) {
      throw new RangeError(`At most ${MAX_EVENTS_PER_TRANSACTION} events per append`);
    }
    if (runner !== ctx.runner) await this.lockForAppend(runner);
    const kind = typeof expected === 'bigint' ? 'exact' : expected;
    const exact = typeof expected === 'bigint' ? expected.toString() : null;
    let payload: string | undefined;
    const batch = () =>
      (payload ??= JSON.stringify(
        events.map((event) => ({
          id: event.id,
          type: event.type,
          data: event.data ?? null,
          metadata: event.metadata ?? {},
        })),
      ));

    for (let attempt = 0; ; attempt++) {
      let row: AppendRow | undefined;
      try {
        if (events.length === 1) {
          // The common case has its own statement: no JSON array to unpack, no CTE to materialise.
          const [event] = events;
          const params = [
            streamId,
            event.id,
            event.type,
            JSON.stringify(event.data ?? null),
            JSON.stringify(event.metadata ?? {}),
          ];
          if (
            expected === 'no_stream' &&
            runner === ctx.runner &&
            ctx.connection.kind === 'postgres'
          ) {
            // Starting a stream needs no head lookup: revision 0 is taken by the (stream_id,
            // revision) unique index or it is not, and a violation lands in the catch below. Only
            // through the pool (autocommit): in a caller's transaction the error would abort it.
            [row] = await runner.query<AppendRow>(
              this.statements.startStream,
              params,
              ctx.statement('start_stream'),
            );
          } else {
            [row] = await runner.query<AppendRow>(
              this.statements.one,
              [...params, kind, exact],
              ctx.statement('append_one'),
            );
          }
        } else {
          [row] = await runner.query<AppendRow>(
            this.statements.many,
            [streamId, batch(), kind, exact],
            ctx.statement('append'),
          );
        }
      } catch (error) {
        if (sqlState(error) !== UNIQUE_VIOLATION)
          throw DatabaseUnavailableError.from(error, 'write') ?? error;
        // A concurrent writer took the revision (or these ids) between our head lookup and insert.
        const replay = await this.replayedResult(streamId, batch(), events);
        if (replay) return replay;
        if (expected === 'any' && attempt < ANY_RETRIES) continue;
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          await this.currentRevision(streamId),
        );
      }
      if (events.length === 0) {
        const actual = BigInt((row as AppendRow).actual as string);
        if (!revisionMatches(expected, actual))
          throw new WrongExpectedRevisionError(streamId, expected, actual);
        return this.emptyAppendResult(streamId, actual);
      }
      if (!row?.next_revision || !row.position) {
        // Nothing inserted: the expectation failed, unless this is a retry of a recorded append.
        const replay = await this.replayedResult(streamId, batch(), events);
        if (replay) return replay;
        const actual =
          row?.actual != null ? BigInt(row.actual) : await this.currentRevision(streamId);
        throw new WrongExpectedRevisionError(streamId, expected, actual);
      }
      if (runner === ctx.runner) this.appended();
      return { nextRevision: BigInt(row.next_revision), position: BigInt(row.position) };
    }
  }

  /** See SqlEventStore.lockForAppend. */
  async lockForAppend(runner: SqlRunner): Promise<void> {
    const [row] = await runner.query<{ late: boolean }>(
      this.statements.lock,
      [],
      this.ctx.statement('lock'),
    );
    if (row.late) throw new AppendLockTooLateError(this.ctx.schema);
  }

  /**
   * After a mismatch or unique violation: if every id is already recorded, in this stream, in this
   * order, with the same content, this is a retry and gets the original result. Ids that exist
   * otherwise are a conflict. No id recorded: `undefined`, the caller reports the revision conflict.
   */
  private async replayedResult(
    streamId: string,
    payload: string,
    events: readonly EventToAppend[],
  ): Promise<AppendResult | undefined> {
    const rows = await this.ctx.runner.query<ExistingRow>(
      `SELECT e.ord::text AS ord, r.stream_id, r.revision::text AS revision, r.position::text AS position,
              (r.type = e.value->>'type' AND r.data = e.value->'data' AND r.metadata = e.value->'metadata') AS same
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, ord)
       JOIN ${this.ctx.table} r ON r.event_id = e.value->>'id'
       ORDER BY e.ord`,
      [payload],
      this.ctx.statement('existing'),
    );
    if (rows.length === 0) return undefined;
    const recorded = new Map(rows.map((row) => [Number(row.ord) - 1, row]));
    let previous: ExistingRow | undefined;
    for (let i = 0; i < events.length; i++) {
      const row = recorded.get(i);
      const consistent =
        row !== undefined &&
        row.same &&
        row.stream_id === streamId &&
        (previous === undefined || BigInt(row.revision) === BigInt(previous.revision) + 1n);
      if (!consistent) throw new EventIdConflictError(events[i].id);
      previous = row;
    }
    const last = previous as ExistingRow;
    return { nextRevision: BigInt(last.revision), position: BigInt(last.position) };
  }

  private async currentRevision(streamId: string): Promise<bigint> {
    const [last] = await this.reader.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return last?.revision ?? -1n;
  }

  private async emptyAppendResult(streamId: string, revision: bigint): Promise<AppendResult> {
    const [last] = await this.reader.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return { nextRevision: revision, position: last?.position ?? 0n };
  }
}
