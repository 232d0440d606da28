import { DomainError, ensure } from './errors';
import { MS_PER_DAY, parseIsoDuration } from './time';

export const SELLER_SILENCE_POLICIES = ['accept-buyer-proposal', 'escalate'] as const;
export type SellerSilencePolicy = (typeof SELLER_SILENCE_POLICIES)[number];

/**
 * Every tunable rule of docs/domain.md#policy. Durations are in days of 24 h (UTC): whole days as
 * a deployment writes a number, or any length a staging deployment writes as an ISO-8601 duration
 * (`"PT10M"` is 10/1440 of a day); due dates are computed in milliseconds (`addDays`). A
 * deployment overrides any subset through `definePolicy`; the defaults are the table's.
 */
export interface DisputePolicy {
  /** Days after delivery confirmation (or the promised delivery deadline) a dispute may open. */
  readonly protectionDays: number;
  /** `ITEM_NOT_RECEIVED` may open only this many days after shipment. */
  readonly minDaysAfterShipmentForNotReceived: number;
  /** Seed 003 forbids a second dispute after a cancelled one; seed 002 allows it. */
  readonly allowReopenAfterCancel: boolean;
  readonly sellerResponseDays: number;
  readonly onSellerSilence: SellerSilencePolicy;
  readonly negotiationDays: number;
  /** Counted from opening; waived once the seller rejected. */
  readonly minDaysBeforeEscalation: number;
  readonly evidenceRequestDays: number;
  readonly appealWindowDays: number;
  readonly maxAppeals: number;
  readonly returnAddressDays: number;
  readonly returnShipDays: number;
  /** Days from the buyer's shipment for the platform to record the return's delivery; then mediation. */
  readonly returnDeliveryDays: number;
  readonly returnReceiptDays: number;
  /** A REPLACEMENT / RESEND outcome: days the seller has to ship it (else a full refund). */
  readonly replacementShipDays: number;
  /** Days a shipped replacement is expected to take to arrive. */
  readonly replacementDeliveryDays: number;
  /** Days after the expected delivery the buyer may still report a problem with it. */
  readonly replacementComplaintDays: number;
  /** Read side (abuse signal): flag when disputes ≥ min and disputes/orders > ratio in the window. */
  readonly abuseMinDisputes: number;
  readonly abuseDisputeRatio: number;
  readonly abuseWindowDays: number;
  /** Read side: the window of the seller metrics. */
  readonly sellerMetricsWindowDays: number;
}

export const DEFAULT_POLICY: DisputePolicy = Object.freeze({
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

/**
 * Durations the decider computes dates with, with the least number of days each may take: a
 * number of whole days, or an ISO-8601 duration (`PnDTnHnMnS`) of any length above zero (at
 * least zero where zero days are allowed), so staging can run a deadline in minutes.
 */
const DURATIONS = [
  ['protectionDays', 1],
  ['minDaysAfterShipmentForNotReceived', 0],
  ['sellerResponseDays', 1],
  ['negotiationDays', 1],
  ['minDaysBeforeEscalation', 0],
  ['evidenceRequestDays', 1],
  ['appealWindowDays', 1],
  ['returnAddressDays', 1],
  ['returnShipDays', 1],
  ['returnDeliveryDays', 1],
  ['returnReceiptDays', 1],
  ['replacementShipDays', 1],
  ['replacementDeliveryDays', 1],
  ['replacementComplaintDays', 1],
] as const satisfies ReadonlyArray<[keyof DisputePolicy, number]>;

/** A duration setting of the policy (see `DURATIONS`). */
export type PolicyDurationSetting = (typeof DURATIONS)[number][0];

/** What a deployment may write: a duration setting also as an ISO-8601 duration string. */
export type PolicyOverrides = {
  readonly [K in keyof DisputePolicy]?: K extends PolicyDurationSetting
    ? DisputePolicy[K] | string
    : DisputePolicy[K];
};

/**
 * Settings that are whole numbers, with the least value each may take. The read side's windows
 * stay whole days: they are counted in SQL by the day.
 */
const WHOLE_NUMBER_MINIMUMS: ReadonlyArray<[keyof DisputePolicy, number]> = [
  ['maxAppeals', 0],
  ['abuseMinDisputes', 1],
  ['abuseWindowDays', 1],
  ['sellerMetricsWindowDays', 1],
];

/** The defaults with a deployment's overrides applied, validated. */
export function definePolicy(overrides: PolicyOverrides = {}): DisputePolicy {
  const written: Record<string, unknown> = { ...DEFAULT_POLICY, ...overrides };
  for (const [key, min] of DURATIONS) written[key] = durationInDays(key, written[key], min);
  const policy = written as unknown as DisputePolicy;
  for (const [key, min] of WHOLE_NUMBER_MINIMUMS) {
    const value = policy[key];
    ensure(
      typeof value === 'number' && Number.isInteger(value) && value >= min,
      'INVALID_POLICY',
      `${key} must be an integer ≥ ${min}`,
    );
  }
  ensure(
    policy.abuseDisputeRatio > 0 && policy.abuseDisputeRatio <= 1,
    'INVALID_POLICY',
    'abuseDisputeRatio must be in (0, 1]',
  );
  ensure(
    SELLER_SILENCE_POLICIES.includes(policy.onSellerSilence),
    'INVALID_POLICY',
    `onSellerSilence must be one of ${SELLER_SILENCE_POLICIES.join(', ')}`,
  );
  ensure(
    typeof policy.allowReopenAfterCancel === 'boolean',
    'INVALID_POLICY',
    'allowReopenAfterCancel must be a boolean',
  );
  return Object.freeze(policy);
}

/** A duration setting in days: a whole number of days as written, or an ISO-8601 duration. */
function durationInDays(key: string, value: unknown, min: number): number {
  if (typeof value !== 'string') {
    ensure(
      typeof value === 'number' && Number.isInteger(value) && value >= min,
      'INVALID_POLICY',
      `${key} must be an integer ≥ ${min} (days) or an ISO-8601 duration such as "P2D" or "PT10M"`,
    );
    return value as number;
  }
  const parsed = parseIsoDuration(value);
  if (typeof parsed === 'string') throw new DomainError('INVALID_POLICY', `${key}: ${parsed}`);
  ensure(parsed > 0 || min === 0, 'INVALID_POLICY', `${key} must be longer than zero`);
  return parsed / MS_PER_DAY;
}
