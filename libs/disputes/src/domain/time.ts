import { DomainError } from './errors';

/**
 * Instants are ISO-8601 UTC strings (`2026-03-01T12:00:00.000Z`): they read well in JSON events.
 * The arithmetic is done here by hand (civil-date algorithms of H. Hinnant) so that the domain
 * never touches `Date`, whose constructor can read the clock.
 */
export type Instant = string;

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;
export const MS_PER_DAY = 86_400_000;

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return [year, month, day];
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** Epoch milliseconds → canonical instant (always with milliseconds). */
export function fromEpochMs(ms: number): Instant {
  const days = Math.floor(ms / MS_PER_DAY);
  const rest = ms - days * MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hours = Math.floor(rest / 3_600_000);
  const minutes = Math.floor((rest % 3_600_000) / 60_000);
  const seconds = Math.floor((rest % 60_000) / 1000);
  return (
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T` +
    `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(rest % 1000, 3)}Z`
  );
}

/** Instant → epoch milliseconds; refuses anything but a real UTC calendar instant. */
export function toEpochMs(instant: Instant): number {
  const match = ISO_UTC.exec(instant);
  if (match === null)
    throw new DomainError('INVALID_INSTANT', `not an ISO-8601 UTC instant: ${instant}`);
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number);
  const millis = Number((match[7] ?? '0').padEnd(3, '0'));
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hours * 60 + minutes) * 60 + seconds) * 1000 +
    millis;
  // A round trip exposes impossible dates (Feb 30, 24:00) without a table of month lengths.
  if (fromEpochMs(ms).slice(0, 19) !== instant.slice(0, 19)) {
    throw new DomainError('INVALID_INSTANT', `no such instant: ${instant}`);
  }
  return ms;
}

/** Validates and normalizes an instant to the canonical form events carry. */
export function instant(value: Instant): Instant {
  return fromEpochMs(toEpochMs(value));
}

/** `days` may be a fraction (a policy duration written as `PT10M`): rounded to the millisecond. */
export function addDays(at: Instant, days: number): Instant {
  return fromEpochMs(toEpochMs(at) + Math.round(days * MS_PER_DAY));
}

/** True when `a` is strictly earlier than `b`. */
export function isBefore(a: Instant, b: Instant): boolean {
  return toEpochMs(a) < toEpochMs(b);
}

/**
 * The ISO-8601 durations of fixed length: days, hours, minutes, seconds (`P2D`, `PT10M`,
 * `P1DT12H`, `PT0.5S`). A tight pattern, not a library: the domain imports no package, and the
 * subset is small.
 */
const ISO_DURATION =
  /^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/** Weeks, months and years (`P2W`, `P1M`, `P1Y`), before any `T`. */
const CALENDAR_DURATION = /^P[^T]*[YMW]/;

/**
 * An ISO-8601 duration (`PnDTnHnMnS`) in milliseconds, or why it is refused: weeks, months and
 * years are (months and years have no fixed length; weeks are written as days here).
 */
export function parseIsoDuration(text: string): number | string {
  if (CALENDAR_DURATION.test(text)) {
    return `${text} counts weeks, months or years, which have no fixed length here; give days, hours, minutes or seconds (e.g. "P30D")`;
  }
  const match = ISO_DURATION.exec(text);
  if (match === null) {
    return `${text} is not an ISO-8601 duration of the form PnDTnHnMnS (e.g. "P2D", "PT10M")`;
  }
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0));
  return Math.round((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000);
}
