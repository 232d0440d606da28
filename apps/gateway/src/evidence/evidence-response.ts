import type { IncomingHttpHeaders } from 'node:http';
import rangeParser from 'range-parser';
import type { StoredBlob } from './blob-store';
import type { EvidenceMediaType } from './media-type';

/**
 * Shown in the browser when opened: images and video only, which a browser renders without
 * running anything. PDF (scripts, forms) and text (which an old browser might sniff into HTML)
 * are downloaded; `nosniff` and the sandbox below hold either way.
 */
const INLINE: ReadonlySet<EvidenceMediaType> = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'video/mp4',
  'video/quicktime',
]);

const EXTENSIONS: Readonly<Record<EvidenceMediaType, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'text/plain': 'txt',
};

/**
 * The headers every answer with a file carries. The file is someone else's upload, so it must
 * never run as part of this origin: `nosniff` holds the browser to the detected type, and the
 * sandboxing CSP (no scripts, no plugins, no same-origin) holds even if a file is opened directly.
 * The name is made from the hash and the detected type, never from what the uploader sent.
 */
export function fileHeaders(blob: StoredBlob): Record<string, string> {
  const name = `evidence-${blob.sha256.slice(0, 16)}.${EXTENSIONS[blob.mediaType]}`;
  return {
    'Content-Type': blob.mediaType === 'text/plain' ? 'text/plain; charset=utf-8' : blob.mediaType,
    'Content-Disposition': `${INLINE.has(blob.mediaType) ? 'inline' : 'attachment'}; filename="${name}"`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    'Referrer-Policy': 'no-referrer',
    // Served to pages of the client apps' own origins (an `<img>` there), not only to this one.
    'Cross-Origin-Resource-Policy': 'cross-origin',
    ETag: etagOf(blob.sha256),
    'Accept-Ranges': 'bytes',
  };
}

/** Content addresses never change, so the hash is a strong validator. */
export const etagOf = (sha256: string): string => `"${sha256}"`;

/** Whether the client already holds this file (`If-None-Match`), so a 304 will do. */
export function notModified(headers: IncomingHttpHeaders, sha256: string): boolean {
  const given = headers['if-none-match'];
  if (!given) return false;
  const etag = etagOf(sha256);
  // Weak comparison, as RFC 9110 asks for If-None-Match.
  return given.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

export type RangePlan =
  { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * What to send for a `Range` header, parsed by `range-parser` (Express's own): one satisfiable
 * byte range gives a 206 with it; none satisfiable a 416. The whole file is sent, as RFC 9110
 * allows, for a malformed header, a unit other than bytes, several ranges (no multipart answer is
 * built), or an `If-Range` naming another version.
 */
export function planRange(headers: IncomingHttpHeaders, blob: StoredBlob): RangePlan {
  const header = headers.range;
  if (!header) return { kind: 'whole' };
  const ifRange = headers['if-range'];
  // A date in If-Range cannot be compared to content addressed by hash: only our ETag counts.
  if (ifRange && String(ifRange).trim() !== etagOf(blob.sha256)) return { kind: 'whole' };
  const parsed = rangeParser(blob.size, header, { combine: true });
  if (parsed === -1) return { kind: 'unsatisfiable' };
  if (parsed === -2 || parsed.type !== 'bytes' || parsed.length !== 1) return { kind: 'whole' };
  return { kind: 'part', start: parsed[0].start, end: parsed[0].end };
}
