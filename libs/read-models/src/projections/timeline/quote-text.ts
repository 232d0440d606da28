/**
 * User text inside a one-line summary. A summary's structure (who did what) comes from the
 * event's structured fields; what a person typed may only appear as a quotation that cannot end
 * early, break the line, recolour a terminal or reorder what is displayed — otherwise a buyer's
 * message could read like a system line ("DECIDED: FULL_REFUND to buyer"). The rules are listed
 * in libs/read-models/README.md ("Timeline summaries"); the raw text stays in the body fields.
 */

/** Longest quotation, in code points (a whole grapheme is never cut unless it alone is longer). */
export const QUOTE_MAX_CODE_POINTS = 200;

// ANSI escape sequences are removed whole, so no "[32m" is left behind: CSI (ESC [ or the C1
// byte U+009B, then parameters and one final byte) and OSC (ESC ] or U+009D, up to BEL or ST).
// An unterminated OSC is not swallowed to the end: its ESC alone becomes a space below.
const ANSI_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)/g;

// Controls (C0, DEL, C1: line breaks, tabs, ESC, ...) and the line / paragraph separators would
// break the line or drive a terminal: each becomes a space, and runs of spaces collapse below.
const BREAKING = /[\p{Cc}\u2028\u2029]/gu;

// Format characters (Unicode category Cf) are invisible: bidi embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069), marks (U+200E, U+200F, U+061C), zero-width space and joiners
// (U+200B–U+200D), word joiner, BOM (U+FEFF), soft hyphen, tag characters... They are removed,
// except a zero-width joiner between two pictographs, which only joins an emoji sequence (👩‍💻).
const INVISIBLE =
  /(?<=\p{Extended_Pictographic}[\p{M}\p{Emoji_Modifier}]*)\u200d(?=\p{Extended_Pictographic})|(\p{Cf})/gu;

// Stored events may predate the edge's refusal of lone surrogates; they are shown as U+FFFD.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` made safe for one line: no controls, separators or invisible characters; spaces collapsed. */
export function oneLine(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(ANSI_SEQUENCE, '')
    .replace(BREAKING, ' ')
    .replace(INVISIBLE, (match: string, removed: string | undefined) => (removed ? '' : match))
    .replace(/\s+/gu, ' ')
    .trim();
}

// Anything a reader could take for the closing quotation mark, and the escape character itself.
const QUOTE_LIKE = /["“”„‟″‶〝〞〟＂\\]/gu;

/**
 * `text` as a quotation for a one-line summary: “…”, made one line by `oneLine`, cut to
 * `maxCodePoints` on a grapheme boundary with an ellipsis, and every quote-like character and
 * backslash inside escaped with a backslash, so the first unescaped ” always ends it.
 */
export function quoteText(text: string, maxCodePoints = QUOTE_MAX_CODE_POINTS): string {
  const inner = truncate(oneLine(text), maxCodePoints).replace(QUOTE_LIKE, '\\$&');
  return `“${inner}”`;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** At most `max` code points of `text`, whole graphemes only, with "…" when something was cut. */
export function truncate(text: string, max: number): string {
  let kept = '';
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = Array.from(segment).length;
    if (count + size > max) {
      // One grapheme longer than the whole budget (a base with hundreds of combining marks)
      // is cut between code points, never inside a surrogate pair.
      if (count === 0) kept = Array.from(segment).slice(0, max).join('');
      return `${kept.trimEnd()}…`;
    }
    kept += segment;
    count += size;
  }
  return kept;
}
