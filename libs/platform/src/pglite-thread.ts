import {
  PGlite,
  TransactionAbortedError,
  messages,
  parse,
  protocol,
  type Transaction,
} from '@electric-sql/pglite';
import { parentPort, workerData } from 'node:worker_threads';
import type {
  RawResults,
  ThreadData,
  ThreadError,
  ThreadMessage,
  ThreadRequest,
} from './pglite-thread-messages';

/**
 * The thread that owns a PGlite instance (started by pglite-remote.ts). PGlite runs PostgreSQL
 * compiled to WebAssembly synchronously on its caller's thread; here a query's work no longer
 * holds the process's event loop. Every value is answered as PostgreSQL's text: the type parsers
 * (the caller's own among them) run on the main thread, so a query there returns exactly what an
 * in-thread PGlite returns. PGlite's own mutexes still order the work: a query outside a
 * transaction waits while one is open, as it does in-thread.
 */

/** Rejects a transaction's callback so that PGlite rolls it back; never leaves the thread. */
const ROLLBACK = Symbol('rollback');

interface OpenTransaction {
  tx: Transaction;
  end(commit: boolean): void;
  done: Promise<unknown>;
}

async function main(
  port: NonNullable<typeof parentPort>,
  { dataDir, wasm, template }: ThreadData,
): Promise<void> {
  const post = (message: ThreadMessage) => port.postMessage(message);
  let db: PGlite;
  let arrayTypes: { oid: number; typarray: number }[];
  try {
    // The main thread's compiled modules: this thread compiles no PostgreSQL of its own.
    db = await PGlite.create({
      dataDir,
      ...wasm,
      ...(template ? { loadDataDir: new Blob([template]) } : {}),
    });
    // The array types PGlite parses (the same query it runs at start-up), for the main thread's parsers.
    arrayTypes = (
      await db.query<{ oid: number; typarray: number }>(`
        SELECT b.oid, b.typarray
        FROM pg_catalog.pg_type a
        LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
        WHERE a.typcategory = 'A'
        GROUP BY b.oid, b.typarray
        ORDER BY b.oid`)
    ).rows;
  } catch (error) {
    post({ type: 'failed', error: encodeError(error) });
    return;
  }
  // Every value stays PostgreSQL's text here (types PGlite does not know already do).
  const raw = (value: string) => value;
  for (const oid of Object.keys(db.parsers)) db.parsers[oid] = raw;

  const transactions = new Map<number, OpenTransaction>();
  const listeners = new Map<number, (tx?: Transaction) => Promise<void>>();
  let nextTransaction = 1;
  const target = (tx: number | undefined) => (tx === undefined ? db : transaction(tx).tx);
  const transaction = (tx: number) => {
    const open = transactions.get(tx);
    if (!open) throw new Error('Transaction is closed');
    return open;
  };

  const begin = () =>
    new Promise<number>((answer, refuse) => {
      const id = nextTransaction++;
      let end!: (commit: boolean) => void;
      const ended = new Promise<boolean>((resolve) => (end = resolve));
      const done = db.transaction(async (tx) => {
        transactions.set(id, { tx, end, done });
        answer(id);
        if (!(await ended)) throw ROLLBACK;
      });
      // BEGIN itself failed (the database closing): nothing was answered yet.
      done.catch(refuse);
    });

  const handle = async (request: ThreadRequest): Promise<unknown> => {
    switch (request.op) {
      case 'query': {
        const { sql, params, paramTypes, tx } = request;
        // PGlite's query(): the transaction mutex (one transaction at a time), then the query mutex.
        if (tx !== undefined) transaction(tx);
        await db._checkReady();
        const run = () =>
          db.runExclusive(() => query(db, sql, params, paramTypes, tx !== undefined));
        return rawResults(await (tx === undefined ? db._runExclusiveTransaction(run) : run()));
      }
      case 'exec':
        return (await target(request.tx).exec(request.sql, { rowMode: 'array' })).map(rawResults);
      case 'begin':
        return begin();
      case 'end': {
        const open = transaction(request.tx);
        open.end(request.commit);
        try {
          await open.done;
        } catch (error) {
          if (error !== ROLLBACK) throw error;
        } finally {
          transactions.delete(request.tx);
        }
        return undefined;
      }
      case 'rollback':
        return transaction(request.tx).tx.rollback();
      case 'listen': {
        const tx = request.tx === undefined ? undefined : transaction(request.tx).tx;
        const unlisten = await db.listen(
          request.channel,
          (payload) => post({ type: 'notification', listener: request.listener, payload }),
          tx,
        );
        listeners.set(request.listener, unlisten);
        return undefined;
      }
      case 'unlisten': {
        const unlisten = listeners.get(request.listener);
        listeners.delete(request.listener);
        const tx = request.tx === undefined ? undefined : transaction(request.tx).tx;
        return unlisten?.(tx);
      }
      case 'unlistenChannel': {
        const tx = request.tx === undefined ? undefined : transaction(request.tx).tx;
        return db.unlisten(request.channel, undefined, tx);
      }
      case 'close':
        return db.close();
    }
  };

  port.on('message', (request: ThreadRequest) => {
    handle(request).then(
      (value) => post({ type: 'answer', id: request.id, value }),
      (error: unknown) => post({ type: 'refusal', id: request.id, error: encodeError(error) }),
    );
  });
  post({ type: 'ready', arrayTypes });
}

