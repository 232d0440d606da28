// Loads the TypeScript sources of the apps the fault suite starts as child processes: each file is
// transpiled alone (as `ts-node --transpile-only` does, decorator metadata included) and the output
// is kept on disk under a hash of the source and the compiler options, so the many restarts of a
// fault run load JavaScript instead of transpiling the whole app again (seconds instead of tens of
// seconds on a busy machine). A changed file has another hash: stale output is never used.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const ts = require('typescript');

const project = process.env.TS_NODE_PROJECT || join(__dirname, '../../../tsconfig.json');
const read = ts.readConfigFile(project, ts.sys.readFile);
if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(project));
const compilerOptions = {
  ...parsed.options,
  module: ts.ModuleKind.CommonJS,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: false,
  declaration: false,
  incremental: false,
  noEmit: false,
};
const optionsHash = createHash('sha256')
  .update(ts.version)
  .update(JSON.stringify(compilerOptions))
  .digest('hex')
  .slice(0, 16);
const cacheDir =
  process.env.FAULT_TRANSPILE_CACHE || join(tmpdir(), `arbiter-transpile-${optionsHash}`);
mkdirSync(cacheDir, { recursive: true });

require.extensions['.ts'] = function loadTypeScript(module, filename) {
  const source = readFileSync(filename, 'utf8');
  const key = createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  let output;
  try {
    output = readFileSync(cached, 'utf8');
  } catch {
    output = ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
    // Written under a name of its own, then renamed: a concurrent reader never sees half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, output);
    renameSync(partial, cached);
  }
  module._compile(output, filename);
};
