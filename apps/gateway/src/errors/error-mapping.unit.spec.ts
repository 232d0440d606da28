import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { GraphQLError } from 'graphql';
import { DomainError } from '@arbiter/disputes';
import { EventIdConflictError, EventSchemaVersionUnknownError } from '@arbiter/event-store';
import { DatabaseUnavailableError } from '@arbiter/platform/database-errors';
import { StoredViewVersionError } from '@arbiter/read-models';
import {
  asCommandFailure,
  logServerFailure,
  toApiError,
  toFormattedGraphQLError,
} from './error-mapping';
import { InputValidationError } from './input-validation';

const buyer = { id: 'b-1', role: 'buyer' as const };
const mediator = { id: 'm-1', role: 'mediator' as const };

describe('toApiError', () => {
  it('passes a domain code through', () => {
    expect(
      toApiError(new DomainError('DISPUTE_NOT_IN_NEGOTIATION', 'Not in negotiation'), buyer),
    ).toMatchObject({
      code: 'DISPUTE_NOT_IN_NEGOTIATION',
      message: 'Not in negotiation',
      httpStatus: 422,
    });
  });

  it('answers a reused idempotency key with 409 IDEMPOTENCY_KEY_REUSED, never a 500', () => {
    for (const error of [
      new DomainError('IDEMPOTENCY_KEY_REUSED', 'Used for another request'),
      new EventIdConflictError('e-1'),
    ]) {
      expect(toApiError(error, buyer)).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        httpStatus: 409,
      });
      expect(toApiError(error, buyer).unexpected).toBeUndefined();
    }
  });

  it('accepts any error shaped like a DomainError', () => {
    const error = Object.assign(new Error('x'), { name: 'DomainError', code: 'SOMETHING_ELSE' });
    expect(toApiError(error, buyer).code).toBe('SOMETHING_ELSE');
  });

  it('makes "not a party" and "no such dispute" indistinguishable for parties', () => {
    const notAParty = toApiError(
      new DomainError('NOT_A_PARTY', 'You are not the buyer of o-1'),
      buyer,
    );
    const missing = toApiError(new DomainError('DISPUTE_NOT_FOUND', 'No dispute d-9'), buyer);
    expect(notAParty).toEqual(missing);
    expect(notAParty).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    expect(notAParty.extensions).toBeUndefined();
  });

  it('tells staff that a dispute does not exist', () => {
    expect(toApiError(new DomainError('DISPUTE_NOT_FOUND'), mediator)).toMatchObject({
      code: 'DISPUTE_NOT_FOUND',
      httpStatus: 404,
    });
  });

  it('reports validation failures with their field paths', () => {
    const error = new InputValidationError([
      { path: 'input.amountMinor', constraints: { isPositive: 'must be positive' } },
    ]);
    expect(toApiError(error, buyer)).toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: {
        fields: [{ path: 'input.amountMinor', constraints: { isPositive: 'must be positive' } }],
      },
    });
  });

  it('maps authentication, authorization and throttling', () => {
    expect(toApiError(new UnauthorizedException('Token expired'), null)).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'Token expired',
    });
    expect(toApiError(new ForbiddenException(), buyer).code).toBe('FORBIDDEN');
    expect(toApiError(new ThrottlerException(), buyer)).toMatchObject({
      code: 'RATE_LIMITED',
      httpStatus: 429,
    });
  });

  it('keeps codes graphql-js and Apollo already set', () => {
    const error = new GraphQLError('too deep', { extensions: { code: 'QUERY_TOO_DEEP' } });
    expect(toApiError(error, buyer).code).toBe('QUERY_TOO_DEEP');
  });

  it('answers a database outage SERVICE_UNAVAILABLE, retryable, with the command’s outcome when known', () => {
    const lost = DatabaseUnavailableError.from(new Error('Query read timeout'), 'write');
    expect(toApiError(lost, buyer)).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database did not answer in time; the command may have been applied',
      httpStatus: 503,
      extensions: { retryable: true, outcome: 'UNKNOWN' },
      unexpected: true,
    });
    const refused = Object.assign(new Error('too many clients'), {
      code: '53300',
      severity: 'FATAL',
    });
    expect(toApiError(DatabaseUnavailableError.from(refused, 'write'), buyer)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      extensions: { retryable: true, outcome: 'NOT_APPLIED' },
    });
    // A query's raw driver error: unavailable, no outcome (nothing was to be applied).
    const read = toApiError(new Error('Connection terminated unexpectedly'), buyer);
    expect(read).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
    expect(read.extensions).toEqual({ retryable: true });
  });

  it('says UNKNOWN for a database fault a command did not type: part of it may be recorded', () => {
    const raw = Object.assign(new Error('server closed'), { code: '57P01', severity: 'FATAL' });
    expect(toApiError(asCommandFailure(raw), buyer).extensions).toEqual({
      retryable: true,
      outcome: 'UNKNOWN',
    });
    const typed = DatabaseUnavailableError.from(raw, 'write');
    expect(asCommandFailure(typed)).toBe(typed);
    const domain = new DomainError('DISPUTE_CLOSED', 'closed');
    expect(asCommandFailure(domain)).toBe(domain);
  });

  it('answers an event stored by a newer release with its stable code, retryable, never a 500', () => {
    const error = new EventSchemaVersionUnknownError('e-1', 'ReturnShipped', 3, 2);
    expect(toApiError(error, null)).toEqual({
      code: 'EVENT_SCHEMA_VERSION_UNKNOWN',
      message: 'Events recorded by a newer release of the service cannot be read by this one',
      httpStatus: 503,
      extensions: { retryable: true },
      unexpected: true,
    });
  });

  it('answers a stored view of another view version with its stable code, retryable, never a 500', () => {
    const error = new StoredViewVersionError('buyer-view', 'd-1', 0);
    expect(toApiError(error, buyer)).toEqual({
      code: 'STORED_VIEW_VERSION_MISMATCH',
      message: 'This view is being rebuilt; try again shortly',
      httpStatus: 503,
      extensions: { retryable: true },
      unexpected: true,
    });
  });

  it('hides anything unexpected behind a generic message', () => {
    const mapped = toApiError(
      new TypeError('cannot read properties of undefined (secret detail)'),
      buyer,
    );
    expect(mapped).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Internal server error',
      httpStatus: 500,
      unexpected: true,
    });
  });
});

