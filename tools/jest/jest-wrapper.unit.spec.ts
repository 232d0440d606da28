import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * tools/jest/jest.js runs a suite once more when its Jest worker died of a signal (the V8
 * WebAssembly crash of nodejs/node#64500), and nothing else. The suites here are real Jest runs
 * of small test files; a worker's crash is a real SIGSEGV the test file sends itself (the V8 bug
 * itself cannot be provoked on demand).
 */
describe('the Jest wrapper', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jest-wrapper-'));
    writeFileSync(join(dir, 'ok.test.js'), "test('passes', () => expect(2).toBe(2));\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A test file that kills its own worker with SIGSEGV on its first `times` runs. */
  const crashing = (name: string, times: number) =>
    writeFileSync(
      join(dir, name),
      `const fs = require('node:fs');
       test('runs', () => {
         const count = join => fs.existsSync(join) ? Number(fs.readFileSync(join, 'utf8')) : 0;
         const file = ${JSON.stringify(join(dir, `${name}.runs`))};
         const runs = count(file) + 1;
         fs.writeFileSync(file, String(runs));
         if (runs <= ${times}) process.kill(process.pid, 'SIGSEGV');
       });\n`,
    );

  const run = () => {
    const report = join(dir, 'report.json');
    // --no-cache: with recorded timings Jest may run a few fast files in its own process
    // (no workers), and a crash would then take Jest itself down.
    const result = spawnSync(
      process.execPath,
      [
        join(__dirname, 'jest.js'),
        '--rootDir',
        dir,
        '--config',
        '{}',
        '--no-cache',
        '--maxWorkers=2',
        '--json',
        `--outputFile=${report}`,
      ],
      { encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    const json = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined;
    return { status: result.status, stderr: result.stderr, json };
  };

  it('runs a suite whose worker crashed once more, and its second result stands', () => {
    crashing('crash.test.js', 1);
    const { status, stderr, json } = run();
    expect(stderr).toContain('its Jest worker was killed by SIGSEGV');
    expect(status).toBe(0);
    expect(json).toMatchObject({
      success: true,
      numFailedTestSuites: 0,
      numRuntimeErrorTestSuites: 0,
      numPassedTestSuites: 2,
      numTotalTestSuites: 2,
      numPassedTests: 2,
      numFailedTests: 0,
      rerunAfterCrash: [join(dir, 'crash.test.js')],
    });
  });

  it('fails when the suite crashes again', () => {
    crashing('crash.test.js', 2);
    const { status, json } = run();
    expect(status).not.toBe(0);
    expect(json.success).toBe(false);
  });

  it('retries nothing when a test failed beside the crash', () => {
    crashing('crash.test.js', 1);
    writeFileSync(join(dir, 'bad.test.js'), "test('fails', () => expect(1).toBe(2));\n");
    const { status, stderr, json } = run();
    expect(status).not.toBe(0);
    expect(stderr).not.toContain('running it once more');
    expect(json.numFailedTests).toBe(1);
    expect(readFileSync(join(dir, 'crash.test.js.runs'), 'utf8')).toBe('1');
  });
});
