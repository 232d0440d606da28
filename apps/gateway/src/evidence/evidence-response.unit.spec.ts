import type { StoredBlob } from './blob-store';
import { fileHeaders, notModified, planRange } from './evidence-response';

const SHA = 'c'.repeat(64);
const blob = (mediaType: StoredBlob['mediaType'], size = 1000): StoredBlob => ({
  sha256: SHA,
  size,
  mediaType,
});

describe('evidence responses', () => {
  it('shows images and video inline and downloads the rest, named by hash and detected type', () => {
    expect(fileHeaders(blob('video/quicktime'))['Content-Disposition']).toBe(
      `inline; filename="evidence-${SHA.slice(0, 16)}.mov"`,
    );
    expect(fileHeaders(blob('application/pdf'))).toMatchObject({
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="evidence-${SHA.slice(0, 16)}.pdf"`,
    });
    expect(fileHeaders(blob('text/plain'))).toMatchObject({
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Disposition': `attachment; filename="evidence-${SHA.slice(0, 16)}.txt"`,
      'X-Content-Type-Options': 'nosniff',
      ETag: `"${SHA}"`,
    });
  });

  it('answers If-None-Match with our ETag, weak or in a list, or *', () => {
    expect(notModified({}, SHA)).toBe(false);
    expect(notModified({ 'if-none-match': `"${SHA}"` }, SHA)).toBe(true);
    expect(notModified({ 'if-none-match': `"x", W/"${SHA}"` }, SHA)).toBe(true);
    expect(notModified({ 'if-none-match': '*' }, SHA)).toBe(true);
    expect(notModified({ 'if-none-match': '"other"' }, SHA)).toBe(false);
  });

  it('plans one satisfiable range as a part, none as unsatisfiable, anything else as the whole', () => {
    const video = blob('video/mp4');
    expect(planRange({}, video)).toEqual({ kind: 'whole' });
    expect(planRange({ range: 'bytes=10-19' }, video)).toEqual({
      kind: 'part',
      start: 10,
      end: 19,
    });
    expect(planRange({ range: 'bytes=990-5000' }, video)).toEqual({
      kind: 'part',
      start: 990,
      end: 999,
    });
    expect(planRange({ range: 'bytes=0-9,5-19' }, video)).toEqual({
      kind: 'part',
      start: 0,
      end: 19,
    });
    expect(planRange({ range: 'bytes=1000-' }, video)).toEqual({ kind: 'unsatisfiable' });
    expect(planRange({ range: 'bytes=0-0' }, blob('video/mp4', 0))).toEqual({
      kind: 'unsatisfiable',
    });
    for (const range of ['bytes=abc', 'items=0-1', 'bytes=0-1,500-501'])
      expect(planRange({ range }, video)).toEqual({ kind: 'whole' });
    expect(planRange({ range: 'bytes=0-1', 'if-range': `"${SHA}"` }, video)).toMatchObject({
      kind: 'part',
    });
    expect(
      planRange({ range: 'bytes=0-1', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' }, video),
    ).toEqual({ kind: 'whole' });
  });
});
