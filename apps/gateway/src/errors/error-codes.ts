/**
 * The codes the gateway itself answers with (`extensions.code` in GraphQL, `code` in the JSON body
 * of `POST /evidence`), besides the domain's (`DOMAIN_ERRORS`) and the analytics feed's
 * (`FEED_END_CODES`). docs/clients.md's error table is generated from these lists (`npm run
 * docs:errors`) and a unit test fails when a code is thrown that no list declares: adding a code is
 * one entry here.
 */
export interface ErrorCodeInfo {
  /** What the code means to a client developer, and what to do about it. */
  description: string;
  /** The HTTP status of a response whose whole answer is this error (an upload, a refused request). */
  httpStatus?: number;
  /** When and how to retry; absent: retrying the same request gets the same answer. */
  retry?: string;
  /** What the code is about, for the table's "From" column; default `request`. */
  kind?: 'request' | 'access' | 'upload' | 'server';
}

const RETRYABLE = 'yes (`extensions.retryable`), with backoff';

export const GATEWAY_ERRORS = {
  // the request itself
  BAD_REQUEST: {
    description:
      'The request cannot be read: not JSON, no `query`, a GET or a form without the CSRF-prevention header, a malformed upload.',
    httpStatus: 400,
  },
  PAYLOAD_TOO_LARGE: {
    description: 'The JSON body is larger than the server accepts (`REQUEST_BODY_LIMIT`).',
    httpStatus: 413,
  },
  GRAPHQL_PARSE_FAILED: {
    description: 'The document is not valid GraphQL syntax, or longer than 5,000 tokens.',
    httpStatus: 400,
  },
  GRAPHQL_VALIDATION_FAILED: {
    description:
      'The document does not fit the schema (an unknown field, a missing argument; introspection in production).',
    httpStatus: 400,
  },
  OPERATION_RESOLUTION_FAILURE: {
    description: 'The document has no operation named `operationName`, or several and no name.',
    httpStatus: 400,
  },
  BAD_USER_INPUT: {
    description:
      'A variable or argument is out of range or malformed (a forged cursor, a bad instant, a NUL character); `extensions.fields` names the fields when known.',
    httpStatus: 400,
  },
  QUERY_TOO_DEEP: {
    description: 'The operation nests deeper than the server allows (`GRAPHQL_MAX_DEPTH`).',
    httpStatus: 400,
  },
  QUERY_TOO_COMPLEX: {
    description:
      'The operation costs more than the server allows, or has too many aliases or directives: ask for smaller pages or fewer fields.',
    httpStatus: 400,
  },
  SUBSCRIPTION_OVER_HTTP: {
    description: 'Subscriptions run over graphql-ws (WebSocket), not over HTTP.',
    httpStatus: 400,
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    description: 'Automatic persisted queries are off: send the whole document.',
    httpStatus: 200,
    retry: 'yes, with the whole query (clients fall back on their own)',
  },
  TOO_MANY_OPERATIONS: {
    description: 'More than 50 operations at once on one graphql-ws connection.',
    retry: 'once another operation on the connection completed',
  },
  // who is asking
  UNAUTHENTICATED: {
    kind: 'access',
    description:
      'No bearer token, or one that is malformed, expired, not yet valid or not signed by the expected key (the message says which).',
    httpStatus: 401,
    retry: 'with a fresh token',
  },
  FORBIDDEN: {
    kind: 'access',
    description:
      "Not allowed, or no such dispute or order: a party probing another's dispute gets the same answer as for an id that does not exist.",
    httpStatus: 403,
  },
  NOT_FOUND: { description: 'No such HTTP route or file.', httpStatus: 404 },
  CONFLICT: { description: 'The request conflicts with an earlier one (HTTP).', httpStatus: 409 },
  RATE_LIMITED: {
    kind: 'access',
    description:
      'Too many requests (per caller, per address, or refused requests per address): wait `Retry-After` seconds (`extensions.retryAfterSeconds`).',
    httpStatus: 429,
    retry: 'after `Retry-After`',
  },
  // evidence uploads (POST /evidence)
  EVIDENCE_TOO_LARGE: {
    kind: 'upload',
    description: 'The uploaded file is larger than the server accepts (`EVIDENCE_MAX_BYTES`).',
    httpStatus: 413,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    kind: 'upload',
    description:
      "The uploaded file's bytes are not a type evidence accepts (the declared type is not trusted).",
    httpStatus: 415,
  },
  EVIDENCE_UPLOAD_TIMEOUT: {
    kind: 'upload',
    description: 'The upload did not complete within `EVIDENCE_UPLOAD_TIMEOUT_MS`.',
    httpStatus: 408,
    retry: 'yes, upload again (the same file is stored once)',
  },
  EVIDENCE_QUOTA_EXCEEDED: {
    kind: 'upload',
    description:
      "The caller's evidence quota (per dispute, or per user within the window) is used up; the message says which.",
    httpStatus: 422,
  },
  // evidence downloads (GET /evidence/<disputeId>/<sha256>)
  EVIDENCE_NOT_FOUND: {
    kind: 'upload',
    description:
      'No such file in a dispute you may see; also the answer to a missing or bad token, so it reveals nothing about other disputes.',
    httpStatus: 404,
  },
  EVIDENCE_LINK_INVALID: {
    kind: 'upload',
    description:
      'The signed link was changed or is for another file or dispute: use `StoredFile.url` as it is.',
    httpStatus: 403,
  },
  EVIDENCE_LINK_EXPIRED: {
    kind: 'upload',
    description:
      'The signed link is past its `urlExpiresAt`: query the dispute again for a fresh one.',
    httpStatus: 403,
  },
  EVIDENCE_RANGE_NOT_SATISFIABLE: {
    kind: 'upload',
    description: 'The requested byte range starts past the end of the file.',
    httpStatus: 416,
  },
  // the server
  SERVICE_UNAVAILABLE: {
    kind: 'server',
    description:
      "The database is unreachable, slow or shutting down. A mutation's `extensions.outcome` says `NOT_APPLIED` or `UNKNOWN` (retry with the same idempotency key either way).",
    httpStatus: 503,
    retry: RETRYABLE,
  },
  EVENT_SCHEMA_VERSION_UNKNOWN: {
    kind: 'server',
    description:
      'This server instance is older than the events it would read (during a deploy); another instance can answer.',
    httpStatus: 503,
    retry: RETRYABLE,
  },
  STORED_VIEW_VERSION_MISMATCH: {
    kind: 'server',
    description: 'This view is being rebuilt after an upgrade.',
    httpStatus: 503,
    retry: RETRYABLE,
  },
  INTERNAL_SERVER_ERROR: {
    kind: 'server',
    description:
      'A bug: nothing more is said to the client, the cause is logged with the correlation id.',
    httpStatus: 500,
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/**
 * Codes that appear in the server's code but never reach a client, each with what the client gets
 * instead: the guard test accepts them, the table leaves them out.
 */
export const SERVER_ONLY_CODES = {
  WRONG_EXPECTED_REVISION: 'a concurrent write: the command is retried on the new state',
  EVENT_ID_CONFLICT: 'answered as IDEMPOTENCY_KEY_REUSED',
  EVENT_STORE_APPEND_LOCK_TOO_LATE: 'a programming error in a writer (INTERNAL_SERVER_ERROR)',
  EVENT_STORE_XIDS_BEHIND: 'operators: the event store refuses to serve a restored database',
  CHECKPOINTS_BEYOND_EVENT_LOG: 'operators: the read models refuse to start',
  INVALID_CURSOR: 'answered as BAD_USER_INPUT naming `after` or `before`',
  PROJECTION_BUSY: 'operators: a rebuild waits for the running workers',
  PROJECTION_REBUILD_RUNNING: 'operators: another rebuild of the same projection is running',
  MIXED_PAGING_DIRECTIONS: 'answered as BAD_USER_INPUT naming `last` or `before`',
  PROJECTION_FAILED: 'operators: a read model stopped at an event (readiness fails)',
  NATS_UNAVAILABLE: 'operators: the JetStream forwarder retries',
  NATS_PUBLISH_FAILED: 'operators: the JetStream forwarder retries',
  EVENT_NOT_PUBLISHABLE: 'operators: the JetStream forwarder stops',
  TOKEN_MALFORMED: 'answered as UNAUTHENTICATED with its message',
  TOKEN_EXPIRED: 'answered as UNAUTHENTICATED with its message',
  TOKEN_INVALID: 'answered as UNAUTHENTICATED with its message',
  TOKEN_CLAIMS_INVALID: 'answered as UNAUTHENTICATED with its message',
  PGLITE_DATA_DIR_IN_USE: 'operators: another process has the embedded database open',
  LEGACY_ENCRYPTION_NOT_SQL: 'operators: `personal-data encrypt-legacy` on KurrentDB',
  LEGACY_ENCRYPTION_LOG_NOT_INTACT: 'operators: the log does not match its newest digest',
  LEGACY_ENCRYPTION_CHAIN_BROKEN: "operators: a stream's hash chain is broken",
} as const satisfies Record<string, string>;
