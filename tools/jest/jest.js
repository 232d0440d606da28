// Runs Jest with the V8 flags the suites need on this Node, passing every argument on, and runs a
// suite once more when V8 itself crashed the Jest worker running it.
//
// --no-memory-protection-keys (Node 22 and later; Node 20's V8 has no such flag): V8's
// thread-isolation bookkeeping of executable pages can abort the whole process ("Check failed:
// jit_page.has_value()") when WebAssembly code is compiled and freed from several threads of one
// process, which is what the suites do, opening and closing PGlite in worker threads many times
// over. The flag turns that protection off for the test processes. Jest's workers are forked with
// this process's flags, so the flag reaches them. A gateway opens one PGlite for its lifetime and
// runs without it.
//
// The same V8 bug has a second face the flag does not remove (nodejs/node#64500, open: PGlite
// opened and closed many times in one process, or in many processes at once, now and then ends in
// a SIGSEGV inside V8's WebAssembly code). Jest then reports "A jest worker process ... was
// terminated by another process: signal=SIGSEGV" for the suite that worker was running, without
// one test of it having failed. Such a suite is run once more, alone, and its second result
// stands in the report (the JSON file too); the first crash is printed with the reason. Nothing
// else is retried: a failed test, a suite that failed to load, a timeout or a crash on the second
// run fail the run as before.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const candidate = ['--no-memory-protection-keys'];
const known = spawnSync(process.execPath, [...candidate, '-e', '0'], { stdio: 'ignore' });
const flags = known.status === 0 ? candidate : [];
const jest = (args) =>
  spawnSync(process.execPath, [...flags, require.resolve('jest/bin/jest'), ...args], {
    stdio: 'inherit',
  });

const args = process.argv.slice(2);
const CRASH =
  /A jest worker process \(pid=\d+\) was terminated by another process: signal=(SIGSEGV|SIGTRAP|SIGILL|SIGBUS)/;

// The run's JSON report tells which suites crashed: the caller's file, or one of the wrapper's own.
// A caller who asked for JSON on stdout, or for a subset of test names, gets Jest as it is.
const outputFile = valueOf(args, '--outputFile');
const retryable =
  !(args.includes('--json') && !outputFile) &&
  !valueOf(args, '--testNamePattern') &&
  !args.includes('-t');
const report = outputFile ?? path.join(os.tmpdir(), `jest-report-${process.pid}.json`);
const firstArgs = outputFile || !retryable ? args : [...args, '--json', `--outputFile=${report}`];

const run = jest(firstArgs);
if (run.error) throw run.error;
let status = run.status ?? 1;

if (status !== 0 && retryable && fs.existsSync(report)) {
  const results = JSON.parse(fs.readFileSync(report, 'utf8'));
  const failed = results.testResults.filter((suite) => suite.status === 'failed');
  const crashed = failed.filter(
    (suite) =>
      CRASH.test(suite.message ?? '') && suite.assertionResults.every((t) => t.status !== 'failed'),
  );
  if (crashed.length > 0 && crashed.length === failed.length && results.numFailedTests === 0) {
    for (const suite of crashed) {
      const signal = CRASH.exec(suite.message)[1];
      console.error(
        `\n${path.relative(process.cwd(), suite.name)}: its Jest worker was killed by ${signal} ` +
          '(a V8 WebAssembly crash, nodejs/node#64500); running it once more.\n',
      );
    }
    const again = path.join(os.tmpdir(), `jest-rerun-${process.pid}.json`);
    const rerun = jest([
      ...without(args, {
        '--coverage': 0,
        '--json': 0,
        '--outputFile': 1,
        '--maxWorkers': 1,
        '--testPathPatterns': Infinity,
        '--shard': 1,
      }),
      '--maxWorkers=1',
      '--json',
      `--outputFile=${again}`,
      '--runTestsByPath',
      ...crashed.map((suite) => suite.name),
    ]);
    if (rerun.error) throw rerun.error;
    if (fs.existsSync(again)) {
      const second = JSON.parse(fs.readFileSync(again, 'utf8'));
      fs.rmSync(again, { force: true });
      // The crashed suites were the first run's only failed ones (checked above). What the JSON
      // does not show is not checked: a coverage threshold missed in the same run (the rerun
      // collects no coverage) passes with the rerun.
      merge(results, crashed, second);
      if (outputFile) fs.writeFileSync(outputFile, JSON.stringify(results));
      status = rerun.status === 0 ? 0 : 1;
    }
  }
}
if (!outputFile) fs.rmSync(report, { force: true });
process.exit(status);

/**
 * The arguments without the given options: each with `=value`, or followed by that many values
 * (Infinity: every value up to the next option).
 */
function without(list, options) {
  const kept = [];
  for (let i = 0; i < list.length; i += 1) {
    const [name] = list[i].split('=', 1);
    if (!(name in options)) {
      kept.push(list[i]);
      continue;
    }
    if (list[i].includes('=')) continue;
    for (
      let n = options[name];
      n > 0 && i + 1 < list.length && !list[i + 1].startsWith('-');
      n -= 1
    ) {
      i += 1;
    }
  }
  return kept;
}

function valueOf(list, flag) {
  for (let i = 0; i < list.length; i += 1) {
    if (list[i] === flag) return list[i + 1];
    if (list[i].startsWith(`${flag}=`)) return list[i].slice(flag.length + 1);
  }
  return undefined;
}

/** The crashed suites' entries and counts replaced by their second run's. */
function merge(results, crashed, second) {
  const names = new Set(crashed.map((suite) => suite.name));
  results.testResults = [
    ...results.testResults.filter((suite) => !names.has(suite.name)),
    ...second.testResults,
  ];
  // What the crashed suites counted for the first time: each a suite that failed to run, and the
  // tests it had reported (none failed) by their status.
  const tests = crashed.flatMap((suite) => suite.assertionResults);
  const first = {
    numFailedTestSuites: crashed.length,
    numRuntimeErrorTestSuites: crashed.length,
    numTotalTestSuites: crashed.length,
    numPassedTests: tests.filter((t) => t.status === 'passed').length,
    numPendingTests: tests.filter((t) => t.status === 'pending' || t.status === 'skipped').length,
    numTodoTests: tests.filter((t) => t.status === 'todo').length,
    numTotalTests: tests.length,
  };
  for (const key of [
    'numFailedTestSuites',
    'numPassedTestSuites',
    'numPendingTestSuites',
    'numRuntimeErrorTestSuites',
    'numTotalTestSuites',
    'numFailedTests',
    'numPassedTests',
    'numPendingTests',
    'numTodoTests',
    'numTotalTests',
  ]) {
    results[key] = (results[key] ?? 0) - (first[key] ?? 0) + (second[key] ?? 0);
  }
  results.success = results.numFailedTestSuites === 0 && results.numFailedTests === 0;
  results.rerunAfterCrash = crashed.map((suite) => suite.name);
}
