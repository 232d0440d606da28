import { databaseFault, DatabaseUnavailableError, isDatabaseUnavailable } from './database-errors';

/** An error as node-postgres reports the server's answer: SQLSTATE in `code`, with a severity. */
const serverError = (code: string, message = 'server error') =>
  Object.assign(new Error(message), { code, severity: 'ERROR' });
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111 });

describe('databaseFault', () => {
  it.each([
    ['40001', 'contention'],
    ['40P01', 'contention'],
    ['57014', 'timeout'],
    ['55P03', 'timeout'],
    ['25P03', 'timeout'],
    ['57P01', 'shutdown'],
    ['57P02', 'shutdown'],
    ['57P03', 'shutdown'],
    ['53300', 'overloaded'],
    ['53100', 'overloaded'],
    ['08006', 'unreachable'],
    ['08P01', 'unreachable'],
  ])('reads SQLSTATE %s as %s, answered by the server (rolled back)', (code, fault) => {
    expect(databaseFault(serverError(code))).toEqual({ fault, answered: true });
  });

  it('leaves the caller’s and the program’s errors alone', () => {
    for (const error of [
      serverError('23505'), // unique violation
      serverError('42P01'), // undefined table
      serverError('22P02'), // invalid text representation
      new Error('boom'),
      new TypeError('x is undefined'),
      'a string',
      null,
      undefined,
    ]) {
      expect(databaseFault(error)).toBeUndefined();
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });

  it('tells a connection never made from one lost with a statement in flight', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']) {
      expect(databaseFault(socketError(code))).toEqual({ fault: 'unreachable', answered: true });
    }
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT']) {
      expect(databaseFault(socketError(code))).toEqual({ fault: 'unreachable', answered: false });
    }
  });

  it('reads node-postgres and pg-pool’s own errors by their messages', () => {
    const cases: [string, ReturnType<typeof databaseFault>][] = [
      ['timeout exceeded when trying to connect', { fault: 'timeout', answered: true }],
      ['Connection terminated due to connection timeout', { fault: 'timeout', answered: true }],
      ['timeout expired', { fault: 'timeout', answered: true }],
      ['Query read timeout', { fault: 'timeout', answered: false }],
      ['Connection terminated unexpectedly', { fault: 'unreachable', answered: false }],
      ['Connection terminated', { fault: 'unreachable', answered: false }],
      [
        'Client has encountered a connection error and is not queryable',
        { fault: 'unreachable', answered: true },
      ],
      ['Cannot use a pool after calling end on the pool', { fault: 'shutdown', answered: true }],
    ];
    for (const [message, expected] of cases)
      expect(databaseFault(new Error(message))).toEqual(expected);
  });

  it('finds the fault behind a wrapper’s cause (Drizzle) and KurrentDB’s error types', () => {
    const wrapped = new Error('Failed query: insert …', { cause: serverError('57014') });
    expect(databaseFault(wrapped)).toEqual({ fault: 'timeout', answered: true });
    const kurrent = (type: string) => Object.assign(new Error(type), { type });
    expect(databaseFault(kurrent('unavailable'))).toEqual({
      fault: 'unreachable',
      answered: false,
    });
    expect(databaseFault(kurrent('deadline-exceeded'))).toEqual({
      fault: 'timeout',
      answered: false,
    });
    expect(databaseFault(kurrent('wrong-expected-version'))).toBeUndefined();
  });
});

describe('DatabaseUnavailableError.from', () => {
  it('says UNKNOWN only for a write sent without an answer', () => {
    expect(DatabaseUnavailableError.from(new Error('Query read timeout'), 'write')).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      fault: 'timeout',
      outcome: 'UNKNOWN',
    });
    expect(DatabaseUnavailableError.from(socketError('ECONNRESET'), 'write')?.outcome).toBe(
      'UNKNOWN',
    );
    // The server answered (it rolled back), or no connection was obtained: not applied.
    expect(DatabaseUnavailableError.from(serverError('57014'), 'write')?.outcome).toBe(
      'NOT_APPLIED',
    );
    expect(
      DatabaseUnavailableError.from(new Error('timeout exceeded when trying to connect'), 'write')
        ?.outcome,
    ).toBe('NOT_APPLIED');
    expect(DatabaseUnavailableError.from(socketError('ECONNREFUSED'), 'write')?.outcome).toBe(
      'NOT_APPLIED',
    );
    // Failing before any write was attempted, or a read: never UNKNOWN.
    expect(DatabaseUnavailableError.from(socketError('ECONNRESET'), 'no-write')?.outcome).toBe(
      'NOT_APPLIED',
    );
    expect(DatabaseUnavailableError.from(socketError('ECONNRESET'), 'read')?.outcome).toBe(
      undefined,
    );
  });

  it('keeps an error that is already typed, and the driver’s error as its cause', () => {
    const cause = new Error('Query read timeout');
    const typed = DatabaseUnavailableError.from(cause, 'write') as DatabaseUnavailableError;
    expect(typed.cause).toBe(cause);
    expect(DatabaseUnavailableError.from(typed, 'read')).toBe(typed);
    expect(typed.message).toBe(
      'The database did not answer in time; the command may have been applied',
    );
    expect(DatabaseUnavailableError.from(new Error('boom'), 'write')).toBeUndefined();
  });
});
