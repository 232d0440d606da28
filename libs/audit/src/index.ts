export { AuditLog } from './audit-log';
export type {
  AuditFinding,
  AuditLogOptions,
  AuditVerification,
  InclusionProof,
  PublishOptions,
} from './audit-log';
export {
  AUDIT_DIGEST_VERSION,
  checkDigestSignature,
  digestSigningInput,
  parseDigest,
  signDigest,
} from './digest';
export type { AuditDigest, EpochLink, UnsignedDigest } from './digest';
export { AUDIT_ERRORS, AuditError } from './errors';
export type { AuditErrorCode, AuditErrorInfo } from './errors';
export { AuditKeyring, jwkOf, keyIdOf, loadAuditKeyring, parseTrustedKeys } from './keys';
export type { AuditJwk, AuditJwks, AuditKeySettings } from './keys';
export { changedParts, leafBytes, leafHashOf, leafRecordOf } from './leaf';
export type { LeafPart, LeafRecord } from './leaf';
export {
  auditPath,
  leafHash,
  MerkleTree,
  merkleRoot,
  nodeHash,
  rootFromAuditPath,
  verifyAuditPath,
} from './merkle';
export { AUDIT_LOG, AuditModule, auditSettingsFrom } from './audit.module';
export type { AuditModuleOptions, AuditModuleAsyncOptions } from './audit.module';
export { runAuditCli } from './cli/audit';
export type { AuditCliContext } from './cli/audit';
