import { SignJWT } from 'jose';
import { ActorRole } from './actor';

/**
 * The HS256 secret used when JWT_SECRET is unset outside production. It is public (it is in the
 * source), so the gateway logs a warning whenever it is in use and production refuses to start.
 */
export const DEVELOPMENT_JWT_SECRET = 'arbiter-development-secret-never-use-in-production';

export interface DevelopmentTokenOptions {
  sub: string;
  role: ActorRole;
  secret?: string;
  /** jose's notation: `15m`, `1h`, `7d`, or seconds. Negative values make expired tokens for tests. */
  ttl?: string | number;
  issuer?: string;
  audience?: string;
}

export function signDevelopmentToken(options: DevelopmentTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const ttl = options.ttl ?? '1h';
  const jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(typeof ttl === 'number' ? now + ttl : ttl);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? DEVELOPMENT_JWT_SECRET));
}
