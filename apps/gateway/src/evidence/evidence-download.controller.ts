import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import {
  Controller,
  ForbiddenException,
  Get,
  HttpException,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { authenticateRequest, Public, TokenVerifier } from '@arbiter/auth';
import { BLOB_STORE, BlobStore, SHA256_HEX } from './blob-store';
import { EVIDENCE_ACCESS_POLICY, EvidenceAccessPolicy } from './evidence-access.policy';
import { DISPUTE_ID } from './evidence.controller';
import { EVIDENCE_LINKS, EvidenceLinks } from './evidence-links';
import { EvidenceUploads } from './evidence-uploads';
import { fileHeaders, notModified, planRange } from './evidence-response';

/**
 * The one answer for every caller who may not open a file: no token, a bad token, an outsider,
 * an analyst, a dispute or a file that does not exist. Alike, so it reveals nothing about other
 * people's disputes or which files the store holds.
 */
const notFound = () =>
  new NotFoundException({
    code: 'EVIDENCE_NOT_FOUND',
    message: 'No such evidence file in a dispute you may see',
  });

/**
 * `GET /evidence/:disputeId/:sha256`: a file through a dispute it was attached to. Either with
 * `expires` and `signature` (a link from `StoredFile.url`, for browsers, which cannot send a
 * token) or with a bearer token like the rest of the API. Public at the guard so that both ways,
 * and every refusal, are decided here and answered alike.
 */
@Controller('evidence')
export class EvidenceDownloadController {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(EVIDENCE_ACCESS_POLICY) private readonly policy: EvidenceAccessPolicy,
    @Inject(EVIDENCE_LINKS) private readonly links: EvidenceLinks,
    private readonly uploads: EvidenceUploads,
    private readonly verifier: TokenVerifier,
  ) {}

  @Public()
  @Get(':disputeId/:sha256')
  async download(
    @Param('disputeId') disputeId: string,
    @Param('sha256') sha256: string,
    @Query() query: Record<string, unknown>,
    @Req() req: IncomingMessage,
    @Res() res: Response,
  ): Promise<void> {
    if (!DISPUTE_ID.test(disputeId) || !SHA256_HEX.test(sha256)) throw notFound();
    const signed = query.expires !== undefined || query.signature !== undefined;
    const cacheControl = signed
      ? await this.checkLink(disputeId, sha256, query)
      : await this.checkBearer(disputeId, sha256, req);
    const blob = await this.blobs.describe(sha256);
    if (!blob) throw notFound();

    const plan = planRange(req.headers, blob);
    if (plan.kind === 'unsatisfiable' && !notModified(req.headers, sha256)) {
      // Before the file's headers: the refusal is JSON, not a body of the file's type.
      res.set('Content-Range', `bytes */${blob.size}`);
      throw new HttpException(
        {
          code: 'EVIDENCE_RANGE_NOT_SATISFIABLE',
          message: `The requested range is outside the file's ${blob.size} bytes`,
        },
        HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
      );
    }
    res.set(fileHeaders(blob));
    res.set('Cache-Control', cacheControl);
    if (!signed) res.vary('Authorization');
    if (notModified(req.headers, sha256)) {
      res.status(HttpStatus.NOT_MODIFIED).end();
      return;
    }
    const range = plan.kind === 'part' ? { start: plan.start, end: plan.end } : undefined;
    if (range) {
      res.status(HttpStatus.PARTIAL_CONTENT);
      res.set('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    }
    res.set('Content-Length', String(range ? range.end - range.start + 1 : blob.size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stored = await this.blobs.get(sha256, range);
    if (!stored) throw notFound();
    res.flushHeaders();
    // Once the headers are out no error can be answered: a failed read cuts the connection, which
    // the client sees as an incomplete download rather than a wrong file.
    await pipeline(stored.content, res).catch(() => res.destroy());
  }

  /** A signed link: opens its one file until it expires, without a token. */
  private async checkLink(
    disputeId: string,
    sha256: string,
    query: Record<string, unknown>,
  ): Promise<string> {
    const expires = typeof query.expires === 'string' ? query.expires : undefined;
    const signature = typeof query.signature === 'string' ? query.signature : undefined;
    const check = this.links.verify({ disputeId, sha256, expires, signature });
    if (check === 'invalid') {
      throw new ForbiddenException({
        code: 'EVIDENCE_LINK_INVALID',
        message: 'The evidence link is not valid: use StoredFile.url as given',
      });
    }
    if (check === 'expired') {
      throw new ForbiddenException({
        code: 'EVIDENCE_LINK_EXPIRED',
        message:
          'The evidence link has expired: query the dispute again for a fresh StoredFile.url',
      });
    }
    // A shared cache must not keep it; the browser may, no longer than the link works.
    return `private, max-age=${this.links.secondsLeft(expires as string)}`;
  }

  /**
   * A bearer token: the file must be evidence in the dispute as the caller sees it, or the
   * caller's own upload for that dispute not yet attached (so they can check what they sent).
   */
  private async checkBearer(
    disputeId: string,
    sha256: string,
    req: IncomingMessage,
  ): Promise<string> {
    const { actor } = await authenticateRequest(this.verifier, {
      correlationId: '',
      authorization: req.headers.authorization,
    });
    if (!actor) throw notFound();
    const allowed =
      (await this.policy.mayOpen(actor, disputeId, sha256)) ||
      (await this.uploads.find({ disputeId, uploader: actor }, sha256)) !== null;
    if (!allowed) throw notFound();
    // Every use asks again: access follows the token, not a copy the browser kept.
    return 'private, no-cache';
  }
}
