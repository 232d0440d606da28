import type { Actor } from '@arbiter/auth';

export const EVIDENCE_ACCESS_POLICY = Symbol('EVIDENCE_ACCESS_POLICY');

/**
 * May this actor attach a file to this dispute? Bound to DisputePartyEvidenceAccessPolicy (the
 * dispute's own buyer or seller). `false` is answered with FORBIDDEN whether or not the dispute
 * exists, so the upload endpoint reveals nothing about other people's disputes.
 */
export interface EvidenceAccessPolicy {
  mayAttachTo(actor: Actor, disputeId: string): Promise<boolean>;
}
