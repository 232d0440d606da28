import type { DisputeEvent, DisputeEventType, DisputeState } from './dispute.events';
import { MEDIATOR_ONLY_EVENT_TYPES, PERSONAL_DATA, REDACTED } from './personal-data';
import { type Actor, isStaffRole, type Role } from './vocabulary';

/**
 * Who may see what. The read side (timeline, views, subscriptions, analytics exports) passes
 * every event through `visibleEventFor` for the viewer's role and shows only what comes back.
 *
 * - staff (mediator, senior_mediator) and the system see everything;
 * - parties (buyer, seller) see every event except the mediator-only ones, and the ids of the
 *   staff who acted are replaced by REDACTED;
 * - the platform (the marketplace's order system) sees what a party sees, but none of the
 *   parties' conversation: it records order facts and pays refunds, so it gets statuses, order
 *   facts, amounts, outcomes and deadlines, and every personal field PERSONAL_DATA declares
 *   (descriptions, messages, evidence, addresses, tracking numbers...) reads REDACTED;
 * - analysts see no mediator-only event and no personal free text either (their ids are
 *   pseudonymised further out, by the feeds and the gateway).
 *
 * A party sees only disputes of its own orders: check `canViewDispute` first.
 */

export type Audience = 'staff' | 'party' | 'platform' | 'analyst';

export const AUDIENCE_OF_ROLE: Readonly<Record<Role, Audience>> = {
  buyer: 'party',
  seller: 'party',
  platform: 'platform',
  mediator: 'staff',
  senior_mediator: 'staff',
  system: 'staff',
  analyst: 'analyst',
};

/**
 * Personal content per event type (dotted paths into `data`; PERSONAL_DATA declares it), hidden
 * from analysts and the platform. Parties see these: they are what the parties and mediators
 * said to each other.
 */
const PERSONAL_TEXT_FIELDS = (type: DisputeEventType): readonly string[] =>
  PERSONAL_DATA[type].text;

/** Ids of staff members, hidden from parties (besides `by.id` of a staff actor). */
export const STAFF_ID_FIELDS: Readonly<Partial<Record<DisputeEventType, readonly string[]>>> = {
  CaseTaken: ['previousMediatorId'],
};

/** `event` as `role` may see it, or null when it is hidden from that role. Never mutates. */
export function visibleEventFor<E extends DisputeEvent>(role: Role, event: E): E | null {
  const audience = AUDIENCE_OF_ROLE[role];
  if (audience === 'staff') return event;
  if (MEDIATOR_ONLY_EVENT_TYPES.includes(event.type)) return null;
  if (audience === 'party') return withoutStaffIds(event);
  if (audience === 'platform') {
    const partyForm = withoutStaffIds(event);
    return {
      ...partyForm,
      data: redactPaths(partyForm.data, PERSONAL_TEXT_FIELDS(event.type)),
    } as E;
  }
  return { ...event, data: redactPaths(event.data, PERSONAL_TEXT_FIELDS(event.type)) } as E;
}

function withoutStaffIds<E extends DisputeEvent>(event: E): E {
  if (!isStaffRole(event.data.by.role)) return event;
  const data = { ...event.data, by: { ...event.data.by, id: REDACTED } };
  return { ...event, data: redactPaths(data, STAFF_ID_FIELDS[event.type]) } as E;
}

function redactPaths(data: object, paths: readonly string[] = []): Record<string, unknown> {
  return paths.reduce(
    (redacted, path) => redactPath(redacted, path.split('.')),
    data as Record<string, unknown>,
  );
}

/** Replaces the value at `path` (if present) by REDACTED, every string inside it included. */
function redactPath(
  data: Record<string, unknown>,
  [head, ...rest]: string[],
): Record<string, unknown> {
  if (data[head] === undefined || data[head] === null) return data;
  const value =
    rest.length === 0
      ? redactAll(data[head])
      : redactPath(data[head] as Record<string, unknown>, rest);
  return { ...data, [head]: value };
}

function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAll);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactAll(inner)]));
  }
  return REDACTED;
}

/**
 * Whether `viewer` may see this dispute at all: its own parties, staff (an unassigned mediator
 * must open a case to take it), the platform and analysts (in their redacted forms).
 */
export function canViewDispute(viewer: Actor, state: DisputeState): boolean {
  if (state.status === 'NONE') return false;
  if (viewer.role === 'buyer') return viewer.id === state.buyerId;
  if (viewer.role === 'seller') return viewer.id === state.sellerId;
  return true;
}

/** The events of a stream as `viewer` may see them (the timeline's filter). */
export function visibleEventsFor(role: Role, events: readonly DisputeEvent[]): DisputeEvent[] {
  return events
    .map((event) => visibleEventFor(role, event))
    .filter((e): e is DisputeEvent => e !== null);
}
