import { Module } from '@nestjs/common';
import { Args, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { IsOptional, Length, Matches } from 'class-validator';
import { CurrentActor, Roles, type Actor } from '@arbiter/auth';
import { DomainError, parseIsoDuration } from '@arbiter/disputes';
import { type TestClock, TestClocks } from '@arbiter/deadlines';
import { asCommandFailure } from '../errors/error-mapping';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

@ObjectType('TestClock', {
  description:
    'Staging only: a time that stands still until the platform advances it. Orders placed under it (`placeOrder(input: {testClockId})`), and every dispute on them, take their time from it: command times, deadlines and whether a deadline has passed.',
})
export class TestClockType {
  @Field(() => ID, { description: 'The clock; pass it as `testClockId` to `placeOrder`.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'The name given at creation, if any.' })
  name!: string | null;

  @Field(() => Date, { description: 'The time orders and disputes under this clock see now.' })
  frozenTime!: Date;

  @Field(() => Date, { description: 'When the clock was created (real time).' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the clock was last advanced (real time).' })
  updatedAt!: Date;
}

@InputType('CreateTestClockInput', { description: 'Platform, staging only: a new test clock.' })
export class CreateTestClockInput {
  @Field(() => Date, {
    nullable: true,
    description: 'The time the clock starts at; default: now.',
  })
  @IsOptional()
  frozenTime?: Date;

  @Field(() => String, {
    nullable: true,
    description: 'A name to recognise it by (1–100 characters).',
  })
  @IsOptional()
  @Length(1, 100)
  name?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Makes the creation idempotent: the same key from the same caller returns the same clock.',
  })
  @IsOptional()
  @Matches(IDEMPOTENCY_KEY, { message: 'idempotencyKey must be 1–128 letters, digits or _ . : -' })
  idempotencyKey?: string;
}

@InputType('AdvanceTestClockInput', {
  description:
    'Platform, staging only: move a test clock forwards, either `to` a time or `by` a duration (exactly one). Deadlines of its disputes that the new time passes fire at once.',
})
export class AdvanceTestClockInput {
  @Field(() => ID, { description: 'The clock.' })
  @Length(1, 64)
  testClockId!: string;

  @Field(() => Date, {
    nullable: true,
    description: 'The new time; at or after the clock’s time (TEST_CLOCK_CANNOT_GO_BACK).',
  })
  @IsOptional()
  to?: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'How far to move it, as an ISO-8601 duration of days, hours, minutes and seconds: "PT10M", "P5DT1M". Weeks, months and years are refused.',
  })
  @IsOptional()
  @Length(1, 40)
  by?: string;
}

/** A bound far beyond any deadline, so a mistyped `by` cannot carry the clock out of range. */
const MAX_ADVANCE_MS = 36_500 * 86_400_000;

const invalid = (message: string) => new DomainError('INVALID_COMMAND', message);

const toType = (clock: TestClock): TestClockType => ({
  id: clock.id,
  name: clock.name,
  frozenTime: clock.frozenTime,
  createdAt: clock.createdAt,
  updatedAt: clock.updatedAt,
});

/** The platform's test clocks (staging): each refused with TEST_CLOCKS_DISABLED in production. */
@Resolver(() => TestClockType)
export class TestClocksResolver {
  constructor(private readonly clocks: TestClocks) {}

  @Roles('platform')
  @Query(() => TestClockType, {
    nullable: true,
    description: 'Platform, staging only: a test clock by id (null when there is none).',
  })
  async testClock(@Args('id', { type: () => ID, description: 'The clock.' }) id: string) {
    const clock = await this.clocks.get(id).catch(fail);
    return clock && toType(clock);
  }

  @Roles('platform')
  @Mutation(() => TestClockType, {
    description:
      'Platform, staging only: create a test clock, then place orders under it (`placeOrder(input: {testClockId})`).',
  })
  async createTestClock(
    @Args('input', { description: 'Where it starts and its name.' }) input: CreateTestClockInput,
    @CurrentActor() actor: Actor,
  ) {
    const clock = await this.clocks
      .create({
        createdBy: actor.id,
        frozenTime: input.frozenTime,
        name: input.name,
        idempotencyKey: input.idempotencyKey,
      })
      .catch(fail);
    return toType(clock);
  }

  @Roles('platform')
  @Mutation(() => TestClockType, {
    description:
      'Platform, staging only: move a test clock forwards (never back). Deadlines of disputes under it that the new time passes fire as they would in real time, within moments.',
  })
  async advanceTestClock(
    @Args('input', { description: 'The clock and how far.' }) input: AdvanceTestClockInput,
  ) {
    const { testClockId, to, by } = input;
    if ((to === undefined) === (by === undefined))
      throw fail(invalid('Give exactly one of to, by'));
    let move: Date | { byMs: number } = to as Date;
    if (by !== undefined) {
      const ms = parseIsoDuration(by);
      if (typeof ms === 'string') throw fail(invalid(`by: ${ms}`));
      if (ms > MAX_ADVANCE_MS) throw fail(invalid('by: at most 100 years (P36500D) at a time'));
      move = { byMs: ms };
    }
    return toType(await this.clocks.advance(testClockId, move).catch(fail));
  }
}

function fail(error: unknown): never {
  throw asCommandFailure(error);
}

/** The test clocks' GraphQL operations; `TestClocks` comes from the global TestClocksModule. */
@Module({ providers: [TestClocksResolver] })
export class TestClocksGatewayModule {}