/**
 * PGlite's own `query` (BasePGlite's runQuery: parse, describe, bind, describe, execute, sync),
 * with its six protocol messages sent in two calls instead of six: each call into PGlite costs
 * more than a small statement's own work. The parameters are serialized with PGlite's serializers
 * for the types the statement's description names, as PGlite does; errors are PGlite's.
 */
async function query(
  db: PGlite,
  sql: string,
  params: unknown[],
  paramTypes: number[] | undefined,
  inTransaction: boolean,
) {
  const { serialize } = protocol;
  const noSync = { syncToFs: false };
  let results: messages.BackendMessage[] = [];
  try {
    results = await db.execProtocolStream(
      join(serialize.parse({ text: sql, types: paramTypes }), serialize.describe({ type: 'S' })),
      noSync,
    );
    const dataTypeIDs = parse.parseDescribeStatementResults(results);
    const values = params.map((param, i) => {
      if (param === null || param === undefined) return null;
      const serializer = db.serializers[dataTypeIDs[i]];
      return serializer ? serializer(param) : String(param);
    });
    results.push(
      ...(await db.execProtocolStream(
        join(
          serialize.bind({ values }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ),
        noSync,
      )),
    );
  } catch (error) {
    // After an error PostgreSQL skips every message up to the next Sync: end the query with one.
    await db.execProtocolStream(serialize.sync(), noSync).catch(() => undefined);
    if (error instanceof messages.DatabaseError) Object.assign(error, { query: sql, params });
    throw error;
  }
  if (!inTransaction) await db.syncToFs();
  return parse.parseResults(results, db.parsers, { rowMode: 'array' })[0];
}

function join(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

function rawResults(results: {
  rows: unknown[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
  rowCount?: number;
  command?: string;
}): RawResults {
  const { rows, fields, affectedRows, rowCount, command } = results;
  return {
    rows: rows as (string | null)[][],
    fields: fields.map(({ name, dataTypeID }) => ({ name, dataTypeID })),
    affectedRows,
    rowCount,
    command,
  };
}

/** The error's class and its plain fields (SQLSTATE, detail, constraint, position...). */
function encodeError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { message: String(error), kind: 'Error', fields: {} };
  const fields: ThreadError['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) {
      fields[key] = value as string | number | boolean | null | undefined;
    }
  }
  if (!('name' in fields)) fields.name = error.name;
  const kind =
    error instanceof TransactionAbortedError
      ? 'TransactionAbortedError'
      : error instanceof messages.DatabaseError
        ? 'DatabaseError'
        : 'Error';
  return { message: error.message, kind, fields };
}

if (parentPort) void main(parentPort, workerData as ThreadData);
