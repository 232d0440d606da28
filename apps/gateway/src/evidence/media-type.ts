/**
 * Media types accepted as evidence, recognised from the content's first bytes (magic numbers),
 * never from the client's filename or Content-Type. A table instead of `file-type`: its current
 * versions are ESM-only and its CommonJS line (v16) is no longer maintained, and we need eight
 * signatures plus a UTF-8 check that it does not do.
 */
export const EVIDENCE_MEDIA_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'application/pdf',
  'video/mp4',
  'video/quicktime',
  'text/plain',
] as const;

export type EvidenceMediaType = (typeof EVIDENCE_MEDIA_TYPES)[number];

/** ISO base media file brands that are MP4 video (not HEIC/AVIF images, which share the container). */
const MP4_BRANDS = new Set([
  'isom',
  'iso2',
  'iso4',
  'iso5',
  'iso6',
  'mp41',
  'mp42',
  'avc1',
  'M4V ',
  'MSNV',
  'dash',
  'mmp4',
]);

const startsWith = (head: Uint8Array, bytes: number[], offset = 0) =>
  head.length >= offset + bytes.length && bytes.every((byte, i) => head[offset + i] === byte);
const ascii = (head: Uint8Array, from: number, to: number) =>
  Buffer.from(head.subarray(from, to)).toString('latin1');

/** The binary media type whose signature `head` (the first bytes, at least 16) starts with. */
export function detectBinaryMediaType(head: Uint8Array): EvidenceMediaType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(head, 0, 5) === '%PDF-') return 'application/pdf';
  if (ascii(head, 4, 8) === 'ftyp') {
    const brand = ascii(head, 8, 12);
    if (brand === 'qt  ') return 'video/quicktime';
    if (MP4_BRANDS.has(brand)) return 'video/mp4';
  }
  return undefined;
}

const HEAD_BYTES = 16;

/** Fed the content chunk by chunk; tells its media type at the end, or `undefined` if not accepted. */
export class MediaTypeSniffer {
  private head = Buffer.alloc(0);
  private size = 0;
  private maybeText = true;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.head.length < HEAD_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    }
    if (!this.maybeText) return;
    if (chunk.includes(0)) {
      this.maybeText = false;
      return;
    }
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.maybeText = false;
    }
  }

  result(): EvidenceMediaType | undefined {
    const binary = detectBinaryMediaType(this.head);
    if (binary) return binary;
    if (!this.maybeText || this.size === 0) return undefined;
    try {
      this.decoder.decode(); // a multi-byte sequence cut off at the end is not valid UTF-8
      return 'text/plain';
    } catch {
      return undefined;
    }
  }
}
