import type { Money } from './money';

/** The shared words of the dispute domain (docs/domain.md#roles and #lists). */

export const ROLES = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
  'analyst',
  'system',
] as const;
export type Role = (typeof ROLES)[number];
export type PartyRole = 'buyer' | 'seller';
export type StaffRole = 'mediator' | 'senior_mediator';

/** Who issues a command. Every command carries one; authorization is decided from it. */
export interface Actor {
  readonly id: string;
  readonly role: Role;
}

export const DISPUTE_REASONS = [
  'ITEM_NOT_RECEIVED',
  'NOT_AS_DESCRIBED',
  'QUALITY_ISSUE',
  'DAMAGED',
  'WRONG_ITEM',
  'MISSING_PARTS',
  'EMPTY_PACKAGE',
  'COUNTERFEIT',
  'OTHER',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

export type ReturnShippingPayer = 'buyer' | 'seller' | 'platform';

/** What a buyer, seller or mediator proposes. Refund amounts are in the order's currency. */
export type Solution =
  | { readonly kind: 'FULL_REFUND' }
  | { readonly kind: 'PARTIAL_REFUND'; readonly amount: Money }
  | {
      readonly kind: 'RETURN_AND_REFUND';
      readonly amount: Money;
      readonly returnShippingPaidBy: ReturnShippingPayer;
    }
  | { readonly kind: 'REPLACEMENT' }
  | { readonly kind: 'RESEND' };
export type SolutionKind = Solution['kind'];

/** What a mediator may decide: any solution, or the claim is rejected in the seller's favour. */
export type Ruling = Solution | { readonly kind: 'SELLER_FAVOUR' };

export const OUTCOMES = [
  'BUYER_FULL_REFUND',
  'BUYER_PARTIAL_REFUND',
  'REPLACEMENT',
  'RESEND',
  'SELLER_FAVOUR',
  'CANCELLED_BY_BUYER',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How an outcome was reached: seller metrics count MEDIATION, APPEAL and the timeouts. */
export const REACHED_BY = [
  'AGREEMENT',
  'SELLER_TIMEOUT',
  'MEDIATION',
  'APPEAL',
  'BUYER_CANCEL',
  'RETURN_TIMEOUT',
] as const;
export type ReachedBy = (typeof REACHED_BY)[number];

export const EVIDENCE_KINDS = ['PHOTO', 'VIDEO', 'DOCUMENT', 'TRACKING', 'TEXT'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** A file kept by the blob store; the domain only keeps its fingerprint. */
export interface StoredFile {
  readonly sha256: string;
  readonly mediaType: string;
  readonly sizeBytes: number;
}

/** Evidence is either free text or a stored file (exactly one). */
export type EvidenceContent =
  | { readonly text: string; readonly file?: undefined }
  | { readonly file: StoredFile; readonly text?: undefined };

export interface ReturnAddress {
  readonly name: string;
  readonly lines: readonly string[];
  readonly postalCode: string;
  readonly country: string;
}

export const disputeStreamId = (disputeId: string): string => `dispute-${disputeId}`;
export const orderStreamId = (orderId: string): string => `order-${orderId}`;

/**
 * Carried by every command: who acts and when. The handler fills `now` from its clock; the
 * optional ids are passed through to the events' metadata by the application layer.
 */
export interface CommandMetadata {
  readonly actor: Actor;
  /** ISO-8601 UTC instant. */
  readonly now: string;
  readonly commandId?: string;
  readonly correlationId?: string;
}