describe('toFormattedGraphQLError (graphql-ws, where Apollo formatError does not run)', () => {
  it('masks an unexpected error thrown during execution and flags it for the log', () => {
    const error = new GraphQLError('connection refused to 10.0.0.7', {
      path: ['disputeUpdated'],
      originalError: new Error('connection refused to 10.0.0.7'),
    });
    expect(toFormattedGraphQLError(error, buyer)).toEqual({
      formatted: {
        message: 'Internal server error',
        path: ['disputeUpdated'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
      unexpected: true,
      code: 'INTERNAL_SERVER_ERROR',
    });
  });

  it('maps a domain error like HTTP does, concealment included', () => {
    const error = new GraphQLError('x', {
      originalError: new DomainError('NOT_A_PARTY', 'You are not the buyer of o-1'),
    });
    expect(toFormattedGraphQLError(error, buyer).formatted).toEqual({
      message: 'Not allowed, or no such dispute or order',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it('tells a socket client the database is unavailable, like HTTP', () => {
    const error = new GraphQLError('x', {
      originalError: DatabaseUnavailableError.from(
        Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        'write',
      ),
    });
    expect(toFormattedGraphQLError(error, buyer)).toMatchObject({
      formatted: {
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, outcome: 'UNKNOWN' },
      },
      unexpected: true,
    });
  });

  it('keeps an error already mapped, with its extensions, minus transport details', () => {
    const error = new GraphQLError('Bad input', {
      extensions: { code: 'BAD_USER_INPUT', fields: [{ path: 'a' }], http: { status: 400 } },
    });
    expect(toFormattedGraphQLError(error, buyer).formatted).toEqual({
      message: 'Bad input',
      extensions: { code: 'BAD_USER_INPUT', fields: [{ path: 'a' }] },
    });
  });
});

describe('logServerFailure', () => {
  it('logs an unavailable database as a warning with its reason, anything else as an error', () => {
    const logger = { warn: jest.fn(), error: jest.fn() };
    logServerFailure(logger, 'SERVICE_UNAVAILABLE', new Error('Connection terminated'), 'c-1');
    expect(logger.warn).toHaveBeenCalledWith(
      { err: 'Connection terminated', correlationId: 'c-1' },
      'Database unavailable (correlation id c-1): Connection terminated',
    );
    const bug = new TypeError('x is undefined');
    logServerFailure(logger, 'INTERNAL_SERVER_ERROR', bug, 'c-2');
    expect(logger.error).toHaveBeenCalledWith(
      { err: bug, correlationId: 'c-2' },
      'Unexpected error (correlation id c-2)',
    );
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
  });
});
