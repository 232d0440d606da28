import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The token CLI as a developer runs it: a child process, its output and exit code. */
const ROOT = join(__dirname, '../../../..');
const run = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      join(__dirname, 'token.ts'),
      ...args,
    ],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JWT_SECRET: '' } },
  );

describe('npm run token', () => {
  it('prints its usage for --help, and with the usage refuses an unknown option (no stack trace)', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run -s token -- --role/);
    const bogus = run('--bogus');
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/Unknown option '--bogus'\nusage:/);
    expect(bogus.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints a token for a role and a subject', () => {
    const signed = run('--role', 'buyer', '--sub', 'u-1');
    expect(signed.status).toBe(0);
    expect(signed.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
