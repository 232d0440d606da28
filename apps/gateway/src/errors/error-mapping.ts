import { HttpException, HttpStatus } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { AuditError, AUDIT_ERRORS } from '@arbiter/audit';
import type { Actor } from '@arbiter/auth';
import { AUDIENCE_OF_ROLE, DomainError } from '@arbiter/disputes';
import { EventIdConflictError, EventSchemaVersionUnknownError } from '@arbiter/event-store';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '@arbiter/platform/database-errors';
import { StoredViewVersionError } from '@arbiter/read-models';
import { InputValidationError } from './input-validation';

/** What a failure looks like at the edge, for GraphQL (`extensions`) and HTTP (JSON body) alike. */
export interface ApiError {
  code: string;
  message: string;
  httpStatus: number;
  extensions?: Record<string, unknown>;
  /**
   * A bug or an outage, not the caller's fault: logged with the correlation id (the cause too),
   * details hidden.
   */
  unexpected?: boolean;
}

/**
 * Domain codes that must not tell a party whether a dispute (or order) exists: probing someone
 * else's dispute gets the same FORBIDDEN as an id that does not exist, with no reason attached.
 */
const CONCEALED_CODES = new Set(['NOT_A_PARTY', 'FORBIDDEN_FOR_ROLE']);
const NOT_FOUND_CODES = new Set(['DISPUTE_NOT_FOUND', 'ORDER_NOT_FOUND']);
/** Every role but the parties may see every dispute, so "not found" reveals nothing to them. */
const seesAllDisputes = (actor: Actor): boolean => AUDIENCE_OF_ROLE[actor.role] !== 'party';

/** Codes about the request rather than the dispute: the request conflicts with an earlier one. */
const CONFLICT_CODES = new Set(['IDEMPOTENCY_KEY_REUSED']);

const KEY_REUSED: ApiError = {
  code: 'IDEMPOTENCY_KEY_REUSED',
  message:
    'This idempotency key was already used for another request; use a new key for a new request',
  httpStatus: HttpStatus.CONFLICT,
};

const CONCEALED: ApiError = {
  code: 'FORBIDDEN',
  message: 'Not allowed, or no such dispute or order',
  httpStatus: HttpStatus.FORBIDDEN,
};

export const INTERNAL: ApiError = {
  code: 'INTERNAL_SERVER_ERROR',
  message: 'Internal server error',
  httpStatus: HttpStatus.INTERNAL_SERVER_ERROR,
  unexpected: true,
};

const CODES_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * The disputes lib's `DomainError`, or any error of that shape (named `DomainError`, a string
 * `code`), so other libs can refuse with a stable code without importing the domain.
 */
export function isDomainError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof DomainError ||
    (error instanceof Error &&
      error.name === 'DomainError' &&
      typeof (error as { code?: unknown }).code === 'string')
  );
}

