import {
  addDays,
  addMoney,
  DEFAULT_POLICY,
  definePolicy,
  DOMAIN_ERROR_CODES,
  DomainError,
  disputeStreamId,
  ensure,
  fromEpochMs,
  instant,
  isBefore,
  isDomainError,
  money,
  orderStreamId,
  type PolicyOverrides,
  subtractMoney,
  toEpochMs,
  zeroOf,
} from '../../src/domain';
import { codeOf } from '../../test-support/fixtures';

describe('time', () => {
  it('round-trips instants and normalizes them', () => {
    expect(instant('2026-03-01T12:34:56Z')).toBe('2026-03-01T12:34:56.000Z');
    expect(instant('2026-03-01T12:34:56.5Z')).toBe('2026-03-01T12:34:56.500Z');
    expect(toEpochMs('1970-01-01T00:00:00.000Z')).toBe(0);
    expect(fromEpochMs(951_782_400_000)).toBe('2000-02-29T00:00:00.000Z');
    expect(instant('2024-12-31T23:59:59.999Z')).toBe('2024-12-31T23:59:59.999Z');
    expect(instant('2025-01-15T00:00:00Z')).toBe('2025-01-15T00:00:00.000Z');
  });

  it('adds days across months, leap days and years', () => {
    expect(addDays('2024-02-28T10:00:00.000Z', 1)).toBe('2024-02-29T10:00:00.000Z');
    expect(addDays('2025-02-28T10:00:00.000Z', 1)).toBe('2025-03-01T10:00:00.000Z');
    expect(addDays('2025-12-31T23:00:00.000Z', 15)).toBe('2026-01-15T23:00:00.000Z');
  });

  it('agrees with the platform clock on random instants', () => {
    for (let ms = -2_000_000_000_000; ms < 4_000_000_000_000; ms += 7_777_777_777) {
      if (ms < 0) continue;
      const iso = new Date(ms).toISOString();
      expect(fromEpochMs(ms)).toBe(iso);
      expect(toEpochMs(iso)).toBe(ms);
    }
  });

  it('refuses what is not a UTC calendar instant', () => {
    for (const bad of [
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01',
      '2026-01-01T00:00:00+01:00',
      '',
    ]) {
      expect(codeOf(() => toEpochMs(bad))).toBe('INVALID_INSTANT');
    }
  });

  it('compares instants', () => {
    expect(isBefore('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.001Z')).toBe(true);
    expect(isBefore('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z')).toBe(false);
  });
});

describe('money', () => {
  it('is integer minor units of an ISO 4217 currency', () => {
    expect(money(1050, 'EUR')).toEqual({ amountMinor: 1050, currency: 'EUR' });
    expect(codeOf(() => money(10.5, 'EUR'))).toBe('INVALID_MONEY');
    expect(codeOf(() => money(-1, 'EUR'))).toBe('INVALID_MONEY');
    expect(codeOf(() => money(Number.MAX_SAFE_INTEGER + 1, 'EUR'))).toBe('INVALID_MONEY');
    expect(codeOf(() => money(1, 'eur'))).toBe('INVALID_MONEY');
  });

  it('adds and subtracts within one currency, never below zero', () => {
    expect(addMoney(money(1, 'EUR'), money(2, 'EUR'))).toEqual(money(3, 'EUR'));
    expect(subtractMoney(money(5, 'EUR'), money(2, 'EUR'))).toEqual(money(3, 'EUR'));
    expect(zeroOf('JPY')).toEqual(money(0, 'JPY'));
    expect(codeOf(() => subtractMoney(money(1, 'EUR'), money(2, 'EUR')))).toBe('INVALID_MONEY');
    expect(codeOf(() => addMoney(money(1, 'EUR'), money(2, 'USD')))).toBe('CURRENCY_MISMATCH');
  });
});

