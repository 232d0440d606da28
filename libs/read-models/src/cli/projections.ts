import type { EventStore } from '@arbiter/event-store';
import type { SqlConnection } from '@arbiter/platform';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { readDbFor } from '../database';
import { readProjectionLag } from '../lag';
import { migrateReadModels } from '../migrate';
import type { ProjectionRegistry } from '../projection';
import {
  ProjectionBusyError,
  ProjectionRunner,
  RebuildProgress,
  rebuildModeOf,
  RebuildRunningError,
} from '../runner';

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
  rebuild <name|all> [--in-place] [--wait <seconds>]
                              replay from the start. Blue/green where the projection declares its
                              tables: into new tables while the live ones keep serving (its workers
                              keep running), then switched over at once. Otherwise, or with
                              --in-place: reset and replay, the views empty or partial meanwhile;
                              the projection's workers must be stopped (or --wait for them).
                              --wait: how long to wait for a lock (the workers in place, another
                              rebuild of the projection blue/green)
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
      const inPlace = args.includes('--in-place');
      await migrateReadModels(context.connection);
      await rebuild(context, args[0], { waitSeconds, inPlace }, print, out);
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
  { waitSeconds, inPlace }: { waitSeconds: number; inPlace: boolean },
  print: (line?: string) => void,
  out: NodeJS.WritableStream,
): Promise<void> {
  const names =
    target === 'all' ? context.registry.readModelNames() : [context.registry.get(target).name];
  const runner = new ProjectionRunner(context.eventStore, context.connection, context.registry);
  const useBars = context.progressBars ?? (out as NodeJS.WriteStream).isTTY === true;
  const modes = new Map(
    names.map((name) => [
      name,
      rebuildModeOf(context.registry.get(name), inPlace ? { mode: 'in-place' } : {}),
    ]),
  );
  for (const [name, mode] of modes)
    print(
      mode === 'blue-green'
        ? `${name}: rebuilding blue/green, into new tables; the live ones keep serving until the switch`
        : `${name}: rebuilding in place, its views empty or partial until it is done` +
            (inPlace ? '' : ' (the projection declares no tables of its own)'),
    );
  // All of them side by side (they share one read of the log), a bar each.
  const bars = useBars
    ? new MultiBar(
        {
          stream: out as NodeJS.WriteStream,
          format: `{name} [{bar}] {percentage}% | {events} events | {rate} ev/s | {duration_formatted}`,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  const progressOf = new Map<string, { start: bigint; bar?: SingleBar }>();
  const onProgress = (progress: RebuildProgress) => {
    // Positions have gaps, so a bar runs over the position range; the counts are real events.
    let state = progressOf.get(progress.projection);
    if (!state) progressOf.set(progress.projection, (state = { start: progress.position }));
    const total = Number(progress.head - state.start) || 1;
    const value = Math.min(total, Math.max(0, Number(progress.position - state.start)));
    const payload = {
      name: progress.projection.padEnd(24),
      events: progress.eventsApplied,
      rate: Math.round(progress.eventsPerSecond),
    };
    if (!bars) return;
    state.bar ??= bars.create(total, value, payload);
    state.bar.setTotal(total);
    state.bar.update(progress.done ? total : value, payload);
  };
  try {
    const results = await runner.rebuild(names, {
      onProgress,
      lockTimeoutMs: waitSeconds * 1000,
      mode: inPlace ? 'in-place' : undefined,
    });
    bars?.stop();
    for (const result of results) {
      const seconds = result.elapsedMs / 1000;
      print(
        `${result.projection}: rebuilt ${result.mode === 'blue-green' ? 'blue/green (switched over)' : 'in place'}, ${result.eventsApplied} events in ${seconds.toFixed(1)} s` +
          ` (${Math.round(result.eventsApplied / Math.max(seconds, 0.001))} events/s), checkpoint ${result.position}`,
      );
    }
  } catch (error) {
    bars?.stop();
    if (error instanceof ProjectionBusyError) {
      throw new Error(
        `${error.message}. Run with WORKERS=off and the worker stopped, or pass --wait <seconds>.`,
      );
    }
    if (error instanceof RebuildRunningError)
      throw new Error(
        `${error.message} (or pass --wait <seconds>). The live tables are unchanged.`,
      );
    throw error;
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
