import { Injectable } from '@nestjs/common';
import type { Actor } from '@arbiter/auth';

export const EVIDENCE_ACCESS_POLICY = Symbol('EVIDENCE_ACCESS_POLICY');

/**
 * May this actor attach a file to this dispute? The command side binds the real rule (a party of
 * the dispute, or its mediator). `false` is answered with FORBIDDEN whether or not the dispute
 * exists, so the upload endpoint reveals nothing about other people's disputes.
 */
export interface EvidenceAccessPolicy {
  mayAttachTo(actor: Actor, disputeId: string): Promise<boolean>;
}

/**
 * Stand-in until the dispute read model exists: only roles that can ever add evidence may upload.
 * It does NOT check that the actor is a party of `disputeId`; the add-evidence command does.
 */
@Injectable()
export class RoleOnlyEvidenceAccessPolicy implements EvidenceAccessPolicy {
  private static readonly ROLES = new Set(['buyer', 'seller', 'mediator', 'senior_mediator']);

  async mayAttachTo(actor: Actor): Promise<boolean> {
    return RoleOnlyEvidenceAccessPolicy.ROLES.has(actor.role);
  }
}
