import type { Actor, ActorRole } from '@arbiter/event-store/port';

export type { Actor, ActorRole };

export const ACTOR_ROLES: readonly ActorRole[] = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
  'analyst',
  'system',
];

/**
 * Roles a bearer token may claim. `system` is missing on purpose: deadline commands are issued from
 * inside the process, so a token that claims `system` is refused unless a deployment opts in.
 */
export const TOKEN_ROLES: readonly ActorRole[] = ACTOR_ROLES.filter((role) => role !== 'system');

export function isActorRole(value: unknown): value is ActorRole {
  return typeof value === 'string' && (ACTOR_ROLES as readonly string[]).includes(value);
}
