import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { Actor, ActorRole, isActorRole, TOKEN_ROLES } from './actor';

export interface AuthOptions {
  /** HS256 shared secret (development, tests, simple deployments). Ignored when `jwksUrl` is set. */
  secret?: string;
  /** Verify asymmetric tokens against this JSON Web Key Set (production). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Roles a token may claim; default every role but `system`. */
  tokenRoles?: readonly ActorRole[];
  clockToleranceSeconds?: number;
  /**
   * Longest a token may live (from `iat`, or from now without one) before `exp`: a token minted
   * for the year 3000 is refused. Default 24 hours.
   */
  maxLifetimeSeconds?: number;
}

/** An authenticated caller and when its token stops being valid (a socket closes then). */
export interface AuthenticatedSession {
  actor: Actor;
  /** `exp`, in milliseconds since the epoch. */
  expiresAt: number;
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export type AuthenticationFailure =
  'TOKEN_MALFORMED' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'TOKEN_CLAIMS_INVALID';

/** The presented credentials were refused; `message` is safe to show to the caller. */
export class AuthenticationError extends Error {
  constructor(
    readonly reason: AuthenticationFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const SUBJECT = /^[\w.:@|-]{1,128}$/;

/** Turns a bearer token into the `Actor` it speaks for, or refuses it with an `AuthenticationError`. */
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly tokenRoles: readonly ActorRole[];

  constructor(private readonly options: AuthOptions) {
    if (options.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(options.jwksUrl));
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else {
      throw new Error('TokenVerifier needs a secret or a JWKS URL');
    }
    this.tokenRoles = options.tokenRoles ?? TOKEN_ROLES;
  }

  /** `null` when no Authorization header was sent; throws when one was sent and is not acceptable. */
  async authenticate(authorization: string | undefined): Promise<Actor | null> {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)\s*$/i.exec(authorization);
    if (!match)
      throw new AuthenticationError('TOKEN_MALFORMED', 'Expected "Authorization: Bearer <jwt>"');
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Actor> {
    return (await this.verifySession(token)).actor;
  }

  /** Like `authenticate`, with the token's expiry: for sessions that outlive one request. */
  async authenticateSession(
    authorization: string | undefined,
  ): Promise<AuthenticatedSession | null> {
    if (authorization === undefined || authorization === '') return null;
    const match = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)\s*$/i.exec(authorization);
    if (!match)
      throw new AuthenticationError('TOKEN_MALFORMED', 'Expected "Authorization: Bearer <jwt>"');
    return this.verifySession(match[1]);
  }

  async verifySession(token: string): Promise<AuthenticatedSession> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Uint8Array, {
        algorithms: this.algorithms,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
      }));
    } catch (error) {
      throw translate(error);
    }
    const { sub, role } = payload;
    if (typeof sub !== 'string' || !SUBJECT.test(sub)) {
      throw new AuthenticationError(
        'TOKEN_CLAIMS_INVALID',
        'Token claim "sub" is not a valid actor id',
      );
    }
    if (!isActorRole(role) || !this.tokenRoles.includes(role)) {
      throw new AuthenticationError(
        'TOKEN_CLAIMS_INVALID',
        'Token claim "role" is missing or not allowed',
      );
    }
    const tolerance = this.options.clockToleranceSeconds ?? 5;
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (typeof payload.iat === 'number' && payload.iat > now + tolerance) {
      throw new AuthenticationError('TOKEN_CLAIMS_INVALID', 'Token claim "iat" is in the future');
    }
    const maxLifetime = this.options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : now;
    if (exp - issuedAt > maxLifetime || exp - now > maxLifetime + tolerance) {
      throw new AuthenticationError(
        'TOKEN_CLAIMS_INVALID',
        `Token lives longer than the ${maxLifetime} s this deployment allows`,
      );
    }
    return { actor: { id: sub, role }, expiresAt: exp * 1000 };
  }
}

function translate(error: unknown): AuthenticationError {
  if (error instanceof errors.JWTExpired)
    return new AuthenticationError('TOKEN_EXPIRED', 'Token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthenticationError(
      'TOKEN_CLAIMS_INVALID',
      `Token claim "${error.claim}" is missing or invalid`,
    );
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new AuthenticationError('TOKEN_MALFORMED', 'Token is malformed');
  }
  // Bad signature, wrong algorithm, unknown key id, JWKS unreachable: the caller learns only that
  // the token was not accepted; the detail stays in the server's logs via the cause.
  const refused = new AuthenticationError('TOKEN_INVALID', 'Token is not valid');
  refused.cause = error;
  return refused;
}
