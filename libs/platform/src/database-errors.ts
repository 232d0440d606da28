/**
 * Which failures mean "the database is unavailable right now" rather than "this request is
 * wrong", and whether a write that failed that way may still have been committed. The one place
 * that reads driver errors (pg, PGlite, the KurrentDB client); no imports, so every lib may use it.
 */

/** Why the database could not serve the request. */
export type DatabaseFault =
  /** Could not connect, or the connection broke (refused, reset, terminated). */
  | 'unreachable'
  /** Connecting, waiting for a pooled connection, or a statement took too long. */
  | 'timeout'
  /** The server refused for lack of resources (too many connections, out of memory or disk). */
  | 'overloaded'
  /** Serialization failure or deadlock: the transaction was rolled back. */
  | 'contention'
  /** The server (or this process's connection pool) is shutting down. */
  | 'shutdown';

/**
 * What a command that failed this way did: `NOT_APPLIED` when the server answered with an error
 * (it rolled the statement back) or no connection was obtained; `UNKNOWN` when the statement may
 * have reached the server and no answer came back, so it may have been committed.
 */
export type CommandOutcome = 'NOT_APPLIED' | 'UNKNOWN';

export interface DatabaseFaultInfo {
  fault: DatabaseFault;
  /**
   * False when the statement may have reached the server without an answer coming back (a
   * connection lost mid-query, a client-side query timeout): a write may have been committed.
   */
  answered: boolean;
}

/** SQLSTATEs the server answers with when it cannot serve the request now; retrying later can succeed. */
const SQLSTATE_FAULTS: Record<string, DatabaseFault> = {
  '40001': 'contention', // serialization_failure
  '40P01': 'contention', // deadlock_detected
  '57014': 'timeout', // query_canceled (statement_timeout)
  '55P03': 'timeout', // lock_not_available (lock_timeout)
  '25P03': 'timeout', // idle_in_transaction_session_timeout
  '57P01': 'shutdown', // admin_shutdown
  '57P02': 'shutdown', // crash_shutdown
  '57P03': 'shutdown', // cannot_connect_now (starting up, shutting down, recovering)
};
const SQLSTATE_CLASS_FAULTS: Record<string, DatabaseFault> = {
  '08': 'unreachable', // connection exception
  '53': 'overloaded', // insufficient resources (53300 too_many_connections)
};

/** Socket errors before any byte of the request could reach the server. */
const NOT_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);
/** Socket errors on an established connection: a statement in flight may have been committed. */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** node-postgres and pg-pool raise these as plain Errors, recognisable only by their message. */
const MESSAGE_FAULTS: [RegExp, DatabaseFaultInfo][] = [
  // pg-pool: no pooled connection became free within connectionTimeoutMillis.
  [/^timeout exceeded when trying to connect/, { fault: 'timeout', answered: true }],
  // pg-pool / pg: a new connection did not complete within connectionTimeoutMillis.
  [/^Connection terminated due to connection timeout/, { fault: 'timeout', answered: true }],
  [/^timeout expired$/, { fault: 'timeout', answered: true }],
  // pg: query_timeout passed without an answer; the statement may still run and commit.
  [/^Query read timeout/, { fault: 'timeout', answered: false }],
  [/^Connection terminated/, { fault: 'unreachable', answered: false }],
  [/is not queryable/, { fault: 'unreachable', answered: true }],
  [/^Cannot use a pool after calling end/, { fault: 'shutdown', answered: true }],
  // PGlite after close (an embedded database shutting down with the process).
  [/^PGlite is closed/, { fault: 'shutdown', answered: true }],
];

/** KurrentDB client error types meaning the server or the link is away. */
const KURRENTDB_FAULTS: Record<string, DatabaseFaultInfo> = {
  unavailable: { fault: 'unreachable', answered: false },
  'deadline-exceeded': { fault: 'timeout', answered: false },
  'not-leader': { fault: 'unreachable', answered: true },
};

/**
 * The fault behind `error` (or behind its `cause`, for driver wrappers such as Drizzle's), or
 * undefined when it is not a database availability problem (a bug, a constraint, bad input).
 */
export function databaseFault(error: unknown): DatabaseFaultInfo | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof DatabaseUnavailableError) {
      return { fault: current.fault, answered: current.outcome === 'NOT_APPLIED' };
    }
    const found = ownFault(current);
    if (found) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function ownFault(error: object): DatabaseFaultInfo | undefined {
  const { code, message, type, severity } = error as {
    code?: unknown;
    message?: unknown;
    type?: unknown;
    severity?: unknown;
  };
  if (typeof code === 'string') {
    if (NOT_CONNECTED_CODES.has(code)) return { fault: 'unreachable', answered: true };
    if (BROKEN_CONNECTION_CODES.has(code)) return { fault: 'unreachable', answered: false };
    // A five-character code with a severity is the server's own answer: it rolled the statement back.
    if (/^[0-9A-Z]{5}$/.test(code) && (severity !== undefined || /^[0-9]/.test(code))) {
      const fault = SQLSTATE_FAULTS[code] ?? SQLSTATE_CLASS_FAULTS[code.slice(0, 2)];
      if (fault) return { fault, answered: true };
    }
  }
  if (typeof type === 'string' && Object.hasOwn(KURRENTDB_FAULTS, type)) {
    return KURRENTDB_FAULTS[type];
  }
  if (typeof message === 'string') {
    for (const [pattern, info] of MESSAGE_FAULTS) if (pattern.test(message)) return info;
  }
  return undefined;
}

/** True when `error` means the database is unavailable now and the same request may succeed later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseFault(error) !== undefined;
}

const FAULT_MESSAGES: Record<DatabaseFault, string> = {
  unreachable: 'The database is unreachable',
  timeout: 'The database did not answer in time',
  overloaded: 'The database is overloaded',
  contention: 'The database could not serialise this request with concurrent ones',
  shutdown: 'The database is shutting down',
};

/**
 * A command or query that failed because the database was unavailable. `outcome` is set for
 * writes: whether the command may have been applied. The driver's error is kept as `cause` for
 * the logs; callers only ever see the fault and the outcome.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';

  constructor(
    readonly fault: DatabaseFault,
    readonly outcome: CommandOutcome | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(
      `${FAULT_MESSAGES[fault]}${outcome === 'UNKNOWN' ? '; the command may have been applied' : outcome === 'NOT_APPLIED' ? '; the command was not applied' : ''}`,
      options,
    );
    this.name = 'DatabaseUnavailableError';
  }

  /**
   * `error` as a DatabaseUnavailableError when it is a database fault (kept as is when it already
   * is one), else undefined. `write`: the failure came from a statement that may commit, so the
   * outcome follows from whether the server answered; otherwise a write was not attempted
   * (`NOT_APPLIED`), or none is involved (`read`: no outcome).
   */
  static from(
    error: unknown,
    attempt: 'write' | 'no-write' | 'read',
  ): DatabaseUnavailableError | undefined {
    if (error instanceof DatabaseUnavailableError) return error;
    const info = databaseFault(error);
    if (!info) return undefined;
    const outcome =
      attempt === 'read'
        ? undefined
        : attempt === 'write' && !info.answered
          ? 'UNKNOWN'
          : 'NOT_APPLIED';
    return new DatabaseUnavailableError(info.fault, outcome, { cause: error });
  }
}
