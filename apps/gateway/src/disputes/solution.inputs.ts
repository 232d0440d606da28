import { Field, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsEnum,
  IsInt,
  IsPositive,
  Matches,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type {
  Money,
  ReturnShippingPayer as Payer,
  Ruling,
  RulingKind as RulingKindValue,
  Solution,
  SolutionKind as SolutionKindValue,
} from '@arbiter/disputes';
import type { EnumOf } from '../graphql/domain-enum';
import { ReturnShippingPayer, RulingKind, SolutionKind } from './dispute.enums';

/**
 * Money, solutions and rulings as mutation inputs, and their domain values. A solution and a
 * ruling have one shape; they differ only in the kinds allowed (only a ruling may be
 * SELLER_FAVOUR), so one input class serves both GraphQL names.
 */

@InputType('MoneyInput', {
  description: 'An amount in integer minor units of an ISO 4217 currency.',
})
export class MoneyInput {
  @Field(() => Int, { description: 'Minor units (cents), a positive integer.' })
  @IsInt()
  @IsPositive()
  amountMinor!: number;

  @Field({
    description:
      'ISO 4217 currency code, e.g. EUR (three capital letters; one that is not ISO 4217 is INVALID_MONEY).',
  })
  // Shape only: which codes exist is the domain's to say (INVALID_MONEY), from the same table
  // that gives each currency's minor units.
  @Matches(/^[A-Z]{3}$/)
  currency!: string;
}

/** What both inputs carry; `kind` decides which of the other fields are required. */
export interface RulingFields<K extends RulingKindValue> {
  kind: K;
  amount?: MoneyInput;
  returnShippingPaidBy?: Payer;
}

const needsAmount = (o: { kind: string }) =>
  o.kind === 'PARTIAL_REFUND' || o.kind === 'RETURN_AND_REFUND';

/** The input class for the kinds `kinds`, registered under `name`. */
function rulingInput<K extends RulingKindValue>(
  name: string,
  description: string,
  kinds: EnumOf<K>,
  kindDescription: string,
) {
  // Widened for @Field, whose options type cannot resolve a generic enum object.
  const kindEnum: object = kinds;

  @InputType(name, { description })
  class RulingShapedInput implements RulingFields<K> {
    @Field(() => kindEnum, { description: kindDescription })
    @IsEnum(kindEnum)
    kind!: K;

    @Field(() => MoneyInput, {
      nullable: true,
      description: 'The refund; required for PARTIAL_REFUND and RETURN_AND_REFUND.',
    })
    @ValidateIf(needsAmount)
    @IsDefined()
    @ValidateNested()
    @Type(() => MoneyInput)
    amount?: MoneyInput;

    @Field(() => ReturnShippingPayer, {
      nullable: true,
      description: 'Who pays the return; required for RETURN_AND_REFUND.',
    })
    @ValidateIf((o: RulingFields<K>) => o.kind === 'RETURN_AND_REFUND')
    @IsEnum(ReturnShippingPayer)
    returnShippingPaidBy?: Payer;
  }
  return RulingShapedInput;
}

export const SolutionInput = rulingInput(
  'SolutionInput',
  'A proposed solution.',
  SolutionKind,
  'What is proposed.',
);
export type SolutionInput = InstanceType<typeof SolutionInput>;

export const RulingInput = rulingInput(
  'RulingInput',
  'A mediator’s ruling: a solution, or SELLER_FAVOUR.',
  RulingKind,
  'What is decided.',
);
export type RulingInput = InstanceType<typeof RulingInput>;

const unknownKind = (kind: never): never => {
  throw new Error(`unknown solution kind ${String(kind)}`);
};

// The validator required `amount` (and the payer) for the kinds that carry them.
const amountOf = ({ amount }: RulingFields<RulingKindValue>): Money => ({
  amountMinor: amount?.amountMinor ?? 0,
  currency: amount?.currency ?? '',
});

/** GraphQL input → domain solution, with only the fields its kind carries. */
export function toSolution(input: RulingFields<SolutionKindValue>): Solution {
  switch (input.kind) {
    case 'FULL_REFUND':
    case 'REPLACEMENT':
    case 'RESEND':
      return { kind: input.kind };
    case 'PARTIAL_REFUND':
      return { kind: input.kind, amount: amountOf(input) };
    case 'RETURN_AND_REFUND':
      return {
        kind: input.kind,
        amount: amountOf(input),
        returnShippingPaidBy: input.returnShippingPaidBy ?? 'seller',
      };
    default:
      // A kind the domain added: this switch stops compiling until it is mapped.
      return unknownKind(input.kind);
  }
}

/** GraphQL input → domain ruling: a solution, or the claim rejected. */
export function toRuling(input: RulingFields<RulingKindValue>): Ruling {
  const { kind } = input;
  return kind === 'SELLER_FAVOUR' ? { kind } : toSolution({ ...input, kind });
}
