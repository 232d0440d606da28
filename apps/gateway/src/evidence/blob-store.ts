import type { Readable } from 'node:stream';
import type { EvidenceMediaType } from './media-type';

export const BLOB_STORE = Symbol('BLOB_STORE');

export interface StoredBlob {
  /** Lowercase hex sha256 of the content: its address. */
  sha256: string;
  size: number;
  mediaType: EvidenceMediaType;
}

/** Inclusive byte offsets, as in HTTP's `Content-Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobPutOptions {
  maxBytes: number;
}

/**
 * Content-addressed storage for evidence files. The local filesystem implementation is
 * `LocalBlobStore`; an object-storage one (S3, GCS) implements the same methods (ranged reads too).
 * `put` reads `content` to its end (the caller bounds it), stores it only if it is at most
 * `maxBytes` and of an accepted media type, and is idempotent: the same bytes give the same blob.
 */
export interface BlobStore {
  put(content: Readable, options: BlobPutOptions): Promise<StoredBlob>;
  /** The content, or only bytes `start` to `end` inclusive of it (a download's range request). */
  get(
    sha256: string,
    range?: ByteRange,
  ): Promise<{ blob: StoredBlob; content: Readable } | undefined>;
  /** Size and media type of a stored blob, without opening its content. */
  describe(sha256: string): Promise<StoredBlob | undefined>;
  has(sha256: string): Promise<boolean>;
  /** Removes a blob (a forgotten person's file); true when there was one. */
  delete(sha256: string): Promise<boolean>;
}

export class BlobTooLargeError extends Error {
  readonly code = 'EVIDENCE_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`The file exceeds the limit of ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends Error {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor() {
    super(
      'The file is not of an accepted type (JPEG, PNG, WebP, GIF, PDF, MP4, QuickTime or UTF-8 text)',
    );
    this.name = 'UnsupportedMediaTypeError';
  }
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;
