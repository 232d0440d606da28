/**
 * Every refusal of the domain is a `DomainError` with a stable `code`, declared here with what it
 * means to a client (docs/clients.md's error table is generated from this list: `npm run
 * docs:errors`). Codes are part of the public contract (the GraphQL edge maps them into
 * `extensions.code`), so never rename one; adding one is one line here.
 */
export const DOMAIN_ERRORS = {
  // malformed input
  INVALID_COMMAND: 'The request is malformed: an unknown kind, or a field missing or out of range.',
  INVALID_INSTANT: 'An instant is not an ISO-8601 UTC instant, or no such instant exists.',
  INVALID_MONEY:
    'An amount is not a non-negative whole number of minor units, or its currency is not ISO 4217.',
  CURRENCY_MISMATCH: "An amount is not in the order's currency.",
  INVALID_POLICY:
    'A dispute policy setting breaks its rule (operators: a refused setting at start-up).',
  INVALID_EVIDENCE:
    'Evidence of an unknown kind, text and file both or neither, or a file that does not fit its kind.',
  DUPLICATE_ID:
    'An id given for something new (a proposal, a decision, an appeal…) is already used in this dispute.',
  // authorization
  NOT_A_PARTY:
    'The caller is not a party to this dispute (clients get FORBIDDEN, which reveals nothing).',
  FORBIDDEN_FOR_ROLE:
    "The caller's role may not do this (clients get FORBIDDEN, which reveals nothing).",
  NOT_ASSIGNED_MEDIATOR: 'The case is held by another mediator, or by none: take the case first.',
  CASE_ALREADY_ASSIGNED:
    'Another mediator holds the case; only a senior mediator may take it over.',
  APPEAL_NEEDS_ANOTHER_SENIOR:
    'An appeal is reviewed by another senior than the one who decided the decision under appeal.',
  // orders
  ORDER_NOT_FOUND: 'No such order (staff only; a party gets FORBIDDEN, which reveals nothing).',
  ORDER_ALREADY_PLACED: 'An order with this id was already placed.',
  ORDER_NOT_SHIPPED:
    'The order has not shipped yet: no dispute, no delivery confirmation before shipment.',
  ORDER_ALREADY_SHIPPED: 'The order was already shipped.',
  DELIVERY_ALREADY_CONFIRMED: "The order's delivery was already confirmed.",
  ORDER_FULLY_REFUNDED: 'The order was refunded in full: it takes no dispute.',
  // opening
  PROTECTION_PERIOD_EXPIRED: "The order's protection period has ended: no dispute can be opened.",
  NOT_RECEIVED_TOO_EARLY:
    'ITEM_NOT_RECEIVED opens only some days after shipment (the policy says how many).',
  ITEM_DELIVERY_CONFIRMED: 'ITEM_NOT_RECEIVED cannot be claimed once delivery is confirmed.',
  DISPUTE_ALREADY_EXISTS: 'The order already has an open dispute.',
  DISPUTE_REOPEN_NOT_ALLOWED:
    'A cancelled dispute cannot be opened again for this order (the policy forbids it).',
  DISPUTE_NOT_FOUND: 'No such dispute (staff only; a party gets FORBIDDEN, which reveals nothing).',
  // wrong state for the action
  DISPUTE_NOT_AWAITING_SELLER: 'The seller has already responded.',
  DISPUTE_NOT_IN_NEGOTIATION:
    'The dispute is not in negotiation (NEGOTIATING, or IN_MEDIATION for proposals).',
  DISPUTE_NOT_IN_MEDIATION: 'The dispute is not in mediation or appeal.',
  DISPUTE_NOT_DECIDED: 'There is no decision to accept or appeal.',
  DISPUTE_NOT_IN_APPEAL: 'The dispute is not in appeal.',
  DISPUTE_ALREADY_RESOLVED: 'The dispute is resolved: nothing more can be argued.',
  DISPUTE_ALREADY_DECIDED:
    'Cancelling is for before a decision: once a mediator decided, the buyer accepts or appeals.',
  DISPUTE_CLOSED: 'The dispute is closed.',
  RETURN_NOT_AWAITING_ADDRESS: 'No return is waiting for its address.',
  RETURN_NOT_AWAITING_SHIPMENT: 'No return is waiting to be shipped.',
  RETURN_NOT_IN_TRANSIT: 'No return is in transit.',
  RETURN_NOT_DELIVERED:
    "The seller judges a return's condition once the platform recorded its delivery.",
  RETURN_ALREADY_DELIVERED:
    "The return's delivery is already recorded (a second record would restart the seller's deadline).",
  REPLACEMENT_NOT_AWAITING_SHIPMENT: 'No replacement is waiting to be shipped.',
  REPLACEMENT_NOT_IN_TRANSIT: 'No replacement is in transit.',
  REFUND_NOT_PENDING: 'No refund is pending.',
  REFUND_ALREADY_MARKED_SENT:
    'The seller already recorded this refund as sent: money never moves twice.',
  // money
  REFUND_EXCEEDS_ORDER_TOTAL: 'The refund is more than what is left of the order total.',
  REFUND_AMOUNT_MISMATCH: 'The amount is not exactly the refund due.',
  // proposals, escalation, evidence, decisions
  PROPOSAL_NOT_FOUND: 'No current proposal in this dispute has this id.',
  SOLUTION_NOT_FOR_REASON:
    'The solution cannot be carried out for this reason (no return of an item never received).',
  PROPOSAL_CHANGED: 'The buyer has replaced the claim the seller accepted: look at the new one.',
  CANNOT_ACCEPT_OWN_PROPOSAL: 'A proposal is accepted by the other side, not by its author.',
  PROPOSAL_ALREADY_ACCEPTED: 'The proposal was already accepted.',
  ESCALATION_TOO_EARLY:
    'Escalation opens after the negotiation period, or once the seller rejected.',
  EVIDENCE_REQUEST_NOT_OPEN: 'No open evidence request addressed to the caller has this id.',
  EVIDENCE_REQUEST_PENDING:
    'An evidence request is still open: the mediator decides once it is answered or lapses.',
  EVIDENCE_FILE_NOT_FOUND:
    "The file is not among the caller's own uploads to this dispute (one answer, so it reveals nothing).",
  DECISION_NOT_FOUND: 'The decision named is not the current one.',
  DECISION_ALREADY_ACCEPTED: 'The caller already accepted this decision.',
  APPEAL_WINDOW_CLOSED: 'The appeal window has passed: the decision is final.',
  APPEAL_LIMIT_REACHED: 'The dispute has used every appeal the policy allows.',
  NEW_INFORMATION_REQUIRED: 'An appeal must say what is new.',
  // timers
  DEADLINE_NOT_DUE: 'The deadline has not passed yet (the deadline worker only).',
  DEADLINE_PASSED:
    'The deadline governing this action has passed: only its timer moves the dispute on.',
  // requests
  IDEMPOTENCY_KEY_REUSED:
    'The idempotency key was used for another request; a retry of the same request with its key gets the first answer instead.',
  // test clocks (staging only)
  TEST_CLOCKS_DISABLED: 'Test clocks are off in this deployment (always in production).',
  TEST_CLOCK_NOT_FOUND: 'No test clock has this id.',
  TEST_CLOCK_CANNOT_GO_BACK:
    'A test clock only moves forwards: what it dated stays in the past (advancing to its current time changes nothing).',
} as const satisfies Record<string, string>;

export type DomainErrorCode = keyof typeof DOMAIN_ERRORS;

export const DOMAIN_ERROR_CODES = Object.keys(DOMAIN_ERRORS) as DomainErrorCode[];

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
