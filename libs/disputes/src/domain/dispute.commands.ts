import type { Money } from './money';
import type { OrderFacts } from './order';
import type { Instant } from './time';
import {
  type CommandMetadata,
  type DisputeReason,
  type DeadlineKind,
  type EvidenceContent,
  type EvidenceKind,
  exhaustiveList,
  type PartyRole,
  type ReturnAddress,
  type Ruling,
  type Solution,
} from './vocabulary';

/**
 * Dispute commands. `metadata.actor` and `metadata.now` are required on every one: the decider
 * authorizes from the actor and dates events with `now`. Every id a command creates (dispute,
 * proposal, evidence, message, request, note, decision, appeal) is chosen by the caller, so a
 * retried command produces the same events.
 */

type DisputeCommandOf<T extends string, D> = {
  readonly type: T;
  readonly data: D;
  readonly metadata: CommandMetadata;
};

/**
 * Buyer. `order` is looked up by the handler (see `orderFacts` in order.ts); its
 * `previousDispute` carries what the one-dispute-per-order and reopen rules need.
 */
export type OpenDispute = DisputeCommandOf<
  'OpenDispute',
  {
    disputeId: string;
    proposalId: string;
    reason: DisputeReason;
    description: string;
    claim: Solution;
    order: OrderFacts;
  }
>;
/** Seller, while the dispute awaits their response. */
export type RespondToDispute = DisputeCommandOf<
  'RespondToDispute',
  /** `proposalId`: the buyer claim the seller saw; refused if the buyer has replaced it since. */
  | { response: 'ACCEPT'; comment: string; proposalId: string }
  | { response: 'REJECT'; comment: string }
  | { response: 'COUNTER'; comment: string; proposalId: string; solution: Solution }
>;
export type SellerResponse = RespondToDispute['data']['response'];
export const SELLER_RESPONSES = exhaustiveList<SellerResponse>()(['ACCEPT', 'REJECT', 'COUNTER']);
/** Buyer, seller, or the assigned mediator (a platform solution). Replaces the proposer's own. */
export type SubmitProposal = DisputeCommandOf<
  'SubmitProposal',
  { proposalId: string; solution: Solution }
>;
export type WithdrawProposal = DisputeCommandOf<'WithdrawProposal', { proposalId: string }>;
/** A party accepts the other party's or the mediator's current proposal. */
export type AcceptProposal = DisputeCommandOf<'AcceptProposal', { proposalId: string }>;
export type AddEvidence = DisputeCommandOf<
  'AddEvidence',
  {
    evidenceId: string;
    kind: EvidenceKind;
    /**
     * Text, or a file as the caller's uploads to this dispute know it. `file: null`: the caller
     * named a file none of their uploads to this dispute has; refused (EVIDENCE_FILE_NOT_FOUND)
     * only after the caller is known to be allowed to add evidence here.
     */
    content: EvidenceContent | { readonly file: null; readonly text?: undefined };
    description: string;
    /** Set when the evidence answers a mediator's request addressed to this party. */
    answersRequestId?: string | null;
  }
>;
export type PostMessage = DisputeCommandOf<'PostMessage', { messageId: string; body: string }>;
export type EscalateDispute = DisputeCommandOf<'EscalateDispute', Record<never, never>>;
export type CancelDispute = DisputeCommandOf<'CancelDispute', { comment: string }>;
export type TakeCase = DisputeCommandOf<'TakeCase', Record<never, never>>;
export type RequestEvidence = DisputeCommandOf<
  'RequestEvidence',
  { requestId: string; from: PartyRole; prompt: string }
>;
export type AddInternalNote = DisputeCommandOf<'AddInternalNote', { noteId: string; note: string }>;
export type DecideDispute = DisputeCommandOf<
  'DecideDispute',
  { decisionId: string; ruling: Ruling; rationale: string }
>;
export type AcceptDecision = DisputeCommandOf<'AcceptDecision', { decisionId: string }>;
export type AppealDecision = DisputeCommandOf<
  'AppealDecision',
  { appealId: string; decisionId: string; newInformation: string }
>;
/** Senior mediator only, on a case in appeal they have taken. */
export type DecideAppeal = DisputeCommandOf<
  'DecideAppeal',
  { decisionId: string; ruling: Ruling; rationale: string }
>;
export type ProvideReturnAddress = DisputeCommandOf<
  'ProvideReturnAddress',
  { address: ReturnAddress }
>;
export type ShipReturn = DisputeCommandOf<
  'ShipReturn',
  { carrier: string; trackingNumber: string }
>;
/** Platform: the carrier reports the return delivered; the seller's receipt deadline restarts. */
export type RecordReturnDelivery = DisputeCommandOf<'RecordReturnDelivery', Record<never, never>>;
export type ConfirmReturnReceived = DisputeCommandOf<'ConfirmReturnReceived', Record<never, never>>;
/** Seller: the returned item is not in the agreed condition; the case goes (back) to mediation. */
export type DisputeReturnCondition = DisputeCommandOf<
  'DisputeReturnCondition',
  { statement: string }
>;
/** Seller: the replacement or resend of a REPLACEMENT / RESEND outcome is on its way. */
export type ShipReplacement = DisputeCommandOf<
  'ShipReplacement',
  { carrier: string; trackingNumber: string }
>;
/** Buyer: the replacement arrived as agreed; the dispute closes. */
export type ConfirmReplacementReceived = DisputeCommandOf<
  'ConfirmReplacementReceived',
  Record<never, never>
>;
/** Buyer: the replacement did not arrive or is not as agreed; the case goes back to mediation. */
export type ReportReplacementProblem = DisputeCommandOf<
  'ReportReplacementProblem',
  { statement: string }
>;
/**
 * Seller: they sent the refund due themselves (`reference`: their transfer's). Records it; the
 * refund stays pending until the platform confirms the payout.
 */
export type MarkRefundSent = DisputeCommandOf<
  'MarkRefundSent',
  { amount: Money; reference: string }
>;
/** Platform: the refund was paid out; `amount` must equal the refund due. */
export type ConfirmRefundPayout = DisputeCommandOf<
  'ConfirmRefundPayout',
  { payoutReference: string; amount: Money }
>;
/**
 * System: a deadline passed. Idempotent: it does nothing unless a deadline of this kind (and
 * request) is still armed with exactly this `dueAt` — see `pendingDeadlines` in deadlines.ts.
 */
export type FireDeadline = DisputeCommandOf<
  'FireDeadline',
  { kind: DeadlineKind; dueAt: Instant; requestId?: string | null }
>;

export type DisputeCommand =
  | OpenDispute
  | RespondToDispute
  | SubmitProposal
  | WithdrawProposal
  | AcceptProposal
  | AddEvidence
  | PostMessage
  | EscalateDispute
  | CancelDispute
  | TakeCase
  | RequestEvidence
  | AddInternalNote
  | DecideDispute
  | AcceptDecision
  | AppealDecision
  | DecideAppeal
  | ProvideReturnAddress
  | ShipReturn
  | RecordReturnDelivery
  | ConfirmReturnReceived
  | DisputeReturnCondition
  | ShipReplacement
  | ConfirmReplacementReceived
  | ReportReplacementProblem
  | MarkRefundSent
  | ConfirmRefundPayout
  | FireDeadline;
export type DisputeCommandType = DisputeCommand['type'];
