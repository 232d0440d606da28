import {
  TransactionAbortedError,
  messages,
  types,
  type PGlite,
  type QueryOptions,
  type Results,
  type Transaction,
} from '@electric-sql/pglite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  RawResults,
  ThreadData,
  ThreadError,
  ThreadMessage,
  ThreadRequest,
} from './pglite-thread-messages';
import {
  emptyDatabaseTemplate,
  isInMemory,
  pgliteWasmModules,
  type PGliteWasmModules,
} from './pglite-wasm';

/**
 * The part of PGlite's interface this codebase (and Drizzle's PGlite driver) uses. Both an
 * in-thread `PGlite` and a `PGliteRemote` provide it.
 */
export type EmbeddedDatabase = Pick<
  PGlite,
  | 'query'
  | 'sql'
  | 'exec'
  | 'transaction'
  | 'listen'
  | 'unlisten'
  | 'close'
  | 'waitReady'
  | 'ready'
  | 'closed'
>;

type Parser = (value: string, typeId?: number) => unknown;

/**
 * PGlite's tagged-template helper (`sql`), from its `/template` entry: the package's export map,
 * which this project's module resolution does not read for types.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { query: templateQuery } = require('@electric-sql/pglite/template') as {
  query(strings: TemplateStringsArray, ...values: unknown[]): { query: string; params: unknown[] };
};
type Request = ThreadRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/**
 * PGlite in a worker thread (pglite-thread.ts), seen from the main thread through PGlite's own
 * interface. PGlite runs PostgreSQL synchronously on its caller's thread: in-thread, every query
 * holds the event loop (an accepted command tens of milliseconds), so request handling waits
 * for the database. Here the main thread only sends the query and parses the answer.
 *
 * Values cross as PostgreSQL's text with their type OIDs and are parsed here with PGlite's own
 * parsers merged with the caller's `parsers`, so callers get what an in-thread PGlite returns
 * (Dates, int8 as number or bigint, jsonb, bytea, arrays). Errors cross with their fields
 * (SQLSTATE `code`, `detail`, ...) as PGlite's `DatabaseError`. PGlite's mutexes in the thread
 * keep one transaction at a time, and queries outside it wait. LISTEN callbacks run here.
 */
export class PGliteRemote implements EmbeddedDatabase {
  readonly waitReady: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  readonly #listeners = new Map<number, { channel: string; callback: (payload: string) => void }>();
  #parsers: Record<number | string, Parser> = { ...types.parsers };
  #nextId = 1;
  #ready = false;
  #closed = false;
  /** Why the thread can no longer answer (closed, or it stopped). */
  #stopped: Error | undefined;

