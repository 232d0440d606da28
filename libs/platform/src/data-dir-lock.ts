import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/** Another live process has the embedded database's data directory open. */
export class DataDirInUseError extends Error {
  readonly code = 'PGLITE_DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid} (a running gateway or worker?): ` +
        'PGlite opens a data directory from one process only, and a second one would corrupt it. ' +
        'Stop that process first, or run on PostgreSQL (EVENT_STORE=postgres).',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Locks held by this process: path → how many of its connections hold it. */
const held = new Map<string, number>();

/**
 * Takes the lock file beside a PGlite data directory (`<dir>.lock`, holding the owner's pid), so a
 * command-line tool cannot open the database while the gateway has it (or two gateways start on
 * one directory). A lock left by a process that died (kill -9) is taken over. Connections of one
 * process share it. Returns its release.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir.replace(/\/+$/, '')}.lock`;
  const count = held.get(path);
  if (count !== undefined) {
    held.set(path, count + 1);
    return once(() => release(path));
  }
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && alive(owner))
        throw new DataDirInUseError(dataDir, owner);
      // Left behind by a process that is gone (or unreadable): take it over.
      unlinkSync(path);
    }
  }
  held.set(path, 1);
  return once(() => release(path));
}

function release(path: string): void {
  const count = (held.get(path) ?? 1) - 1;
  if (count > 0) {
    held.set(path, count);
    return;
  }
  held.delete(path);
  try {
    if (ownerOf(path) === process.pid) unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still holds the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function once(work: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    work();
  };
}
