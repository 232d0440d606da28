import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDigestSignature, digestSigningInput, parseDigest, signDigest } from './digest';
import { AuditError } from './errors';
import { AuditKeyring, keyIdOf, loadAuditKeyring, parseTrustedKeys } from './keys';
import { changedParts, leafBytes, leafHashOf, leafRecordOf } from './leaf';
import { leafHash } from './merkle';

const pem = (key = generateKeyPairSync('ed25519').privateKey) =>
  key.export({ type: 'pkcs8', format: 'pem' }).toString();

const codeOf = (work: () => unknown): string | undefined => {
  try {
    work();
  } catch (error) {
    return error instanceof AuditError ? error.code : `not an AuditError: ${String(error)}`;
  }
  return undefined;
};

describe('audit keys', () => {
  it('names a key by its RFC 7638 thumbprint', () => {
    // RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    const { createPublicKey } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      format: 'jwk',
    });
    expect(keyIdOf(key)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('loads a PEM or a file, refuses other key types, and refuses to invent one in production', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-keys-'));
    const inline = loadAuditKeyring({ signingKey: pem(), production: true });
    const file = join(dir, 'signing.pem');
    writeFileSync(file, pem(inline.privateKey));
    expect(loadAuditKeyring({ signingKey: file, production: true }).keyId).toBe(inline.keyId);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() =>
      loadAuditKeyring({
        signingKey: rsa.export({ type: 'pkcs8', format: 'pem' }).toString(),
        production: true,
      }),
    ).toThrow(/must be an Ed25519 key/);
    expect(() =>
      loadAuditKeyring({ signingKey: join(dir, 'nope.pem'), production: false }),
    ).toThrow(/AUDIT_SIGNING_KEY is neither a PEM nor a readable file/);
    expect(() => loadAuditKeyring({ production: true })).toThrow(
      /AUDIT_SIGNING_KEY is required in production/,
    );
  });

  it('keeps one development key across starts, and says it is one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-keys-')), 'data.audit-signing-key.pem');
    const warnings: string[] = [];
    const first = loadAuditKeyring({
      developmentKeyFile: file,
      production: false,
      warn: (m) => warnings.push(m),
    });
    const again = loadAuditKeyring({
      developmentKeyFile: file,
      production: false,
      warn: (m) => warnings.push(m),
    });
    expect(again.keyId).toBe(first.keyId);
    expect(readFileSync(file, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/development key/);
    expect(warnings[0]).toContain(first.keyId);
  });

  it('trusts retired keys from PEMs or a JWK Set, and publishes them all', () => {
    const retired = new AuditKeyring(generateKeyPairSync('ed25519').privateKey);
    const current = generateKeyPairSync('ed25519').privateKey;
    const fromPem = loadAuditKeyring({
      signingKey: pem(current),
      trustedKeys: retired.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      production: true,
    });
    const jwksFile = join(mkdtempSync(join(tmpdir(), 'audit-keys-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(retired.jwks()));
    const fromJwks = loadAuditKeyring({
      signingKey: pem(current),
      trustedKeys: jwksFile,
      production: true,
    });
    for (const keyring of [fromPem, fromJwks]) {
      expect(keyring.trustedKey(retired.keyId)).toBeDefined();
      expect(keyring.jwks().keys.map((k) => k.kid)).toEqual([keyring.keyId, retired.keyId]);
      expect(keyring.jwks().keys[0]).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        alg: 'EdDSA',
        use: 'sig',
      });
    }
    expect(() => parseTrustedKeys('{"nokeys":1}')).toThrow(
      /AUDIT_TRUSTED_KEYS holds no usable keys/,
    );
  });
});

describe('audit digests', () => {
  const keyring = new AuditKeyring(generateKeyPairSync('ed25519').privateKey);
  const signed = signDigest(
    {
      version: 1,
      epoch: 0,
      position: '42',
      count: 3,
      root: 'ab'.repeat(32),
      createdAt: '2026-03-01T00:00:00.000Z',
      keyId: keyring.keyId,
    },
    keyring,
  );

  it('signs the canonical JSON of everything but the signature, and checks it', () => {
    expect(digestSigningInput(signed).toString()).toBe(
      `{"count":3,"createdAt":"2026-03-01T00:00:00.000Z","epoch":0,"keyId":"${keyring.keyId}","position":"42","root":"${'ab'.repeat(32)}","version":1}`,
    );
    expect(
      codeOf(() => checkDigestSignature(parseDigest(JSON.parse(JSON.stringify(signed))), keyring)),
    ).toBeUndefined();
    expect(codeOf(() => checkDigestSignature({ ...signed, count: 4 }, keyring))).toBe(
      'AUDIT_DIGEST_SIGNATURE_INVALID',
    );
  });

  it('refuses a digest of a key it does not trust, saying the key changed', () => {
    const replaced = new AuditKeyring(generateKeyPairSync('ed25519').privateKey);
    expect(codeOf(() => checkDigestSignature(signed, replaced))).toBe('AUDIT_DIGEST_UNKNOWN_KEY');
    expect(() => checkDigestSignature(signed, replaced)).toThrow(/the signing key changed/);
  });

  it('refuses malformed digests with one code', () => {
    for (const bad of [
      null,
      [],
      { ...signed, version: 2 },
      { ...signed, root: 'xyz' },
      { ...signed, count: -1 },
      { ...signed, extra: 1 },
      { ...signed, previousEpoch: { epoch: 0 } },
      { ...signed, signature: 'short' },
    ]) {
      expect(codeOf(() => parseDigest(bad))).toBe('AUDIT_DIGEST_MALFORMED');
    }
  });
});

describe('leaf records', () => {
  const event = {
    streamId: 'dispute-d-1',
    revision: 2n,
    position: 1048577n,
    id: 'e-1',
    type: 'DisputeOpened',
    data: { b: 1, a: [1, { d: 2, c: 3 }] },
    metadata: { hash: 'h', actor: { role: 'buyer', id: 'b-1' } },
    recordedAt: new Date('2026-03-01T00:00:00.123Z'),
  };

  it('hashes the canonical JSON of the stored record, data and metadata apart', () => {
    const record = leafRecordOf(event);
    expect(record).toMatchObject({
      position: '1048577',
      revision: '2',
      eventId: 'e-1',
      recordedAt: '2026-03-01T00:00:00.123Z',
    });
    // Key order of the stored JSON does not matter; its content does.
    expect(leafRecordOf({ ...event, data: { a: [1, { c: 3, d: 2 }], b: 1 } }).dataHash).toBe(
      record.dataHash,
    );
    expect(leafBytes(record)).toBe(
      `{"dataHash":"${record.dataHash}","eventId":"e-1","metadataHash":"${record.metadataHash}","position":"1048577","recordedAt":"2026-03-01T00:00:00.123Z","revision":"2","streamId":"dispute-d-1","type":"DisputeOpened"}`,
    );
    expect(leafHashOf(record)).toEqual(leafHash(leafBytes(record)));
    const changed = leafRecordOf({ ...event, data: { b: 2 }, metadata: {}, type: 'X' });
    expect(changedParts(record, changed)).toEqual(['data', 'metadata', 'type']);
    expect(
      changedParts(record, { ...record, recordedAt: 'x', streamId: 's', revision: '9' }),
    ).toEqual(['recordedAt', 'streamId', 'revision']);
  });
});
