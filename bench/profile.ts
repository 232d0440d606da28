// A CPU profile of one phase of a benchmark, when `BENCH_CPU_PROFILE` names a directory: the
// phase's own samples only (not the data generation or the baseline around it), written as
// `<dir>/<label>.cpuprofile` for Chrome DevTools or `node --cpu-prof`'s usual readers.
import { mkdir, writeFile } from 'node:fs/promises';
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
