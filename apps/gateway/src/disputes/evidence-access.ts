import { Injectable } from '@nestjs/common';
import type { Actor } from '@arbiter/auth';
import { DisputeReader } from '@arbiter/disputes/application';
import type { EvidenceAccessPolicy } from '../evidence/evidence-access.policy';

/**
 * The real upload rule: who may add evidence to the dispute now may upload a file for it, and
 * nobody else; uploads ask before a byte is stored. Downloads follow the dispute's view.
 */
@Injectable()
export class DisputePartyEvidenceAccessPolicy implements EvidenceAccessPolicy {
  constructor(private readonly reader: DisputeReader) {}

  authorizeUpload(actor: Actor, disputeId: string): Promise<void> {
    return this.reader.requireTakesEvidenceFrom(actor, disputeId);
  }

  async mayOpen(actor: Actor, disputeId: string, sha256: string): Promise<boolean> {
    // The view is already shaped for the actor: a redacted reference (platform, analysts) or a
    // dispute they may not see (null) never matches a real hash.
    const view = await this.reader.view(actor, disputeId);
    return view?.evidence.some((evidence) => evidence.file?.sha256 === sha256) ?? false;
  }
}