  private constructor(start: ThreadData) {
    // The thread keeps the process alive while it starts and while an answer is awaited, not
    // while idle: an in-thread PGlite does not keep a process alive either.
    this.#worker = startThread(start);
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.#worker.on('message', (message: ThreadMessage) => {
        switch (message.type) {
          case 'ready':
            this.#useArrayTypes(message.arrayTypes);
            this.#ready = true;
            if (this.#pending.size === 0) this.#worker.unref();
            return resolve();
          case 'failed':
            return reject(decodeError(message.error));
          case 'answer':
            return this.#settle(message.id)?.resolve(message.value);
          case 'refusal':
            return this.#settle(message.id)?.reject(decodeError(message.error));
          case 'notification':
            return this.#listeners.get(message.listener)?.callback(message.payload);
        }
      });
      const stop = (error: Error) => {
        this.#stopped ??= error;
        reject(error);
        for (const { reject: refuse } of this.#pending.values()) refuse(this.#stopped);
        this.#pending.clear();
      };
      this.#worker.on('error', (error) =>
        stop(new Error(`PGlite thread failed: ${error.message}`)),
      );
      this.#worker.on('exit', (code) => stop(new Error(`PGlite thread stopped (exit ${code})`)));
    });
    this.waitReady.catch(() => undefined);
  }

  /**
   * Starts the thread and resolves once PGlite in it is ready (`memory://` or a data directory).
   * The thread runs the process's compiled PGlite (pglite-wasm.ts), or `wasm` when given; an
   * in-memory database starts from the process's empty-cluster template instead of initdb.
   */
  static async create(dataDir: string, wasm?: PGliteWasmModules): Promise<PGliteRemote> {
    const db = new PGliteRemote({
      dataDir,
      wasm: wasm ?? (await pgliteWasmModules()),
      template: isInMemory(dataDir) ? await emptyDatabaseTemplate() : undefined,
    });
    try {
      await db.waitReady;
    } catch (error) {
      await db.#worker.terminate();
      throw error;
    }
    return db;
  }

  /** The thread's event-loop utilisation (Node's `eventLoopUtilization`): how busy PGlite is. */
  threadUtilization(
    previous?: ReturnType<Worker['performance']['eventLoopUtilization']>,
  ): ReturnType<Worker['performance']['eventLoopUtilization']> {
    return this.#worker.performance.eventLoopUtilization(previous);
  }

  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(undefined, sql, params, options);
  }

  sql<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Results<T>> {
    const { query, params } = templateQuery(strings, ...values);
    return this.query<T>(query, params);
  }

  exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    return this.#exec(undefined, sql, options);
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = (await this.#call({ op: 'begin' })) as number;
    let closed = false;
    const checkClosed = () => {
      if (closed) throw new Error('Transaction is closed');
    };
    const tx: Transaction = {
      query: async <R>(sql: string, params?: unknown[], options?: QueryOptions) => {
        checkClosed();
        return this.#query<R>(id, sql, params ?? [], options);
      },
      sql: async <R>(strings: TemplateStringsArray, ...values: unknown[]) => {
        checkClosed();
        const { query, params } = templateQuery(strings, ...values);
        return this.#query<R>(id, query, params, undefined);
      },
      exec: async (sql: string, options?: QueryOptions) => {
        checkClosed();
        return this.#exec(id, sql, options);
      },
      rollback: async () => {
        checkClosed();
        await this.#call({ op: 'rollback', tx: id });
        closed = true;
      },
      listen: async (channel: string, listener: (payload: string) => void) => {
        checkClosed();
        return this.#listen(channel, listener, id);
      },
      get closed() {
        return closed;
      },
    };
    transactionIds.set(tx, id);
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      closed = true;
      await this.#call({ op: 'end', tx: id, commit: false });
      throw error;
    }
    closed = true;
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  listen(
    channel: string,
    callback: (payload: string) => void,
    tx?: Transaction,
  ): Promise<(tx?: Transaction) => Promise<void>> {
    return this.#listen(channel, callback, transactionId(tx));
  }

  async unlisten(
    channel: string,
    callback?: (payload: string) => void,
    tx?: Transaction,
  ): Promise<void> {
    const ids = [...this.#listeners]
      .filter(
        ([, entry]) => entry.channel === channel && (!callback || entry.callback === callback),
      )
      .map(([id]) => id);
    for (const id of ids) this.#listeners.delete(id);
    if (!callback) {
      await this.#call({ op: 'unlistenChannel', channel, tx: transactionId(tx) });
      return;
    }
    for (const id of ids) await this.#call({ op: 'unlisten', listener: id, tx: transactionId(tx) });
  }

  /** Waits for the queries and the transaction under way, closes PGlite, and ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#call({ op: 'close' });
    } finally {
      this.#closed = true;
      this.#stopped ??= new Error('PGlite is closed');
      await this.#worker.terminate();
    }
  }

  async #query<T>(
    tx: number | undefined,
    sql: string,
    params: unknown[],
    options: QueryOptions | undefined,
  ): Promise<Results<T>> {
    refuseUnsupported(options);
    try {
      const raw = (await this.#call({
        op: 'query',
        sql,
        params: params.map(cloneable),
        paramTypes: options?.paramTypes,
        tx,
      })) as RawResults;
      return this.#parse(raw, options) as Results<T>;
    } catch (error) {
      throw withQuery(error, sql, params, options);
    }
  }

  async #exec(tx: number | undefined, sql: string, options?: QueryOptions): Promise<Results[]> {
    refuseUnsupported(options);
    try {
      const raw = (await this.#call({ op: 'exec', sql, tx })) as RawResults[];
      return raw.map((results) => this.#parse(results, options));
    } catch (error) {
      throw withQuery(error, sql, undefined, options);
    }
  }

  async #listen(
    channel: string,
    callback: (payload: string) => void,
    tx: number | undefined,
  ): Promise<(tx?: Transaction) => Promise<void>> {
    const listener = this.#nextId++;
    this.#listeners.set(listener, { channel, callback });
    try {
      await this.#call({ op: 'listen', channel, listener, tx });
    } catch (error) {
      this.#listeners.delete(listener);
      throw error;
    }
    return async (tx?: Transaction) => {
      if (!this.#listeners.delete(listener)) return;
      await this.#call({ op: 'unlisten', listener, tx: transactionId(tx) });
    };
  }

  /** PGlite's `parseResults` over the thread's raw text: the same parsers, merged the same way. */
  #parse(raw: RawResults, options: QueryOptions | undefined): Results {
    const parsers = options?.parsers ? { ...this.#parsers, ...options.parsers } : this.#parsers;
    const { fields } = raw;
    const rows = raw.rows.map((values) => {
      const parsed = values.map((value, i) =>
        types.parseType(value, fields[i].dataTypeID, parsers),
      );
      if (options?.rowMode === 'array') return parsed;
      return Object.fromEntries(parsed.map((value, i) => [fields[i].name, value]));
    });
    const results: Results = { rows, fields, affectedRows: raw.affectedRows };
    if (raw.command !== undefined) Object.assign(results, { command: raw.command });
    if (raw.rowCount !== undefined) Object.assign(results, { rowCount: raw.rowCount });
    return results;
  }

  /** Array parsers as PGlite builds them: the element's parser looked up when a value is parsed. */
  #useArrayTypes(arrayTypes: { oid: number; typarray: number }[]): void {
    const parsers = this.#parsers;
    for (const { oid, typarray } of arrayTypes) {
      parsers[typarray] = (value: string) =>
        types.arrayParser(value, parsers[oid] as types.Parser, typarray);
    }
  }

  #call(request: Request): Promise<unknown> {
    if (this.#stopped) return Promise.reject(new Error(this.#stopped.message));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.#worker.postMessage({ ...request, id });
      } catch (error) {
        return reject(error as Error);
      }
      if (this.#pending.size === 0 && this.#ready) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  #settle(id: number) {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#ready) this.#worker.unref();
    return pending;
  }
}

