import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A public JWK of an Ed25519 key as the well-known route publishes it. */
export interface AuditJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface AuditJwks {
  keys: AuditJwk[];
}

/**
 * RFC 7638 thumbprint: SHA-256 of the JSON of the required members in lexicographic order
 * (`crv`, `kty`, `x` for an OKP key), base64url without padding.
 */
export function keyIdOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' }) as { crv?: string; kty?: string; x?: string };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) {
    throw new Error('audit keys are Ed25519');
  }
  return createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
    .digest('base64url');
}

export function jwkOf(publicKey: KeyObject): AuditJwk {
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string };
  return { kty: 'OKP', crv: 'Ed25519', x, kid: keyIdOf(publicKey), alg: 'EdDSA', use: 'sig' };
}

/** The signing key and every public key a digest may be verified with, by key id. */
export class AuditKeyring {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  private readonly trusted = new Map<string, KeyObject>();

  constructor(
    readonly privateKey: KeyObject,
    retired: readonly KeyObject[] = [],
  ) {
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error('the audit signing key must be an Ed25519 private key');
    }
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
    this.trusted.set(this.keyId, this.publicKey);
    for (const key of retired) {
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('trusted audit keys are Ed25519');
      this.trusted.set(keyIdOf(key), key);
    }
  }

  /** The public key of `keyId` when this deployment trusts it. */
  trustedKey(keyId: string): KeyObject | undefined {
    return this.trusted.get(keyId);
  }

  /** The current key first, then the retired ones still trusted. */
  jwks(): AuditJwks {
    return { keys: [...this.trusted.values()].map(jwkOf) };
  }
}

export interface AuditKeySettings {
  /** `AUDIT_SIGNING_KEY`: a PKCS8 PEM, or the path of a file holding one. */
  signingKey?: string;
  /** `AUDIT_TRUSTED_KEYS`: retired public keys (PEMs, or the path of a PEM or JWKS file). */
  trustedKeys?: string;
  /** Where a development key is kept when no signing key is set; none: a key for this process only. */
  developmentKeyFile?: string;
  /** Production never falls back to a development key. */
  production: boolean;
  /** Told which development key is used. */
  warn?: (message: string) => void;
}

/** The keyring the settings describe; throws with a message naming the setting when they are wrong. */
export function loadAuditKeyring(settings: AuditKeySettings): AuditKeyring {
  const retired = settings.trustedKeys ? parseTrustedKeys(settings.trustedKeys) : [];
  if (settings.signingKey) {
    const pem = readPemSetting(settings.signingKey, 'AUDIT_SIGNING_KEY');
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (error) {
      throw new Error(
        `AUDIT_SIGNING_KEY is not a PKCS8 PEM private key: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new Error(
        `AUDIT_SIGNING_KEY must be an Ed25519 key (got ${key.asymmetricKeyType ?? 'unknown'}): openssl genpkey -algorithm ed25519`,
      );
    }
    return new AuditKeyring(key, retired);
  }
  if (settings.production) {
    throw new Error(
      'AUDIT_SIGNING_KEY is required in production: audit digests must be signed by a key kept by the deployment (openssl genpkey -algorithm ed25519)',
    );
  }
  const file = settings.developmentKeyFile;
  if (file && existsSync(file)) {
    const keyring = new AuditKeyring(createPrivateKey(readFileSync(file, 'utf8')), retired);
    settings.warn?.(
      `AUDIT_SIGNING_KEY is not set: signing audit digests with the development key in ${file} (key id ${keyring.keyId}; never in production)`,
    );
    return keyring;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const keyring = new AuditKeyring(privateKey, retired);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  settings.warn?.(
    `AUDIT_SIGNING_KEY is not set: signing audit digests with a new development key${file ? ` kept in ${file}` : ' for this process only'} (key id ${keyring.keyId}; never in production)`,
  );
  return keyring;
}

/** A PEM given inline, or read from the path given. */
function readPemSetting(value: string, setting: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new Error(
      `${setting} is neither a PEM nor a readable file: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Public keys from PEM blocks (public or private), or a JWKS document, inline or in a file. */
export function parseTrustedKeys(value: string): KeyObject[] {
  const text =
    value.includes('-----BEGIN') || value.trim().startsWith('{')
      ? value.replace(/\\n/g, '\n')
      : readPemSetting(value, 'AUDIT_TRUSTED_KEYS');
  try {
    if (text.trim().startsWith('{')) {
      const jwks = JSON.parse(text) as { keys?: unknown };
      if (!Array.isArray(jwks.keys)) throw new Error('a JWK Set has a "keys" array');
      return jwks.keys.map((jwk) =>
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      );
    }
    const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
    if (blocks.length === 0) throw new Error('no PEM block found');
    return blocks.map((block) => createPublicKey(block));
  } catch (error) {
    throw new Error(
      `AUDIT_TRUSTED_KEYS holds no usable keys: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
