import { parseArgs } from 'node:util';
import { DISPUTE_EVENT_TYPES, type DisputeEventType } from '@arbiter/disputes';
import type { EventStore } from '@arbiter/event-store';
import { EventFeed } from '../event-feed';
import { InvalidEventCursorError } from '../feed-event';
import type { Pseudonyms } from '../pseudonyms';

export interface EventsCliContext {
  eventStore: EventStore;
  pseudonyms: Pseudonyms;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Ends `--follow` (the entry point aborts it on SIGINT / SIGTERM). */
  signal?: AbortSignal;
}

const USAGE = `Usage: npm run events -- tail [options]

Prints dispute events as JSON lines (one feed event per line, as the GraphQL feed and the
JetStream messages carry them), oldest first, then exits at the end of the log.

  --after <cursor>   start after this cursor (a line's "cursor"); default: the beginning
  --type <EventType> only this type; repeat for several
  --dispute <id>     only this dispute's events
  --full             the full form, personal data included (default: the analyst's form)
  --follow, -f       keep printing new events until interrupted
  --limit <n>        stop after n events
`;

class UsageError extends Error {}

// JSON.stringify escapes the C0 controls but leaves DEL, the C1 controls (U+009B is a CSI to some
// terminals), the line / paragraph separators and invisible format characters (bidi overrides,
// zero-width characters) as they are: printed raw, a message could recolour or reorder what an
// operator's terminal shows. As \u escapes the line is the same JSON and parses to the same text.
const TERMINAL_UNSAFE = /[\u007f-\u009f\u2028\u2029\p{Cf}]/gu;

/** `value` as one JSON line that is safe to print on a terminal. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(TERMINAL_UNSAFE, (found) =>
    Array.from(
      { length: found.length }, // a character outside the BMP is escaped as its surrogate pair
      (_, index) => `\\u${found.charCodeAt(index).toString(16).padStart(4, '0')}`,
    ).join(''),
  );
}

/** Runs one CLI command; resolves to the process exit code. */
export async function runEventsCli(
  argv: readonly string[],
  context: EventsCliContext,
): Promise<number> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  try {
    const [command, ...rest] = argv;
    if (command !== 'tail') {
      const asked = command === undefined || command === 'help' || command === '--help';
      (asked ? out : err).write(USAGE);
      return asked ? 0 : 2;
    }
    const { values } = parseArgs({
      args: [...rest],
      options: {
        after: { type: 'string' },
        type: { type: 'string', multiple: true },
        dispute: { type: 'string' },
        full: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        limit: { type: 'string' },
      },
      strict: true,
    });
    const types = (values.type ?? []).map((type) => {
      if (!(DISPUTE_EVENT_TYPES as readonly string[]).includes(type))
        throw new UsageError(
          `unknown event type ${type} (known: ${DISPUTE_EVENT_TYPES.join(', ')})`,
        );
      return type as DisputeEventType;
    });
    if (
      values.dispute !== undefined &&
      !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.dispute)
    )
      throw new UsageError('--dispute takes a dispute id (a UUID)');
    const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : Number(values.limit);
    if (!Number.isInteger(limit) && limit !== Number.POSITIVE_INFINITY)
      throw new UsageError('--limit takes a whole number');
    if (limit <= 0) throw new UsageError('--limit takes a positive number');
    const feed = new EventFeed(context.eventStore, context.pseudonyms);
    const form = values.full ? 'full' : 'analyst';
    const filter = { types, disputeId: values.dispute };
    let printed = 0;
    const print = async (line: string) => {
      if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      printed += 1;
    };

    // Up to the end of the log in pages, then (with --follow) live.
    let after = values.after ?? null;
    for (;;) {
      if (context.signal?.aborted || printed >= limit) return 0;
      const page = await feed.page(form, { after, first: 500, filter });
      for (const event of page.events) {
        if (printed >= limit) return 0;
        await print(jsonLine(event));
      }
      after = page.endCursor ?? after;
      if (!page.hasNextPage) break;
    }
    if (!values.follow) return 0;
    const subscription = feed.subscribe(form, { after, filter, bufferSize: 10_000 });
    const stop = () => void subscription.return?.();
    context.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const item of subscription) {
        if (item.end) {
          err.write(`${item.end.code}: ${item.end.message} (${item.end.resumeAfter})\n`);
          return 1;
        }
        await print(jsonLine(item.event));
        if (printed >= limit) return 0;
      }
      return 0;
    } finally {
      context.signal?.removeEventListener('abort', stop);
      await subscription.return?.();
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof InvalidEventCursorError ||
      isParseError(error)
    ) {
      err.write(`error: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    err.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function isParseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
