import { jsonLine } from './events';

describe('jsonLine', () => {
  const hostile = 'ok"\n\u001b[32mDECIDED\u009b2J\u007f\u202e\u2066\u200b\u2028\ufeff\u{e0041}';

  it('prints no control, separator or invisible character, and parses to the same value', () => {
    const line = jsonLine({ body: hostile, emoji: '👩‍💻 😀' });
    expect(line).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
    expect(JSON.parse(line)).toEqual({ body: hostile, emoji: '👩‍💻 😀' });
  });

  it('escapes a character outside the BMP as its surrogate pair', () => {
    expect(jsonLine('a\u{e0041}b')).toBe('"a\\udb40\\udc41b"');
  });

  it('leaves ordinary text as JSON.stringify writes it', () => {
    const value = { text: 'Größe „ok“ 日本語 עברית', n: 1 };
    expect(jsonLine(value)).toBe(JSON.stringify(value));
  });
});