/**
 * The thread's file: compiled beside this one (`npm run build`), or this TypeScript source
 * (ts-node in development, the tests) compiled on load in the thread.
 */
function startThread(workerData: ThreadData): Worker {
  const compiled = join(__dirname, 'pglite-thread.js');
  const options = { workerData, stdout: false, stderr: false };
  if (existsSync(compiled)) return new Worker(compiled, options);
  const source = join(__dirname, 'pglite-thread.ts');
  return new Worker(
    `require(${JSON.stringify(require.resolve('ts-node'))}).register(${JSON.stringify(TS_NODE)});
     require(${JSON.stringify(source)});`,
    { ...options, eval: true },
  );
}

/** The thread imports only PGlite and Node: no project settings or path aliases needed. */
const TS_NODE = {
  transpileOnly: true,
  skipProject: true,
  compilerOptions: { module: 'commonjs', target: 'es2022', esModuleInterop: true },
};

function transactionId(tx: Transaction | undefined): number | undefined {
  if (tx === undefined) return undefined;
  const id = transactionIds.get(tx);
  if (id === undefined) throw new Error('not a transaction of this database');
  return id;
}
const transactionIds = new WeakMap<Transaction, number>();

/** Per-query serializers, blobs and notice callbacks are functions or files: they cannot cross. */
function refuseUnsupported(options: QueryOptions | undefined): void {
  if (options?.serializers || options?.blob || options?.onNotice) {
    throw new Error(
      'PGlite in a thread: serializers, blob and onNotice query options are not supported',
    );
  }
}

/**
 * A parameter as the thread will see it. Structured cloning keeps plain data, Dates, byte arrays
 * and bigints as they are; an instance of another class would lose its methods (its `toString`
 * or `toJSON`, which PGlite's serializers call), so it is refused rather than stored differently.
 */
function cloneable(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(cloneable);
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    throw new Error(
      `PGlite in a thread: a query parameter of class ${value.constructor.name} cannot be sent; pass plain data`,
    );
  }
  return value;
}

/** The thread's error as PGlite would have thrown it here. */
function decodeError(encoded: ThreadError): Error {
  let error: Error;
  if (encoded.kind === 'TransactionAbortedError') error = new TransactionAbortedError();
  else if (encoded.kind === 'DatabaseError') {
    error = new messages.DatabaseError(encoded.message, 0, 'error');
  } else error = new Error(encoded.message);
  return Object.assign(error, encoded.fields);
}

/** PGlite's errors name their query, parameters and options (`makePGliteError`). */
function withQuery(
  error: unknown,
  query: string,
  params: unknown[] | undefined,
  options: QueryOptions | undefined,
): unknown {
  if (error instanceof messages.DatabaseError) {
    Object.assign(error, { query, params, queryOptions: options });
  }
  return error;
}
