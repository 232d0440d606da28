import type { DisputeEvent, DisputeEventType } from './dispute.events';

/**
 * Where personal data sits in each dispute event: one declaration per event type, beside the
 * events, used by the analytics feeds (the analyst's form below) and meant for erasure requests.
 * Paths are dotted paths into the event's `data`. The record is total on purpose: a new event
 * type does not compile until it is declared, and a unit test checks every string field of every
 * event type is either declared here or known to be non-personal.
 */
export interface PersonalDataDeclaration {
  /**
   * Personal content: free text the parties or staff wrote, addresses, tracking numbers, payout
   * references, fingerprints of uploaded files. Analysts get the field marked as withheld.
   */
  readonly text: readonly string[];
  /**
   * Ids that lead to a person (buyer, seller, staff, the order that names the buyer). Analysts
   * get a stable pseudonym instead. `by.id`, the actor of every event, is always one of them
   * (see ACTOR_ID_PATH) and is not repeated here.
   */
  readonly identifiers: readonly string[];
}

/** What a withheld field reads, for analysts (and the analyst form of the feeds). */
export const REDACTED = '[redacted]';

/**
 * What a personal field reads once its person has been forgotten (their data key destroyed):
 * every string under a declared `text` path, so each field keeps its type and an address its shape.
 */
export const ERASED = '[erased]';

/**
 * Whose personal data an event's declared `text` fields are: the person who wrote them, the
 * event's actor. The system (deadlines) and the platform (payout confirmations, order facts) are
 * no person: their events stay plaintext, as does an event that declares no personal text.
 */
export function personalDataSubjectOf(event: {
  type: string;
  data: unknown;
}): { subject: string; paths: readonly string[] } | undefined {
  const declared = (PERSONAL_DATA as Partial<Record<string, PersonalDataDeclaration>>)[event.type];
  if (!declared || declared.text.length === 0) return undefined;
  const by = (event.data as { by?: { id?: unknown; role?: unknown } } | null)?.by;
  if (typeof by?.id !== 'string' || by.role === 'system' || by.role === 'platform')
    return undefined;
  return { subject: by.id, paths: declared.text };
}

/** Events only staff ever see (visibility.ts): not even their analyst form is published. */
export const MEDIATOR_ONLY_EVENT_TYPES: readonly DisputeEventType[] = ['InternalNoteAdded'];

/** The actor of every event: pseudonymised for analysts unless it is the system itself. */
export const ACTOR_ID_PATH = 'by.id';

const ORDER_PARTIES = ['orderId', 'buyerId', 'sellerId'] as const;
const none: PersonalDataDeclaration = { text: [], identifiers: [] };

export const PERSONAL_DATA: Readonly<Record<DisputeEventType, PersonalDataDeclaration>> = {
  DisputeOpened: { text: ['description'], identifiers: [...ORDER_PARTIES] },
  SellerResponded: { text: ['comment'], identifiers: [] },
  ProposalSubmitted: none,
  ProposalWithdrawn: none,
  ProposalAccepted: none,
  DisputeResolved: { text: [], identifiers: [...ORDER_PARTIES] },
  EvidenceAdded: {
    text: ['description', 'content.text', 'content.file.sha256'],
    identifiers: [],
  },
  MessagePosted: { text: ['body'], identifiers: [] },
  DisputeEscalated: none,
  DisputeCancelled: { text: ['comment'], identifiers: [...ORDER_PARTIES] },
  CaseTaken: { text: [], identifiers: ['previousMediatorId'] },
  EvidenceRequested: { text: ['prompt'], identifiers: ['partyId'] },
  InternalNoteAdded: { text: ['note'], identifiers: [] },
  DisputeDecided: { text: ['rationale'], identifiers: [] },
  DecisionAccepted: none,
  DecisionAppealed: { text: ['newInformation'], identifiers: [] },
  ReturnAddressProvided: { text: ['address'], identifiers: [] },
  ReturnShipped: { text: ['trackingNumber'], identifiers: [] },
  ReturnDelivered: none,
  ReturnReceived: none,
  ReturnConditionDisputed: { text: ['statement'], identifiers: [] },
  ReplacementRequested: none,
  ReplacementShipped: { text: ['trackingNumber'], identifiers: [] },
  ReplacementReceived: none,
  ReplacementProblemReported: { text: ['statement'], identifiers: [] },
  RefundReleased: none,
  RefundMarkedSent: { text: ['reference'], identifiers: [] },
  RefundPaidOut: { text: ['payoutReference'], identifiers: ['orderId'] },
  DisputeClosed: { text: [], identifiers: [...ORDER_PARTIES] },
  DeadlinePassed: none,
};

/** Turns an id into its pseudonym; the application keys it (HMAC) with a deployment secret. */
export type Pseudonymizer = (id: string) => string;

/**
 * The event as an analyst may receive it, or null for the mediator-only events analysts never
 * see. Personal content reads REDACTED (the field stays, its value replaced by that marker: an
 * object such as an address becomes the string),
 * identifiers read as pseudonyms; amounts, reasons, states, times and dispute ids are kept.
 * Never mutates `event`.
 */
export function analystFormOf<E extends DisputeEvent>(
  event: E,
  pseudonym: Pseudonymizer,
): E | null {
  if (MEDIATOR_ONLY_EVENT_TYPES.includes(event.type)) return null;
  const declared = PERSONAL_DATA[event.type];
  let data = event.data as unknown as Record<string, unknown>;
  for (const path of declared.text) data = replaceAt(data, path.split('.'), () => REDACTED);
  for (const path of declared.identifiers)
    data = replaceAt(data, path.split('.'), pseudonymOf(pseudonym));
  if (event.data.by.role !== 'system')
    data = replaceAt(data, ACTOR_ID_PATH.split('.'), pseudonymOf(pseudonym));
  return { ...event, data } as E;
}

const pseudonymOf =
  (pseudonym: Pseudonymizer) =>
  (value: unknown): unknown =>
    typeof value === 'string' ? pseudonym(value) : REDACTED;

/** A copy of `data` with the value at `path` (when present and not null) replaced. */
function replaceAt(
  data: Record<string, unknown>,
  [head, ...rest]: string[],
  replace: (value: unknown) => unknown,
): Record<string, unknown> {
  const value = data[head];
  if (value === undefined || value === null) return data;
  if (rest.length === 0) return { ...data, [head]: replace(value) };
  if (typeof value !== 'object') return { ...data, [head]: REDACTED };
  return { ...data, [head]: replaceAt(value as Record<string, unknown>, rest, replace) };
}
