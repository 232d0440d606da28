// Runs Jest with the V8 flags the suites need on this Node, passing every argument on.
//
// --no-memory-protection-keys (Node 22 and later; Node 20's V8 has no such flag): V8's
// thread-isolation bookkeeping of executable pages can abort the whole process ("Check failed:
// jit_page.has_value()") when WebAssembly code is compiled and freed from several threads of one
// process, which is what the suites do, opening and closing PGlite in worker threads many times
// over. The flag turns that protection off for the test processes. Jest's workers are forked with
// this process's flags, so the flag reaches them. A gateway opens one PGlite for its lifetime and
// runs without it.
const { spawnSync } = require('node:child_process');

const candidate = ['--no-memory-protection-keys'];
const known = spawnSync(process.execPath, [...candidate, '-e', '0'], { stdio: 'ignore' });
const flags = known.status === 0 ? candidate : [];
const run = spawnSync(
  process.execPath,
  [...flags, require.resolve('jest/bin/jest'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
if (run.error) throw run.error;
process.exit(run.status ?? 1);
