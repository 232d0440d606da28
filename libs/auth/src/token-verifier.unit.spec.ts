import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET, signDevelopmentToken } from './development-token';
import { AuthenticationError, TokenVerifier } from './token-verifier';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const secret = 'a-test-secret-that-is-long-enough-for-hs256';

async function refusal(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('TokenVerifier with an HS256 secret', () => {
  const verifier = new TokenVerifier({ secret });

  it('returns the actor of a valid token', async () => {
    const token = await signDevelopmentToken({ sub: 'u-1', role: 'buyer', secret });
    await expect(verifier.verify(token)).resolves.toEqual({ id: 'u-1', role: 'buyer' });
  });

  it('reads the bearer scheme and treats a missing header as anonymous', async () => {
    const token = await signDevelopmentToken({ sub: 'm-7', role: 'mediator', secret });
    await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toEqual({
      id: 'm-7',
      role: 'mediator',
    });
    await expect(verifier.authenticate(undefined)).resolves.toBeNull();
    expect((await refusal(verifier.authenticate(`Basic abc`))).reason).toBe('TOKEN_MALFORMED');
  });

  it('refuses a token that lives too long or claims to be issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const key = new TextEncoder().encode(secret);
    const sign = (claims: { iat?: number; exp: number }) => {
      const jwt = new SignJWT({ role: 'buyer' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u-1')
        .setExpirationTime(claims.exp);
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      return jwt.sign(key);
    };
    const year3000 = Math.floor(Date.UTC(3000, 0, 1) / 1000);
    for (const claims of [
      { iat: now, exp: year3000 },
      { exp: year3000 },
      { iat: now + 3600, exp: now + 7200 },
    ])
      expect((await refusal(verifier.verify(await sign(claims)))).reason).toBe(
        'TOKEN_CLAIMS_INVALID',
      );
    await expect(verifier.verify(await sign({ iat: now, exp: now + 3600 }))).resolves.toEqual({
      id: 'u-1',
      role: 'buyer',
    });
    const short = new TokenVerifier({ secret, maxLifetimeSeconds: 600 });
    expect((await refusal(short.verify(await sign({ iat: now, exp: now + 3600 })))).reason).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    const session = await short.verifySession(await sign({ iat: now, exp: now + 300 }));
    expect(session.expiresAt).toBe((now + 300) * 1000);
  });

  it('allows the configured clock skew, no more, for tokens issued or expired a moment ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const key = new TextEncoder().encode(secret);
    const sign = (iat: number, exp: number) =>
      new SignJWT({ role: 'buyer' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('u-1')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
    const aheadBy30 = await sign(now + 30, now + 600);
    const expired30Ago = await sign(now - 600, now - 30);
    expect((await refusal(verifier.verify(aheadBy30))).reason).toBe('TOKEN_CLAIMS_INVALID');
    expect((await refusal(verifier.verify(expired30Ago))).reason).toBe('TOKEN_EXPIRED');
    const lenient = new TokenVerifier({ secret, clockToleranceSeconds: 60 });
    await expect(lenient.verify(aheadBy30)).resolves.toEqual({ id: 'u-1', role: 'buyer' });
    await expect(lenient.verify(expired30Ago)).resolves.toEqual({ id: 'u-1', role: 'buyer' });
  });

  it('refuses an expired token', async () => {
    const token = await signDevelopmentToken({ sub: 'u-1', role: 'buyer', secret, ttl: -60 });
    expect((await refusal(verifier.verify(token))).reason).toBe('TOKEN_EXPIRED');
  });

  it('refuses a token signed with another secret, without saying more', async () => {
    const token = await signDevelopmentToken({
      sub: 'u-1',
      role: 'buyer',
      secret: DEVELOPMENT_JWT_SECRET,
    });
    const error = await refusal(verifier.verify(token));
    expect(error.reason).toBe('TOKEN_INVALID');
    expect(error.message).toBe('Token is not valid');
  });

  it('refuses a token whose payload was altered', async () => {
    const [header, , signature] = (
      await signDevelopmentToken({ sub: 'u-1', role: 'buyer', secret })
    ).split('.');
    const payload = Buffer.from(
      JSON.stringify({ sub: 'u-1', role: 'mediator', exp: 9999999999 }),
    ).toString('base64url');
    expect((await refusal(verifier.verify(`${header}.${payload}.${signature}`))).reason).toBe(
      'TOKEN_INVALID',
    );
  });

  it('refuses the "none" algorithm', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: 'u-1', role: 'buyer', exp: 9999999999 }),
    ).toString('base64url');
    await refusal(verifier.verify(`${header}.${payload}.`));
  });

  it('refuses a token without sub, role or exp', async () => {
    const key = new TextEncoder().encode(secret);
    const sign = (claims: Record<string, unknown>, exp = true) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
      return (exp ? jwt.setExpirationTime('1h') : jwt).sign(key);
    };
    expect((await refusal(verifier.verify(await sign({ role: 'buyer' })))).reason).toBe(
      'TOKEN_CLAIMS_INVALID',
    );
    expect((await refusal(verifier.verify(await sign({ sub: 'u-1' })))).message).toMatch(/role/);
    expect(
      (await refusal(verifier.verify(await sign({ sub: 'u-1', role: 'buyer' }, false)))).message,
    ).toMatch(/exp/);
  });

  it('refuses an unknown role and, by default, the system role', async () => {
    const unknown = await signDevelopmentToken({ sub: 'u-1', role: 'admin' as never, secret });
    expect((await refusal(verifier.verify(unknown))).reason).toBe('TOKEN_CLAIMS_INVALID');
    const system = await signDevelopmentToken({ sub: 'clock', role: 'system', secret });
    expect((await refusal(verifier.verify(system))).reason).toBe('TOKEN_CLAIMS_INVALID');
    const optedIn = new TokenVerifier({ secret, tokenRoles: ['system'] });
    await expect(optedIn.verify(system)).resolves.toEqual({ id: 'clock', role: 'system' });
  });

  it('checks issuer and audience when configured', async () => {
    const strict = new TokenVerifier({
      secret,
      issuer: 'https://idp.example',
      audience: 'arbiter',
    });
    const good = await signDevelopmentToken({
      sub: 'u-1',
      role: 'seller',
      secret,
      issuer: 'https://idp.example',
      audience: 'arbiter',
    });
    await expect(strict.verify(good)).resolves.toEqual({ id: 'u-1', role: 'seller' });
    const wrongAudience = await signDevelopmentToken({
      sub: 'u-1',
      role: 'seller',
      secret,
      issuer: 'https://idp.example',
      audience: 'other',
    });
    expect((await refusal(strict.verify(wrongAudience))).message).toMatch(/aud/);
  });
});

describe('TokenVerifier with a JWKS URL', () => {
  let server: Server;
  let url: string;
  let privateKey: PrivateKey;
  let otherKey: PrivateKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (key: PrivateKey, claims: Record<string, unknown>, alg = 'ES256') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: 'k1' })
      .setSubject('u-9')
      .setExpirationTime('5m')
      .sign(key);

  it('accepts a token signed by a key of the set', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url });
    await expect(verifier.verify(await sign(privateKey, { role: 'analyst' }))).resolves.toEqual({
      id: 'u-9',
      role: 'analyst',
    });
  });

  it('refuses a token signed by a key outside the set', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url });
    expect((await refusal(verifier.verify(await sign(otherKey, { role: 'buyer' })))).reason).toBe(
      'TOKEN_INVALID',
    );
  });

  it('refuses an HS256 token even when it carries a known kid (no algorithm confusion)', async () => {
    const verifier = new TokenVerifier({ jwksUrl: url, secret });
    const hs = await new SignJWT({ role: 'buyer' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setSubject('u-9')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect((await refusal(verifier.verify(hs))).reason).toBe('TOKEN_INVALID');
  });
});