describe('policy', () => {
  it('defaults match docs/domain.md#policy', () => {
    expect(DEFAULT_POLICY).toEqual({
      protectionDays: 15,
      minDaysAfterShipmentForNotReceived: 5,
      allowReopenAfterCancel: false,
      sellerResponseDays: 5,
      onSellerSilence: 'accept-buyer-proposal',
      negotiationDays: 15,
      minDaysBeforeEscalation: 3,
      evidenceRequestDays: 3,
      appealWindowDays: 10,
      maxAppeals: 1,
      returnAddressDays: 5,
      returnShipDays: 10,
      returnDeliveryDays: 20,
      returnReceiptDays: 10,
      replacementShipDays: 5,
      replacementDeliveryDays: 10,
      replacementComplaintDays: 7,
      abuseMinDisputes: 5,
      abuseDisputeRatio: 0.5,
      abuseWindowDays: 90,
      sellerMetricsWindowDays: 30,
    });
    expect(definePolicy()).toEqual(DEFAULT_POLICY);
  });

  it('takes per-deployment overrides', () => {
    expect(definePolicy({ sellerResponseDays: 15, onSellerSilence: 'escalate' })).toMatchObject({
      sellerResponseDays: 15,
      onSellerSilence: 'escalate',
      negotiationDays: 15,
    });
  });

  it('refuses invalid settings', () => {
    const bad = [
      { protectionDays: 0 },
      { negotiationDays: 1.5 },
      { maxAppeals: -1 },
      { sellerResponseDays: '5' as never },
      { abuseDisputeRatio: 0 },
      { abuseDisputeRatio: 1.5 },
      { onSellerSilence: 'ignore' as never },
      { allowReopenAfterCancel: 'yes' as never },
    ];
    for (const overrides of bad)
      expect(codeOf(() => definePolicy(overrides))).toBe('INVALID_POLICY');
  });
});

describe('policy durations written as ISO-8601 (staging)', () => {
  const ms = (days: number) => Math.round(days * 86_400_000);

  it('takes days, hours, minutes and seconds, computed to the millisecond', () => {
    const policy = definePolicy({
      sellerResponseDays: 'PT10M',
      negotiationDays: 'P2D',
      evidenceRequestDays: 'P1DT12H',
      appealWindowDays: 'PT1.5S',
      minDaysBeforeEscalation: 'PT0S',
    });
    expect(ms(policy.sellerResponseDays)).toBe(600_000);
    expect(policy.negotiationDays).toBe(2);
    expect(policy.evidenceRequestDays).toBe(1.5);
    expect(ms(policy.appealWindowDays)).toBe(1_500);
    expect(policy.minDaysBeforeEscalation).toBe(0);
    expect(addDays('2026-01-01T00:00:00.000Z', policy.sellerResponseDays)).toBe(
      '2026-01-01T00:10:00.000Z',
    );
  });

  it('refuses weeks, months and years (no fixed length), other forms and zero lengths', () => {
    const message = (overrides: PolicyOverrides) => {
      try {
        definePolicy(overrides);
      } catch (error) {
        expect(codeOf(() => definePolicy(overrides))).toBe('INVALID_POLICY');
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(message({ sellerResponseDays: 'P1M' })).toMatch(/months or years, which have no fixed/);
    expect(message({ sellerResponseDays: 'P1Y' })).toMatch(/months or years/);
    expect(message({ sellerResponseDays: 'P2W' })).toMatch(/weeks/);
    for (const text of ['P', 'PT', 'P1DT', '10M', 'PT-1M', 'P1.5D', 'pt10m'])
      expect(message({ sellerResponseDays: text })).toMatch(/is not an ISO-8601 duration/);
    expect(message({ sellerResponseDays: 'PT0S' })).toBe(
      'sellerResponseDays must be longer than zero',
    );
  });
});

describe('errors and stream ids', () => {
  it('DomainError carries a stable code', () => {
    const error = new DomainError('NOT_A_PARTY');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('NOT_A_PARTY');
    expect(error.name).toBe('DomainError');
    expect(isDomainError(error)).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
    expect(DOMAIN_ERROR_CODES).toContain('REFUND_EXCEEDS_ORDER_TOTAL');
    expect(new Set(DOMAIN_ERROR_CODES).size).toBe(DOMAIN_ERROR_CODES.length);
    expect(() => ensure(true, 'INVALID_COMMAND')).not.toThrow();
  });

  it('names streams by convention', () => {
    expect(disputeStreamId('42')).toBe('dispute-42');
    expect(orderStreamId('7')).toBe('order-7');
  });
});
