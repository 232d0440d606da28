import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * PGlite's two WebAssembly modules (the server and initdb), compiled once per process and handed
 * to every PGlite instance, in this thread or in a PGlite thread (a compiled module crosses to a
 * worker thread without being compiled again).
 *
 * Without this, every PGlite thread compiles PGlite for itself, and its code (V8 compiles
 * WebAssembly lazily, function by function) is freed again once no thread holds it. V8 shares a
 * module of the same bytes while one is still alive, so starting a thread is no faster for this;
 * what it removes is the compiling and freeing as threads come and go. Opening and closing many
 * PGlite threads in one process, as a test run does, is what trips V8's bookkeeping of
 * executable pages (nodejs/node#64500: a SIGSEGV or a failed `jit_page` check); with one module
 * held for the process, its code is compiled once and kept.
 */
export type PGliteWasmModules = Required<
  Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule'>
>;

/** WebAssembly's compile, typed (this project's TypeScript libraries do not declare WebAssembly). */
const { compile: compileWasm } = (
  globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteWasmModules['pgliteWasmModule']> };
  }
).WebAssembly;

let compiled: Promise<PGliteWasmModules> | undefined;

export function pgliteWasmModules(): Promise<PGliteWasmModules> {
  compiled ??= compile();
  // A failed read or compile (a broken install) is reported to every caller, and tried again.
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

async function compile(): Promise<PGliteWasmModules> {
  // The package's export map names the files, but this project's module resolution does not read
  // export maps: they sit beside its CommonJS entry.
  const dist = dirname(require.resolve('@electric-sql/pglite'));
  const [pglite, initdb] = await Promise.all([
    readFile(join(dist, 'pglite.wasm')),
    readFile(join(dist, 'initdb.wasm')),
  ]);
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    compileWasm(pglite),
    compileWasm(initdb),
  ]);
  return { pgliteWasmModule, initdbWasmModule };
}

let template: Promise<Uint8Array> | undefined;

/**
 * The data directory of a database initdb has just created, as PGlite's tar (its own `clone()`
 * format), made once per process. An in-memory database (`memory://`) loads it instead of running
 * initdb again: 0.4 s to open rather than 1.6 s here, and a test run opens hundreds of them. It
 * is PostgreSQL's own empty cluster, nothing of Arbiter's; a data directory on disk runs initdb
 * once, on its first start, and does not use it.
 */
export function emptyDatabaseTemplate(): Promise<Uint8Array> {
  template ??= (async () => {
    const db = await PGlite.create('memory://', await pgliteWasmModules());
    try {
      const tar = await db.dumpDataDir('none');
      return new Uint8Array(await tar.arrayBuffer());
    } finally {
      await db.close();
    }
  })();
  template.catch(() => (template = undefined));
  return template;
}

/** Whether PGlite keeps this data directory in memory (none given is memory too). */
export function isInMemory(dataDir: string | undefined): boolean {
  return dataDir === undefined || dataDir === '' || dataDir.startsWith('memory://');
}

/** PGlite's options for a database: the process's compiled PGlite and, in memory, the template. */
export async function pgliteOptions(
  dataDir: string | undefined,
): Promise<PGliteWasmModules & { dataDir?: string; loadDataDir?: Blob }> {
  return {
    ...(await pgliteWasmModules()),
    dataDir,
    ...(isInMemory(dataDir) ? { loadDataDir: new Blob([await emptyDatabaseTemplate()]) } : {}),
  };
}
