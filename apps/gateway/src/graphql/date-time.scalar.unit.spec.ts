import { parseInstant } from './date-time.scalar';

describe('DateTime', () => {
  it.each([
    ['2026-03-01T09:30:00Z', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01T09:30:00.123456Z', '2026-03-01T09:30:00.123Z'],
    ['2026-03-01T10:30+01:00', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s', (input, iso) => {
    expect(parseInstant(input).toISOString()).toBe(iso);
  });

  it.each([
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '2026-02-31',
    '2026-13-01',
    '2026-03-01T24:00:00Z',
    '2026-03-01T09:30:00',
    '2026-03-01T09:30:00Z\n',
    '',
    'next tuesday',
    '1700000000000',
  ])('refuses %j with BAD_USER_INPUT', (input) => {
    expect(() => parseInstant(input)).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }),
    );
  });

  it('refuses what is not a string', () => {
    expect(() => parseInstant(1_700_000_000_000)).toThrow(/ISO 8601/);
  });
});
