// Where a benchmark phase's CPU goes. `profiled`: a CPU profile of the phase alone (not the data
// generation or the baseline around it) when `BENCH_CPU_PROFILE` names a directory, written as
// `<dir>/<label>.cpuprofile` for Chrome DevTools or `node --cpu-prof`'s usual readers. `cpuDuring`:
// the CPU seconds of this process and of the local PostgreSQL server during the phase.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';

export async function profiled<T>(label: string, phase: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${label}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.error(`CPU profile of ${label}: ${file}`);
  }
}

/**
 * CPU seconds spent during a phase: this process's (with its worker threads: PGlite's, if any),
 * and the local PostgreSQL server's, all of it (the machine must be otherwise quiet).
 */
export interface CpuSpent {
  processS: number;
  /** Null when not asked for, or where /proc cannot tell (not Linux); 0 for a server elsewhere. */
  postgresS: number | null;
}

export async function cpuDuring<T>(
  phase: () => Promise<T>,
  { postgres }: { postgres: boolean },
): Promise<{ result: T; cpu: CpuSpent }> {
  const process0 = process.cpuUsage();
  const postgres0 = postgres ? await postgresTicks() : null;
  const result = await phase();
  const used = process.cpuUsage(process0);
  const postgres1 = postgres ? await postgresTicks() : null;
  return {
    result,
    cpu: {
      processS: (used.user + used.system) / 1e6,
      postgresS:
        postgres0 === null || postgres1 === null
          ? null
          : [...postgres1].reduce(
              (sum, [pid, ticks]) => sum + ticks - (postgres0.get(pid) ?? 0),
              0,
            ) / CLOCK_TICKS,
    },
  };
}

/** `USER_HZ`: the unit of /proc/<pid>/stat's times on Linux. */
const CLOCK_TICKS = 100;

/**
 * User and system ticks of every process named `postgres` now (the server's backends, and its
 * background writers), by process id, with those of its exited children (a backend that closed
 * during the phase shows in the server's own entry once reaped). One that starts during the
 * phase counts from zero.
 */
async function postgresTicks(): Promise<Map<string, number> | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const ticks = new Map<string, number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0 || stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    // The fields after the command, from the state on: utime, stime, cutime, cstime are the
    // 12th to 15th.
    const fields = stat.slice(close + 2).split(' ');
    ticks.set(
      entry,
      fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0),
    );
  }
  return ticks;
}
