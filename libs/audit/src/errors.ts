/**
 * Why the audit log refuses a digest or refuses to sign one. Each code is stable: the gateway
 * answers with it (`extensions.code`) and the CLI prints it.
 */
export interface AuditErrorInfo {
  description: string;
  /** The HTTP status of an answer whose whole content is this refusal. */
  httpStatus: number;
}

export const AUDIT_ERRORS = {
  AUDIT_DIGEST_MALFORMED: {
    description:
      'The digest is not an audit digest of this format (a field is missing or has the wrong type).',
    httpStatus: 400,
  },
  AUDIT_DIGEST_UNKNOWN_KEY: {
    description:
      'The digest was signed by a key this deployment does not trust (not its signing key, nor one of `AUDIT_TRUSTED_KEYS`); when the deployment now signs with another key the message says the key changed.',
    httpStatus: 400,
  },
  AUDIT_DIGEST_SIGNATURE_INVALID: {
    description: 'The digest’s signature does not match its content: it was changed after signing.',
    httpStatus: 400,
  },
  AUDIT_DIGEST_BEYOND_LOG: {
    description:
      'The digest covers more than this log and its leaf record hold (another deployment’s digest, or both were cut short).',
    httpStatus: 400,
  },
  AUDIT_EPOCH_UNKNOWN: {
    description:
      'The digest names an epoch this deployment has no record of, or whose transition is not signed.',
    httpStatus: 400,
  },
  AUDIT_RECORD_ALTERED: {
    description:
      'The recorded leaves no longer yield the last signed root: the audit record was changed, so no new digest is signed.',
    httpStatus: 409,
  },
  AUDIT_PUBLISHER_BUSY: {
    description: 'Another process is publishing a digest right now.',
    httpStatus: 503,
  },
} as const satisfies Record<string, AuditErrorInfo>;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

export class AuditError extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
