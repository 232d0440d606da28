import { GraphQLError, GraphQLScalarType, Kind, ValueNode } from 'graphql';

/**
 * ISO 8601: a date, or a date-time with its offset (`Z` or `±hh:mm`). A date-time without one
 * would be read in the server's local zone, so it is refused rather than guessed.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The instants Arbiter accepts: 1970 up to the end of 9999. JavaScript dates reach year 275760,
 * which PostgreSQL's timestamptz and most clients cannot hold; no dispute is dated outside this.
 */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10000, 0, 1) - 1;

function refuse(value: string): GraphQLError {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return new GraphQLError(
    `DateTime must be an ISO 8601 date or date-time with an offset (such as 2026-03-01T09:30:00Z), from 1970 to 9999; got ${JSON.stringify(shown)}`,
    { extensions: { code: 'BAD_USER_INPUT' } },
  );
}

export function parseInstant(value: unknown): Date {
  if (typeof value !== 'string') throw refuse(String(value));
  const parts = ISO_INSTANT.exec(value);
  if (!parts) throw refuse(value);
  const time = Date.parse(value);
  const [, , month, day, hour, minute, second] = parts.map(Number);
  const fieldsInRange =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    (parts[4] === undefined ||
      (hour <= 23 && minute <= 59 && (parts[6] === undefined || second <= 59)));
  if (!fieldsInRange || Number.isNaN(time) || time < EARLIEST || time > LATEST) throw refuse(value);
  // Date.parse rolls 2026-02-31 over into March; such a day does not exist.
  if (new Date(Date.UTC(Number(parts[1]), month - 1, day)).getUTCDate() !== day)
    throw refuse(value);
  return new Date(time);
}

/**
 * The schema's `DateTime`, replacing the framework's, which turned any string JavaScript can
 * read into a Date (year 275760 included) and left the database to refuse it as an internal
 * error. Out of range or malformed: BAD_USER_INPUT in a variable, a validation error in a literal.
 */
export const DateTimeScalar = new GraphQLScalarType<Date | null, string | null>({
  name: 'DateTime',
  description:
    'An instant in ISO 8601: a date-time with its offset, such as 2026-03-01T09:30:00Z (a date alone means its midnight UTC); years 1970 to 9999. Always answered at UTC.',
  parseValue: parseInstant,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw refuse(ast.kind);
    return parseInstant(ast.value);
  },
  serialize(value: unknown) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(value).toISOString();
    return null;
  },
});
