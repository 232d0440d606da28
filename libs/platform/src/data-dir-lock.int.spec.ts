import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, lockDataDir } from './data-dir-lock';
import { openSqlConnection } from './database';

// The embedded database's data directory is one process's: a second process (a command-line
// tool while the gateway runs) is refused instead of corrupting it; a dead owner's lock is taken over.
describe('the PGlite data directory lock', () => {
  let root: string;
  let other: ChildProcess | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'arbiter-lock-'));
  });
  afterEach(async () => {
    other?.kill('SIGKILL');
    other = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** A live process other than this one, standing for the gateway that holds the directory. */
  const anotherProcess = async (): Promise<number> => {
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await new Promise((resolve) => other?.once('spawn', resolve));
    return other.pid as number;
  };

  it('refuses a directory another live process holds, and opens it once that process is gone', async () => {
    const dataDir = join(root, 'data');
    const pid = await anotherProcess();
    writeFileSync(`${dataDir}.lock`, `${pid}\n`);

    await expect(openSqlConnection({ kind: 'pglite', dataDir })).rejects.toThrow(
      new DataDirInUseError(dataDir, pid),
    );
    expect(() => lockDataDir(dataDir)).toThrow(DataDirInUseError);

    other?.kill('SIGKILL');
    await new Promise((resolve) => other?.once('exit', resolve));
    const connection = await openSqlConnection({ kind: 'pglite', dataDir });
    try {
      expect(existsSync(`${dataDir}.lock`)).toBe(true);
    } finally {
      await connection.close();
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('is shared by the connections of one process and released by the last', () => {
    const dataDir = join(root, 'shared');
    const first = lockDataDir(dataDir);
    const second = lockDataDir(dataDir);
    first();
    first();
    expect(existsSync(`${dataDir}.lock`)).toBe(true);
    second();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
