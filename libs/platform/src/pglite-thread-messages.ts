/**
 * What the main thread and the PGlite thread (pglite-thread.ts) say to each other. Only values
 * the structured clone algorithm copies cross: no functions, no class instances kept as such. A
 * type-only module, so the thread loads nothing but PGlite.
 */

/** A request: `id` pairs it with its answer. `tx` runs it inside that open transaction. */
import type { PGliteWasmModules } from './pglite-wasm';

/** What the thread starts with: its data directory and PGlite compiled once for the process. */
export interface ThreadData {
  dataDir: string;
  wasm: PGliteWasmModules;
  /** An in-memory database's starting data directory (pglite-wasm.ts), as PGlite's tar. */
  template?: Uint8Array;
}

export type ThreadRequest = { id: number } & (
  | { op: 'query'; sql: string; params: unknown[]; paramTypes?: number[]; tx?: number }
  | { op: 'exec'; sql: string; tx?: number }
  /** Waits for the connection (PGlite's transaction mutex), runs BEGIN; answers the tx number. */
  | { op: 'begin' }
  /** Commits (`commit`) or rolls back the transaction and releases the connection. */
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'rollback'; tx: number }
  | { op: 'listen'; channel: string; listener: number; tx?: number }
  | { op: 'unlisten'; listener: number; tx?: number }
  | { op: 'unlistenChannel'; channel: string; tx?: number }
  | { op: 'close' }
);

/** One result set with every value as PostgreSQL's text (null stays null), rows as arrays. */
export interface RawResults {
  rows: (string | null)[][];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
  rowCount?: number;
  command?: string;
}

/** An error's own fields (SQLSTATE `code`, `detail`, `constraint`...), its class named. */
export interface ThreadError {
  message: string;
  /** `DatabaseError` (the server's answer), `TransactionAbortedError`, or another Error. */
  kind: 'DatabaseError' | 'TransactionAbortedError' | 'Error';
  fields: Record<string, string | number | boolean | null | undefined>;
}

export type ThreadMessage =
  | { type: 'ready'; arrayTypes: { oid: number; typarray: number }[] }
  | { type: 'failed'; error: ThreadError }
  | { type: 'answer'; id: number; value?: unknown }
  | { type: 'refusal'; id: number; error: ThreadError }
  | { type: 'notification'; listener: number; payload: string };
