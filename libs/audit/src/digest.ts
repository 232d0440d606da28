import { sign, verify } from 'node:crypto';
import { canonicalJson } from '@arbiter/disputes/application/audit-chain';
import { AuditError } from './errors';
import type { AuditKeyring } from './keys';

/** The version of the digest and leaf formats described in libs/audit/README.md. */
export const AUDIT_DIGEST_VERSION = 1;

/** What a digest says of the epoch before it (the first digest of an epoch after a rewrite). */
export interface EpochLink {
  epoch: number;
  /** The closing digest's last position, event count and root. */
  position: string;
  count: number;
  root: string;
}

/**
 * A signed statement that the first `count` events of the log, up to global `position`, hash to
 * `root` (RFC 6962 Merkle tree over their leaf records, see leaf.ts). Positions are decimal
 * strings (bigints); `position` is "-1" when the log was empty.
 */
export interface AuditDigest {
  version: number;
  epoch: number;
  position: string;
  count: number;
  /** Lower-case hex. */
  root: string;
  /** ISO-8601 UTC instant. */
  createdAt: string;
  /** RFC 7638 thumbprint of the signing key (see the JWK Set at /.well-known/arbiter-audit-keys.json). */
  keyId: string;
  previousEpoch?: EpochLink;
  /** base64url Ed25519 signature over the canonical JSON of every other field. */
  signature: string;
}

export type UnsignedDigest = Omit<AuditDigest, 'signature'>;

/** The exact bytes signed: the canonical JSON of the digest without its signature. */
export function digestSigningInput(digest: UnsignedDigest | AuditDigest): Buffer {
  const { signature: _signature, ...unsigned } = digest as AuditDigest;
  return Buffer.from(canonicalJson(unsigned), 'utf8');
}

export function signDigest(unsigned: UnsignedDigest, keyring: AuditKeyring): AuditDigest {
  if (unsigned.keyId !== keyring.keyId) throw new Error('a digest names the key that signs it');
  const signature = sign(null, digestSigningInput(unsigned), keyring.privateKey).toString(
    'base64url',
  );
  return { ...unsigned, signature };
}

/**
 * Checks the signature with the trusted keys. Refuses with AUDIT_DIGEST_UNKNOWN_KEY (saying so
 * when this deployment now signs with another key) or AUDIT_DIGEST_SIGNATURE_INVALID.
 */
export function checkDigestSignature(digest: AuditDigest, keyring: AuditKeyring): void {
  const key = keyring.trustedKey(digest.keyId);
  if (!key) {
    throw new AuditError(
      'AUDIT_DIGEST_UNKNOWN_KEY',
      `The digest was signed by key ${digest.keyId}, which this deployment does not trust: the signing key changed (it now signs with ${keyring.keyId}) and the old key is not among AUDIT_TRUSTED_KEYS, or the digest is from another deployment.`,
    );
  }
  const signature = Buffer.from(digest.signature, 'base64url');
  if (!verify(null, digestSigningInput(digest), key, signature)) {
    throw new AuditError(
      'AUDIT_DIGEST_SIGNATURE_INVALID',
      `The digest's signature does not match its content (key ${digest.keyId}): it was changed after it was signed.`,
    );
  }
}

const DECIMAL = /^-?\d{1,20}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** A digest from outside (a file, a GraphQL input), checked field by field. */
export function parseDigest(value: unknown): AuditDigest {
  const refuse = (what: string): never => {
    throw new AuditError('AUDIT_DIGEST_MALFORMED', `Not an audit digest: ${what}.`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return refuse('expected a JSON object');
  const d = value as Record<string, unknown>;
  if (d.version !== AUDIT_DIGEST_VERSION) refuse(`version must be ${AUDIT_DIGEST_VERSION}`);
  const count = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      refuse(`${field} must be a whole number ≥ 0`);
  };
  const position = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !DECIMAL.test(v) || BigInt(v) < -1n)
      refuse(`${field} must be a decimal string`);
  };
  const root = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !HEX64.test(v))
      refuse(`${field} must be 64 lower-case hex digits`);
  };
  count('epoch', d.epoch);
  position('position', d.position);
  count('count', d.count);
  root('root', d.root);
  if (typeof d.createdAt !== 'string' || Number.isNaN(Date.parse(d.createdAt)))
    refuse('createdAt must be an ISO-8601 instant');
  if (typeof d.keyId !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(d.keyId))
    refuse('keyId must be a JWK thumbprint');
  if (typeof d.signature !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(d.signature))
    refuse('signature must be a base64url Ed25519 signature');
  const digest: AuditDigest = {
    version: d.version as number,
    epoch: d.epoch as number,
    position: d.position as string,
    count: d.count as number,
    root: d.root as string,
    createdAt: d.createdAt as string,
    keyId: d.keyId as string,
    signature: d.signature as string,
  };
  if (d.previousEpoch !== undefined && d.previousEpoch !== null) {
    const p = d.previousEpoch as Record<string, unknown>;
    if (typeof p !== 'object') refuse('previousEpoch must be an object');
    count('previousEpoch.epoch', p.epoch);
    position('previousEpoch.position', p.position);
    count('previousEpoch.count', p.count);
    root('previousEpoch.root', p.root);
    digest.previousEpoch = {
      epoch: p.epoch as number,
      position: p.position as string,
      count: p.count as number,
      root: p.root as string,
    };
  }
  const known = new Set([...Object.keys(digest), 'previousEpoch']);
  const extra = Object.keys(d).filter((key) => !known.has(key));
  if (extra.length) refuse(`unknown field ${extra.join(', ')}`);
  return digest;
}
