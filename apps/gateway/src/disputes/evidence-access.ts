import { Injectable } from '@nestjs/common';
import type { Actor } from '@arbiter/auth';
import { DisputeReader } from '@arbiter/disputes/application';
import type { EvidenceAccessPolicy } from '../evidence/evidence-access.policy';

/**
 * The real upload rule: who may add evidence to the dispute now may upload a file for it, and
 * nobody else; uploads ask before a byte is stored.
 */
@Injectable()
export class DisputePartyEvidenceAccessPolicy implements EvidenceAccessPolicy {
  constructor(private readonly reader: DisputeReader) {}

  authorizeUpload(actor: Actor, disputeId: string): Promise<void> {
    return this.reader.requireTakesEvidenceFrom(actor, disputeId);
  }
}
