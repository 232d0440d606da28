import { DomainError, ensure } from './errors';

/** An amount in integer minor units (cents) of an ISO 4217 currency. Never a float. */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

const CURRENCY = /^[A-Z]{3}$/;

/** Validates `value` (a non-negative safe integer in a 3-letter currency) and returns a copy. */
export function money(amountMinor: number, currency: string): Money {
  ensure(
    Number.isSafeInteger(amountMinor) && amountMinor >= 0,
    'INVALID_MONEY',
    `amount must be a non-negative integer of minor units, got ${amountMinor}`,
  );
  ensure(CURRENCY.test(currency), 'INVALID_MONEY', `not an ISO 4217 currency code: ${currency}`);
  return { amountMinor, currency };
}

export function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new DomainError(
      'CURRENCY_MISMATCH',
      `${a.currency} and ${b.currency} cannot be combined`,
    );
  }
}

export function addMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor + b.amountMinor, a.currency);
}

/** `a - b`; refuses to go below zero. */
export function subtractMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor - b.amountMinor, a.currency);
}

export function zeroOf(currency: string): Money {
  return money(0, currency);
}
