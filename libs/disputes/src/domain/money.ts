import { DomainError, ensure } from './errors';

/** An amount in integer minor units (cents) of an ISO 4217 currency. Never a float. */
export interface Money {
  readonly amountMinor: number;
  readonly currency: string;
}

/**
 * The ISO 4217 codes and their minor units come from `Intl` (ECMA-402, the ICU data shipped with
 * the runtime): part of the language like `Math`, no IO and no clock, so the domain stays pure
 * and needs no currency table of its own.
 */
const ISO_4217: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isIsoCurrency(currency: string): boolean {
  return ISO_4217.has(currency);
}

/** Digits after the decimal point of `currency` (JPY 0, EUR 2, KWD 3): what a minor unit is. */
export function currencyMinorUnits(currency: string): number {
  ensure(isIsoCurrency(currency), 'INVALID_MONEY', `not an ISO 4217 currency code: ${currency}`);
  const format = new Intl.NumberFormat('en', { style: 'currency', currency });
  return format.resolvedOptions().maximumFractionDigits as number;
}

/** Validates `value` (a non-negative safe integer in an ISO 4217 currency) and returns a copy. */
export function money(amountMinor: number, currency: string): Money {
  ensure(
    Number.isSafeInteger(amountMinor) && amountMinor >= 0,
    'INVALID_MONEY',
    `amount must be a non-negative integer of minor units, got ${amountMinor}`,
  );
  ensure(isIsoCurrency(currency), 'INVALID_MONEY', `not an ISO 4217 currency code: ${currency}`);
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

/**
 * The amount as people read it, in its currency's minor units: JPY 1500 → "1500 JPY",
 * EUR 1500 → "15.00 EUR", KWD 1500 → "1.500 KWD". Integer arithmetic on the digits, no float.
 * A code outside ISO 4217 (stored before such codes were refused) reads with two decimals.
 */
export function formatMoney({ amountMinor, currency }: Money): string {
  const digits = isIsoCurrency(currency) ? currencyMinorUnits(currency) : 2;
  const units = String(amountMinor).padStart(digits + 1, '0');
  const whole = units.slice(0, units.length - digits);
  const fraction = digits === 0 ? '' : `.${units.slice(units.length - digits)}`;
  return `${whole}${fraction} ${currency}`;
}
