/**
 * Every refusal of the domain is a `DomainError` with a stable `code`. Codes are part of the
 * public contract (the GraphQL edge maps them into `extensions.code`), so never rename one.
 */
export const DOMAIN_ERROR_CODES = [
  // malformed input
  'INVALID_COMMAND',
  'INVALID_INSTANT',
  'INVALID_MONEY',
  'CURRENCY_MISMATCH',
  'INVALID_POLICY',
  'INVALID_EVIDENCE',
  'DUPLICATE_ID',
  // authorization
  'NOT_A_PARTY',
  'FORBIDDEN_FOR_ROLE',
  'NOT_ASSIGNED_MEDIATOR',
  'CASE_ALREADY_ASSIGNED',
  /** An appeal is reviewed by another senior than the one who decided the decision under appeal. */
  'APPEAL_NEEDS_ANOTHER_SENIOR',
  // orders
  'ORDER_NOT_FOUND',
  'ORDER_ALREADY_PLACED',
  'ORDER_NOT_SHIPPED',
  'ORDER_ALREADY_SHIPPED',
  'DELIVERY_ALREADY_CONFIRMED',
  'ORDER_FULLY_REFUNDED',
  // opening
  'PROTECTION_PERIOD_EXPIRED',
  'NOT_RECEIVED_TOO_EARLY',
  'ITEM_DELIVERY_CONFIRMED',
  'DISPUTE_ALREADY_EXISTS',
  'DISPUTE_REOPEN_NOT_ALLOWED',
  'DISPUTE_NOT_FOUND',
  // wrong state for the action
  'DISPUTE_NOT_AWAITING_SELLER',
  'DISPUTE_NOT_IN_NEGOTIATION',
  'DISPUTE_NOT_IN_MEDIATION',
  'DISPUTE_NOT_DECIDED',
  'DISPUTE_NOT_IN_APPEAL',
  'DISPUTE_ALREADY_RESOLVED',
  /** Cancelling is for before a decision: once a mediator decided, the buyer accepts or appeals. */
  'DISPUTE_ALREADY_DECIDED',
  'DISPUTE_CLOSED',
  'RETURN_NOT_AWAITING_ADDRESS',
  'RETURN_NOT_AWAITING_SHIPMENT',
  'RETURN_NOT_IN_TRANSIT',
  /** The seller judges a return's condition once the platform recorded its delivery. */
  'RETURN_NOT_DELIVERED',
  /** A second delivery record would restart the seller's receipt deadline. */
  'RETURN_ALREADY_DELIVERED',
  'REPLACEMENT_NOT_AWAITING_SHIPMENT',
  'REPLACEMENT_NOT_IN_TRANSIT',
  'REFUND_NOT_PENDING',
  /** The seller already recorded this refund as sent: money never moves twice. */
  'REFUND_ALREADY_MARKED_SENT',
  // money
  'REFUND_EXCEEDS_ORDER_TOTAL',
  'REFUND_AMOUNT_MISMATCH',
  // proposals, escalation, evidence, decisions
  'PROPOSAL_NOT_FOUND',
  /** The solution cannot be carried out for this reason (no return of an item never received). */
  'SOLUTION_NOT_FOR_REASON',
  /** The seller accepted a claim the buyer has since replaced: they must look at the new one. */
  'PROPOSAL_CHANGED',
  'CANNOT_ACCEPT_OWN_PROPOSAL',
  'PROPOSAL_ALREADY_ACCEPTED',
  'ESCALATION_TOO_EARLY',
  'EVIDENCE_REQUEST_NOT_OPEN',
  'EVIDENCE_REQUEST_PENDING',
  /**
   * The file named is not among the caller's own uploads to this dispute (never uploaded, or
   * uploaded to another dispute or by someone else: one answer, so it reveals nothing).
   */
  'EVIDENCE_FILE_NOT_FOUND',
  'DECISION_NOT_FOUND',
  'DECISION_ALREADY_ACCEPTED',
  'APPEAL_WINDOW_CLOSED',
  'APPEAL_LIMIT_REACHED',
  'NEW_INFORMATION_REQUIRED',
  // timers
  'DEADLINE_NOT_DUE',
  /** The deadline governing this action has passed: only its timer moves the dispute on. */
  'DEADLINE_PASSED',
  // requests
  /**
   * An idempotency key already used for another request (other input, another dispute or order,
   * another mutation). A retry of the same request with its key gets the first answer instead.
   */
  'IDEMPOTENCY_KEY_REUSED',
  // test clocks (staging only)
  /** Test clocks are off in this deployment (always in production). */
  'TEST_CLOCKS_DISABLED',
  'TEST_CLOCK_NOT_FOUND',
  /** A test clock only moves forwards: what it dated stays in the past. */
  'TEST_CLOCK_CANNOT_GO_BACK',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** Throws `code` unless `condition` holds; keeps guards one line each. */
export function ensure(condition: boolean, code: DomainErrorCode, message?: string): void {
  if (!condition) throw new DomainError(code, message);
}
