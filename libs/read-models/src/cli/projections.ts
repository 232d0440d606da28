import type { EventStore } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
import { Presets, SingleBar } from 'cli-progress';
import { readDbFor } from '../database';
import { readProjectionLag } from '../lag';
import { migrateReadModels } from '../migrate';
import type { ProjectionRegistry } from '../projection';
import { ProjectionBusyError, ProjectionRunner, RebuildProgress } from '../runner';

/** What the app hands the operations CLI: its projections and where events and read models live. */
export interface ProjectionsCliContext {
  registry: ProjectionRegistry;
  connection: SqlConnection;
  eventStore: EventStore;
  out?: NodeJS.WritableStream;
  /** Show progress bars (default: when `out` is a terminal). */
  progressBars?: boolean;
}

const USAGE = `Usage: npm run projections -- <command>

  status                      checkpoint, lag (events, seconds) and errors of every projection
  rebuild <name|all> [--wait <seconds>]
                              reset and replay from the start; the projection's workers must be
                              stopped (or --wait for them to release it)
`;

/** Runs one CLI command; resolves to the process exit code. */
export async function runProjectionsCli(
  argv: readonly string[],
  context: ProjectionsCliContext,
): Promise<number> {
  const out = context.out ?? process.stdout;
  const print = (line = '') => out.write(`${line}\n`);
  const [command, ...args] = argv;
  try {
    if (command === 'status') {
      await migrateReadModels(context.connection);
      await status(context, print);
      return 0;
    }
    if (command === 'rebuild' && args[0] && !args[0].startsWith('-')) {
      const waitIndex = args.indexOf('--wait');
      const waitSeconds = waitIndex >= 0 ? Number(args[waitIndex + 1]) : 0;
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
        throw new UsageError('--wait takes a number of seconds');
      await migrateReadModels(context.connection);
      await rebuild(context, args[0], waitSeconds, print, out);
      return 0;
    }
    out.write(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (error) {
    if (error instanceof UsageError) {
      print(`error: ${error.message}`);
      out.write(USAGE);
      return 2;
    }
    print(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

class UsageError extends Error {}

async function status(
  context: ProjectionsCliContext,
  print: (line?: string) => void,
): Promise<void> {
  const lags = await readProjectionLag(
    context.eventStore,
    readDbFor(context.connection),
    context.registry,
  );
  if (lags.length === 0) {
    print('No projections registered.');
    return;
  }
  const rows = lags.map((lag) => [
    lag.name,
    lag.status,
    String(lag.checkpoint),
    `${lag.lagEvents}${lag.lagEventsCapped ? '+' : ''}`,
    lag.lagSeconds.toFixed(1),
    lag.owner ?? '-',
    lag.updatedAt?.toISOString() ?? '-',
  ]);
  print(
    table(['PROJECTION', 'STATUS', 'CHECKPOINT', 'LAG EVENTS', 'LAG S', 'OWNER', 'UPDATED'], rows),
  );
  print(`head position: ${lags[0].head}`);
  for (const lag of lags.filter((each) => each.status === 'failed' || each.lastError)) {
    print();
    print(`${lag.name} failed at position ${lag.failedPosition ?? '?'}:`);
    print(indent(lag.lastError ?? '(no error recorded)'));
  }
}

async function rebuild(
  context: ProjectionsCliContext,
  target: string,
  waitSeconds: number,
  print: (line?: string) => void,
  out: NodeJS.WritableStream,
): Promise<void> {
  const names = target === 'all' ? context.registry.names() : [context.registry.get(target).name];
  const runner = new ProjectionRunner(context.eventStore, context.connection, context.registry);
  const useBars = context.progressBars ?? (out as NodeJS.WriteStream).isTTY === true;
  for (const name of names) {
    const bar = useBars
      ? new SingleBar(
          {
            stream: out as NodeJS.WriteStream,
            format: `${name.padEnd(24)} [{bar}] {percentage}% | {events} events | {rate} ev/s | {duration_formatted}`,
            hideCursor: true,
          },
          Presets.shades_classic,
        )
      : undefined;
    let start: bigint | undefined;
    const onProgress = (progress: RebuildProgress) => {
      // Positions have gaps, so the bar runs over the position range; the counts are real events.
      start ??= progress.position;
      const total = Number(progress.head - start) || 1;
      const value = Math.min(total, Math.max(0, Number(progress.position - start)));
      const payload = {
        events: progress.eventsApplied,
        rate: Math.round(progress.eventsPerSecond),
      };
      if (bar) {
        if (!bar.isActive) bar.start(total, value, payload);
        bar.setTotal(total);
        bar.update(progress.done ? total : value, payload);
      }
    };
    try {
      const [result] = await runner.rebuild(name, {
        onProgress,
        lockTimeoutMs: waitSeconds * 1000,
      });
      bar?.stop();
      const seconds = result.elapsedMs / 1000;
      print(
        `${name}: rebuilt, ${result.eventsApplied} events in ${seconds.toFixed(1)} s` +
          ` (${Math.round(result.eventsApplied / Math.max(seconds, 0.001))} events/s), checkpoint ${result.position}`,
      );
    } catch (error) {
      bar?.stop();
      if (error instanceof ProjectionBusyError) {
        throw new Error(
          `${error.message}. Run with WORKERS=off and the worker stopped, or pass --wait <seconds>.`,
        );
      }
      throw error;
    }
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(0, 12)
    .map((line) => `    ${line}`)
    .join('\n');
}
