import {
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  MixedPagingError,
  pageWindow,
} from './pagination';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('reads back what the lists hand out', () => {
    const key = ['2026-03-01T09:30:00.000Z', 'c3a7bd43-f263-5685-8b14-612c790aad07'];
    expect(decodeCursor(encodeCursor(key), ['instant', 'id'])).toEqual(key);
    expect(
      decodeCursor(encodeCursor(['infinity', key[0], key[1]]), [
        'instantOrInfinity',
        'instant',
        'id',
      ]),
    ).toEqual(['infinity', ...key]);
    expect(decodeCursor(encodeCursor(['12']), ['revision'])).toEqual(['12']);
    expect(decodeCursor(encodeCursor(['1']), ['sequence'])).toEqual(['1']);
  });

  // Each reached PostgreSQL and came back as an internal error before the parts were checked.
  it.each([
    ['a revision beyond any number', b64(['99999999999999999999999']), ['revision']],
    ['a revision in exponent form', b64(['1e400']), ['revision']],
    ['a negative revision', b64(['-1']), ['revision']],
    ['a hexadecimal revision', b64(['0x1']), ['revision']],
    // Sequences start at 1: a 0 was never handed out.
    ['a sequence of 0', b64(['0']), ['sequence']],
    ['a negative sequence', b64(['-1']), ['sequence']],
    ['words for instants', b64(['x', 'y']), ['instant', 'id']],
    ['year 275760', b64(['+275760-09-13T00:00:00.000Z', 'c3a7']), ['instant', 'id']],
    ['30 February', b64(['2026-02-30T00:00:00.000Z', 'c3a7']), ['instant', 'id']],
    [
      'an instant not as the list writes it',
      b64(['2026-03-01T09:30:00Z', 'c3a7']),
      ['instant', 'id'],
    ],
    ['a NUL in an id', b64(['2026-03-01T09:30:00.000Z', 'c3\u0000a7']), ['instant', 'id']],
    ['three words for the queue', b64(['x', 'y', 'z']), ['instantOrInfinity', 'instant', 'id']],
    ['too few parts', b64(['2026-03-01T09:30:00.000Z']), ['instant', 'id']],
    ['a number, not text', b64([5]), ['revision']],
    ['not JSON', Buffer.from('not a cursor').toString('base64url'), ['revision']],
    ['an empty cursor', '', ['revision']],
    ['padding and other characters', `${b64(['5'])}==`, ['revision']],
  ] as const)('refuses %s', (_what, cursor, parts) => {
    expect(() => decodeCursor(cursor, parts)).toThrow(InvalidCursorError);
  });
});

describe('page windows', () => {
  it('reads forward by default and backward from `last` or `before`, sizes clamped', () => {
    expect(pageWindow({})).toEqual({ size: 20, backward: false, cursor: null });
    expect(pageWindow({ first: 500, after: 'a' })).toEqual({
      size: 100,
      backward: false,
      cursor: 'a',
    });
    expect(pageWindow({ last: 0 })).toEqual({ size: 1, backward: true, cursor: null });
    expect(pageWindow({ before: 'b', first: null })).toEqual({
      size: 20,
      backward: true,
      cursor: 'b',
    });
  });

  it('refuses both directions at once, pointing at the backward argument given', () => {
    expect(() => pageWindow({ first: 1, last: 1 })).toThrow(MixedPagingError);
    expect(() => pageWindow({ after: 'a', before: 'b' })).toThrow(
      expect.objectContaining({ argument: 'before' }),
    );
  });
});
