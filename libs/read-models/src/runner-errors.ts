export class ProjectionBusyError extends Error {
  readonly code = 'PROJECTION_BUSY';
  constructor(readonly projection: string) {
    super(
      `Projection ${projection} is running in another process; stop its workers (or wait) and retry`,
    );
    this.name = 'ProjectionBusyError';
  }
}

/** Another blue/green rebuild of the same projection is running (in this process or another). */
export class RebuildRunningError extends Error {
  readonly code = 'PROJECTION_REBUILD_RUNNING';
  constructor(readonly projection: string) {
    super(
      `A rebuild of projection ${projection} is already running; wait for it to finish and retry`,
    );
    this.name = 'RebuildRunningError';
  }
}

export class ProjectionFailedError extends Error {
  readonly code = 'PROJECTION_FAILED';
  constructor(
    readonly projection: string,
    readonly position: bigint,
    cause: unknown,
  ) {
    super(`Projection ${projection} stopped at position ${position}: ${messageOf(cause)}`, {
      cause,
    });
    this.name = 'ProjectionFailedError';
  }
}

/** Unwinds a worker's stack when it is stopped or loses its lock; never escapes the worker. */
export class Interrupted extends Error {}

/**
 * SQLSTATEs (and socket errors) that come from the database's state, not from the event: retrying
 * the same transaction later can succeed. Classes 08 (connection) and 53 (insufficient resources);
 * serialization failure, deadlock, statement and lock timeouts, and the server shutting down.
 */
const TRANSIENT_SQLSTATES = new Set([
  '40001',
  '40P01',
  '57014',
  '55P03',
  '57P01',
  '57P02',
  '57P03',
]);
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53']);
const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** The SQLSTATE of a pg or PGlite error, also when a driver wrapper (Drizzle) holds it as `cause`. */
export function sqlStateOf(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isTransientDatabaseError(error: unknown): boolean {
  const code = sqlStateOf(error);
  if (code === undefined) return false;
  return (
    TRANSIENT_SQLSTATES.has(code) ||
    TRANSIENT_SOCKET_CODES.has(code) ||
    (code.length === 5 && TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2)))
  );
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack where there is one: what the checkpoint table and the error log keep. */
export function detailOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
