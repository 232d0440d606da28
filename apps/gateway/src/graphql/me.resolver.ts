import { Field, ID, ObjectType, Query, registerEnumType, Resolver } from '@nestjs/graphql';
import { Actor, ActorRole, CurrentActor } from '@arbiter/auth';

export enum ActorRoleValue {
  buyer = 'buyer',
  seller = 'seller',
  mediator = 'mediator',
  senior_mediator = 'senior_mediator',
  platform = 'platform',
  analyst = 'analyst',
  system = 'system',
}

registerEnumType(ActorRoleValue, {
  name: 'ActorRole',
  description: 'What an actor may do in a dispute (see the roles table of the domain).',
  valuesMap: {
    buyer: { description: "The order's buyer." },
    seller: { description: "The order's seller." },
    mediator: { description: 'Platform staff who mediate escalated disputes.' },
    senior_mediator: { description: 'A mediator who may also decide appeals.' },
    platform: { description: "The marketplace's order system (a service account)." },
    analyst: { description: 'Reads event streams and statistics, never personal free text.' },
    system: { description: 'Arbiter itself, when a deadline passes.' },
  },
});

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
