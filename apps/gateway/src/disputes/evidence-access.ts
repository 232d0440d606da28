import { Injectable } from '@nestjs/common';
import type { Actor } from '@arbiter/auth';
import { DisputeReader } from '@arbiter/disputes/application';
import type { EvidenceAccessPolicy } from '../evidence/evidence-access.policy';

/**
 * The real upload rule: only the dispute's own buyer or seller may attach a file to it (they are
 * the ones who may add evidence). Anyone else, and any unknown dispute, gets `false` alike.
 */
@Injectable()
export class DisputePartyEvidenceAccessPolicy implements EvidenceAccessPolicy {
  constructor(private readonly reader: DisputeReader) {}

  mayAttachTo(actor: Actor, disputeId: string): Promise<boolean> {
    return this.reader.isPartyOf(actor, disputeId);
  }
}
