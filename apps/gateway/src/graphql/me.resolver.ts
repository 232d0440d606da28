import { Field, ID, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Actor, ACTOR_ROLES, ActorRole, CurrentActor } from '@arbiter/auth';
import { domainEnum } from './domain-enum';

export const ActorRoleValue = domainEnum(
  ACTOR_ROLES,
  'ActorRole',
  'What an actor may do in a dispute (see the roles table of the domain).',
  {
    buyer: "The order's buyer.",
    seller: "The order's seller.",
    mediator: 'Platform staff who mediate escalated disputes.',
    senior_mediator: 'A mediator who may also decide appeals.',
    platform: "The marketplace's order system (a service account).",
    analyst: 'Reads event streams and statistics, never personal free text.',
    system: 'Arbiter itself, when a deadline passes.',
  },
);

@ObjectType('Actor', { description: 'Someone (or something) acting on disputes.' })
export class ActorType {
  @Field(() => ID, { description: "The actor's id (the token's `sub`)." })
  id!: string;

  @Field(() => ActorRoleValue, { description: "The actor's role." })
  role!: ActorRole;
}

@Resolver(() => ActorType)
export class MeResolver {
  @Query(() => ActorType, {
    name: 'me',
    description: 'The authenticated caller, as the gateway sees it.',
  })
  me(@CurrentActor() actor: Actor): ActorType {
    return { id: actor.id, role: actor.role };
  }
}