/** The one place that decides what a caller learns about a failure. */
export function toApiError(error: unknown, actor: Actor | null | undefined): ApiError {
  if (error instanceof GraphQLError && typeof error.extensions?.code === 'string') {
    // Raised by graphql-js or Apollo (parse, validation, limits) or already mapped.
    return {
      code: error.extensions.code,
      message: error.message,
      httpStatus: HttpStatus.BAD_REQUEST,
    };
  }
  if (isDomainError(error)) {
    if (CONCEALED_CODES.has(error.code)) return CONCEALED;
    if (NOT_FOUND_CODES.has(error.code)) {
      return actor && seesAllDisputes(actor)
        ? { code: error.code, message: error.message, httpStatus: HttpStatus.NOT_FOUND }
        : CONCEALED;
    }
    return {
      code: error.code,
      message: error.message,
      httpStatus: CONFLICT_CODES.has(error.code)
        ? HttpStatus.CONFLICT
        : HttpStatus.UNPROCESSABLE_ENTITY,
    };
  }
  // A digest the audit log refuses (malformed, unknown key, bad signature, beyond the log) or
  // will not sign: the caller's input or the record's state, never a bug.
  if (error instanceof AuditError) {
    return {
      code: error.code,
      message: error.message,
      httpStatus: AUDIT_ERRORS[error.code].httpStatus,
    };
  }
  // Event ids derive from the command id, hence from the caller's idempotency key: ids taken by
  // other content mean the key was used for another request. The command handler answers this
  // itself; this keeps any path it does not cover from a 500.
  if (error instanceof EventIdConflictError) return KEY_REUSED;
  // A stored event of a newer release than this one (a rollback, or one instance behind in a
  // rolling deploy): nothing was misread or written; an up-to-date instance can answer.
  if (error instanceof EventSchemaVersionUnknownError) {
    return {
      code: error.code,
      message: 'Events recorded by a newer release of the service cannot be read by this one',
      httpStatus: HttpStatus.SERVICE_UNAVAILABLE,
      extensions: { retryable: true },
      unexpected: true,
    };
  }
  // A read model stored by an older view fold, awaiting its rebuild: nothing was misread, the
  // operators are told (logged, with the command to run), the caller may retry.
  if (error instanceof StoredViewVersionError) {
    return {
      code: error.code,
      message: 'This view is being rebuilt; try again shortly',
      httpStatus: HttpStatus.SERVICE_UNAVAILABLE,
      extensions: { retryable: true },
      unexpected: true,
    };
  }
  if (error instanceof InputValidationError) {
    return {
      code: 'BAD_USER_INPUT',
      message: error.message,
      httpStatus: HttpStatus.BAD_REQUEST,
      extensions: { fields: error.fields },
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status >= 500) return INTERNAL;
    const response = error.getResponse();
    const given =
      typeof response === 'object' ? (response as { code?: unknown; message?: unknown }) : {};
    const message = typeof given.message === 'string' ? given.message : error.message;
    const code =
      typeof given.code === 'string' ? given.code : (CODES_BY_STATUS[status] ?? 'BAD_REQUEST');
    return { code, message, httpStatus: status };
  }
  // The database is unreachable, slow or shutting down: the caller may retry. A command's error
  // says whether it may have been applied; anything else was a read (no outcome).
  const unavailable = DatabaseUnavailableError.from(error, 'read');
  if (unavailable) {
    return {
      code: 'SERVICE_UNAVAILABLE',
      message: unavailable.message,
      httpStatus: HttpStatus.SERVICE_UNAVAILABLE,
      extensions: {
        retryable: true,
        ...(unavailable.outcome ? { outcome: unavailable.outcome } : {}),
      },
      unexpected: true,
    };
  }
  return INTERNAL;
}

/**
 * What a command's failure tells its caller: a database fault the command handling did not type
 * (a read outside the load–decide–append of one stream) says `UNKNOWN`, since another part of the
 * command may already be recorded. Typed faults and every other error pass unchanged.
 */
export function asCommandFailure(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isDatabaseUnavailable(error)) return error;
  const typed = DatabaseUnavailableError.from(error, 'read') as DatabaseUnavailableError;
  return new DatabaseUnavailableError(typed.fault, 'UNKNOWN', { cause: error });
}

/**
 * A GraphQL error as a client may see it, for transports that bypass Apollo's `formatError`
 * (graphql-ws). Errors already carrying a code (mapped by ApiExceptionFilter, or refused by the
 * limits) keep it with their extensions; graphql-js's own request errors (no code, no cause) are
 * the caller's; anything else is mapped by `toApiError` and, if unexpected, masked.
 */
export function toFormattedGraphQLError(
  error: GraphQLError,
  actor: Actor | null | undefined,
): { formatted: GraphQLFormattedError; unexpected: boolean; code?: string } {
  const where = {
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
  };
  if (typeof error.extensions?.code === 'string') {
    const { http: _http, stacktrace: _stacktrace, ...extensions } = error.extensions;
    return { formatted: { message: error.message, ...where, extensions }, unexpected: false };
  }
  if (!error.originalError) {
    return {
      formatted: { message: error.message, ...where, extensions: { code: 'BAD_USER_INPUT' } },
      unexpected: false,
    };
  }
  const mapped = toApiError(error.originalError, actor);
  return {
    formatted: {
      message: mapped.message,
      ...where,
      extensions: { ...mapped.extensions, code: mapped.code },
    },
    unexpected: mapped.unexpected === true,
    code: mapped.code,
  };
}

/**
 * Logs a failure the caller is not to blame for: a database that is unavailable is an outage the
 * client retries (a warning, with its reason), anything else a bug (an error with the stack).
 */
export function logServerFailure(
  logger: {
    warn(object: unknown, message: string): void;
    error(object: unknown, message: string): void;
  },
  code: string | undefined,
  err: unknown,
  correlationId?: string,
): void {
  const where = correlationId ? ` (correlation id ${correlationId})` : '';
  if (code === 'SERVICE_UNAVAILABLE') {
    const reason = err instanceof Error ? err.message : String(err);
    logger.warn({ err: reason, correlationId }, `Database unavailable${where}: ${reason}`);
    return;
  }
  logger.error({ err, correlationId }, `Unexpected error${where}`);
}
