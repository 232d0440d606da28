import { Controller, Get, Header, Inject } from '@nestjs/common';
import { AUDIT_LOG, type AuditJwks, type AuditLog } from '@arbiter/audit';
import { Public } from '@arbiter/auth';

/**
 * `GET /.well-known/arbiter-audit-keys.json`: the public keys audit digests are checked with
 * (the signing key and the retired ones still trusted), as a JWK Set. Public and cacheable: an
 * auditor fetches it once and keeps it with the digests.
 */
@Controller('.well-known')
export class AuditKeysController {
  constructor(@Inject(AUDIT_LOG) private readonly log: AuditLog) {}

  @Public()
  @Get('arbiter-audit-keys.json')
  @Header('Content-Type', 'application/jwk-set+json')
  @Header('Cache-Control', 'public, max-age=3600')
  keys(): AuditJwks {
    return this.log.keyring.jwks();
  }
}
