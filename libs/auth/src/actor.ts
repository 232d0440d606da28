import { type Actor, ROLES, type Role } from '@arbiter/disputes/domain/vocabulary';

// The roles are the dispute domain's words (its vocabulary); auth only checks a token against them.
export type { Actor };
export type ActorRole = Role;
export const ACTOR_ROLES: readonly ActorRole[] = ROLES;

/**
 * Roles a bearer token may claim. `system` is missing on purpose: deadline commands are issued from
 * inside the process, so a token that claims `system` is refused unless a deployment opts in.
 */
export const TOKEN_ROLES: readonly ActorRole[] = ACTOR_ROLES.filter((role) => role !== 'system');

export function isActorRole(value: unknown): value is ActorRole {
  return typeof value === 'string' && (ACTOR_ROLES as readonly string[]).includes(value);
}
