import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@arbiter/platform/clock';
import { SHA256_HEX } from './blob-store';

export const EVIDENCE_LINKS = Symbol('EVIDENCE_LINKS');

/** Without EVIDENCE_URL_SECRET (refused in production): anyone reading this can mint links. */
export const DEVELOPMENT_EVIDENCE_URL_SECRET =
  'arbiter-development-evidence-links-never-in-production';

export interface EvidenceLinkOptions {
  /** HMAC-SHA256 key (EVIDENCE_URL_SECRET). */
  secret: string;
  /** The shortest a minted link lives (EVIDENCE_URL_TTL_SECONDS). */
  ttlSeconds: number;
  /** Public origin for absolute links (EVIDENCE_URL_BASE); without it links are root-relative. */
  baseUrl?: string;
}

export interface EvidenceLink {
  url: string;
  expiresAt: Date;
}

/** What a signed link names: checked by `verify` before anything is looked up. */
export interface SignedEvidenceRequest {
  disputeId: string;
  sha256: string;
  expires?: string;
  signature?: string;
}

export type LinkCheck = 'valid' | 'invalid' | 'expired';

/**
 * Expiry is rounded up to a whole window, so the same file asked for twice within it gets the
 * same link: a browser's cache keeps working across refetches of the dispute.
 */
const ROUND_TO_SECONDS = 60;

/**
 * Short-lived download links for evidence files, signed with a server key: what a browser's
 * `<img>`, `<video>` or a plain link needs, since none of them can send a bearer token.
 *
 * The signature covers the dispute, the file and the expiry, so a link opens only that file
 * through that dispute and only until then; it is minted only for a viewer whose view of the
 * dispute shows the file (the `StoredFile.url` field), which is the authorization. A link is a
 * bearer credential for a few minutes: it is as shareable as the bytes it opens, which a party
 * could share anyway, and short enough that a leaked one (logs, history) soon stops working.
 */
export class EvidenceLinks {
  constructor(
    private readonly options: EvidenceLinkOptions,
    private readonly clock: Clock,
  ) {}

  /** The path of a file under a dispute, with no signature (the bearer-token route). */
  static path(disputeId: string, sha256: string): string {
    return `/evidence/${encodeURIComponent(disputeId)}/${sha256}`;
  }

  mint(disputeId: string, sha256: string): EvidenceLink {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const expires =
      Math.ceil((now + this.options.ttlSeconds) / ROUND_TO_SECONDS) * ROUND_TO_SECONDS;
    const query = new URLSearchParams({
      expires: String(expires),
      signature: this.sign(disputeId, sha256, expires),
    });
    return {
      url: `${this.options.baseUrl ?? ''}${EvidenceLinks.path(disputeId, sha256)}?${query}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * `invalid` for a signature that does not match (tampered, or for another file or dispute);
   * `expired` only for a genuine link past its time, which tells its holder to fetch a fresh one.
   */
  verify(request: SignedEvidenceRequest): LinkCheck {
    const { disputeId, sha256, expires, signature } = request;
    if (!expires || !signature || !/^\d{1,12}$/.test(expires) || !SHA256_HEX.test(sha256)) {
      return 'invalid';
    }
    const expected = Buffer.from(this.sign(disputeId, sha256, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 <= this.clock.now().getTime() ? 'expired' : 'valid';
  }

  /** `verify` for a request's path and query (`/evidence/<disputeId>/<sha256>?expires=…`). */
  verifyUrl(pathAndQuery: string): LinkCheck {
    const url = new URL(pathAndQuery, 'http://link.invalid');
    const match = /^\/evidence\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!match) return 'invalid';
    let disputeId: string;
    try {
      disputeId = decodeURIComponent(match[1]);
    } catch {
      return 'invalid';
    }
    return this.verify({
      disputeId,
      sha256: match[2],
      expires: url.searchParams.get('expires') ?? undefined,
      signature: url.searchParams.get('signature') ?? undefined,
    });
  }

  /** Seconds until a link with this `expires` stops working (its cache lifetime). */
  secondsLeft(expires: string): number {
    // Rounded down: a cached copy must not outlive the link.
    return Math.max(0, Math.floor((Number(expires) * 1000 - this.clock.now().getTime()) / 1000));
  }

  private sign(disputeId: string, sha256: string, expires: number): string {
    // Versioned and newline-separated: no field can run into the next (ids contain no newline).
    return createHmac('sha256', this.options.secret)
      .update(`arbiter-evidence-v1\n${disputeId}\n${sha256}\n${expires}`)
      .digest('base64url');
  }
}
