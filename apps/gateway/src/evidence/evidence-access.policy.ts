import type { Actor } from '@arbiter/auth';

export const EVIDENCE_ACCESS_POLICY = Symbol('EVIDENCE_ACCESS_POLICY');

/**
 * May this actor attach a file to this dispute now? Bound to DisputePartyEvidenceAccessPolicy
 * (the decider's add-evidence rule: the dispute's own buyer or seller, while it takes evidence).
 * Refuses with the domain's codes, which the edge maps: an outsider gets the same FORBIDDEN
 * whether or not the dispute exists, so the upload endpoint reveals nothing about other people's
 * disputes; a party gets DISPUTE_CLOSED or DISPUTE_ALREADY_RESOLVED.
 */
export interface EvidenceAccessPolicy {
  authorizeUpload(actor: Actor, disputeId: string): Promise<void>;

  /**
   * May this actor open this file through this dispute? Only if the dispute as the actor sees it
   * (the domain's visibility rules) shows the file as evidence: its parties and staff, never
   * analysts, the platform only if its view kept the file's reference. False, never a distinct
   * refusal, for a dispute that does not exist or is not theirs: the caller answers alike.
   */
  mayOpen(actor: Actor, disputeId: string, sha256: string): Promise<boolean>;
}
