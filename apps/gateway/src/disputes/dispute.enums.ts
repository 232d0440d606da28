import {
  DEADLINE_CONSEQUENCES,
  DEADLINE_KINDS,
  DECISION_STAGES,
  DISPUTE_REASONS,
  DISPUTE_STATUSES,
  EVIDENCE_KINDS,
  EVIDENCE_REQUEST_STATUSES,
  EXPECTED_ACTION_KINDS,
  EXPECTED_ACTORS,
  OUTCOMES,
  PARTY_ROLES,
  PROPOSERS,
  REACHED_BY,
  RETURN_SHIPPING_PAYERS,
  RULING_KINDS,
  SOLUTION_KINDS,
} from '@arbiter/disputes';
import { domainEnum } from '../graphql/domain-enum';

/**
 * The GraphQL enums of the dispute types, one per domain list (libs/disputes/src/domain/vocabulary.ts).
 * Each value's type is the domain's own union (`keyof typeof DisputeStatus` is `DisputeStatus`).
 */

export const DisputeStatus = domainEnum(
  DISPUTE_STATUSES,
  'DisputeStatus',
  'Where a dispute is in its life cycle.',
  {
    AWAITING_SELLER: 'Opened; the seller has not responded yet.',
    NEGOTIATING: 'Buyer and seller exchange proposals, evidence and messages.',
    IN_MEDIATION: 'Escalated to a mediator.',
    DECIDED: 'A mediator decided; the appeal window is open.',
    IN_APPEAL: 'A party appealed; a senior mediator decides.',
    RETURN_REQUESTED: 'The item goes back: waiting for the seller to give a return address.',
    RETURN_AWAITING_SHIPMENT: 'Waiting for the buyer to ship the return.',
    RETURN_IN_TRANSIT: 'The return is on its way; the seller confirms its arrival.',
    REPLACEMENT_AWAITING_SHIPMENT:
      'A replacement or resend was agreed or decided: waiting for the seller to ship it (else the buyer is refunded in full).',
    REPLACEMENT_IN_TRANSIT:
      'The replacement is on its way; the buyer confirms it arrived or reports a problem before the complaint window ends.',
    REFUND_PENDING: 'A refund is due; waiting for the platform to confirm the payout.',
    CLOSED: 'Resolved; see the outcome.',
    CANCELLED: 'The buyer cancelled the dispute.',
  },
);

export const DisputeReason = domainEnum(
  DISPUTE_REASONS,
  'DisputeReason',
  'Why the buyer opened the dispute.',
  {
    ITEM_NOT_RECEIVED: 'The item never arrived.',
    NOT_AS_DESCRIBED: 'The item differs from its description.',
    QUALITY_ISSUE: 'The item is of poor quality or does not work.',
    DAMAGED: 'The item arrived damaged.',
    WRONG_ITEM: 'Another item was sent.',
    MISSING_PARTS: 'Parts or accessories are missing.',
    EMPTY_PACKAGE: 'The package arrived empty.',
    COUNTERFEIT: 'The item is a counterfeit.',
    OTHER: 'Any other reason (see the description).',
  },
);

export const SolutionKind = domainEnum(
  SOLUTION_KINDS,
  'SolutionKind',
  'What a buyer, seller or mediator proposes.',
  {
    FULL_REFUND: 'Refund what is left of the order total.',
    PARTIAL_REFUND: 'Refund `amount`; the buyer keeps the item.',
    RETURN_AND_REFUND: 'The buyer returns the item and is refunded `amount`.',
    REPLACEMENT: 'The seller sends a replacement.',
    RESEND: 'The seller sends the item again.',
  },
);

export const RulingKind = domainEnum(
  RULING_KINDS,
  'RulingKind',
  'A solution, or (mediators only) the claim rejected in the seller’s favour.',
  {
    FULL_REFUND: 'Refund what is left of the order total.',
    PARTIAL_REFUND: 'Refund `amount`; the buyer keeps the item.',
    RETURN_AND_REFUND: 'The buyer returns the item and is refunded `amount`.',
    REPLACEMENT: 'The seller sends a replacement.',
    RESEND: 'The seller sends the item again.',
    SELLER_FAVOUR: 'The claim is rejected; the payment goes to the seller.',
  },
);

export const ReturnShippingPayer = domainEnum(
  RETURN_SHIPPING_PAYERS,
  'ReturnShippingPayer',
  'Who pays the return shipping.',
  { buyer: 'The buyer pays.', seller: 'The seller pays.', platform: 'The marketplace pays.' },
);

export const Proposer = domainEnum(PROPOSERS, 'Proposer', 'Who made a proposal.', {
  buyer: 'The buyer.',
  seller: 'The seller.',
  mediator: 'The mediator (a platform solution).',
});

export const PartyRole = domainEnum(
  PARTY_ROLES,
  'PartyRole',
  'One of the two parties of an order.',
  {
    buyer: 'The buyer.',
    seller: 'The seller.',
  },
);

export const EvidenceKind = domainEnum(
  EVIDENCE_KINDS,
  'EvidenceKind',
  'What a piece of evidence is.',
  {
    PHOTO: 'An uploaded photo.',
    VIDEO: 'An uploaded video.',
    DOCUMENT: 'An uploaded document (PDF, text).',
    TRACKING: 'Carrier tracking, as text or a file.',
    TEXT: 'A written statement.',
  },
);

export const EvidenceRequestStatus = domainEnum(
  EVIDENCE_REQUEST_STATUSES,
  'EvidenceRequestStatus',
  'Where a mediator’s request for evidence stands.',
  {
    OPEN: 'Waiting for the party.',
    ANSWERED: 'The party answered it.',
    LAPSED: 'Its deadline passed unanswered.',
  },
);

export const DecisionStage = domainEnum(DECISION_STAGES, 'DecisionStage', 'Which decision it is.', {
  MEDIATION: 'The mediator’s decision.',
  APPEAL: 'The senior mediator’s decision on an appeal (final).',
});

export const Outcome = domainEnum(OUTCOMES, 'Outcome', 'How a dispute ended.', {
  BUYER_FULL_REFUND: 'The buyer was refunded in full.',
  BUYER_PARTIAL_REFUND: 'The buyer was refunded in part.',
  REPLACEMENT: 'The seller replaces the item.',
  RESEND: 'The seller sends the item again.',
  SELLER_FAVOUR: 'The claim was rejected.',
  CANCELLED_BY_BUYER: 'The buyer cancelled.',
});

export const ReachedBy = domainEnum(REACHED_BY, 'ReachedBy', 'Who or what reached the outcome.', {
  AGREEMENT: 'The parties agreed.',
  SELLER_TIMEOUT: 'The seller did not respond in time.',
  MEDIATION: 'A mediator decided.',
  APPEAL: 'A senior mediator decided an appeal.',
  BUYER_CANCEL: 'The buyer cancelled.',
  RETURN_TIMEOUT: 'A return deadline passed.',
});

export const DeadlineKind = domainEnum(
  DEADLINE_KINDS,
  'DeadlineKind',
  'A deadline: the current phase’s, or an evidence request’s.',
  {
    SELLER_RESPONSE: 'The seller must respond.',
    NEGOTIATION: 'The negotiation escalates by itself.',
    APPEAL_WINDOW: 'The decision becomes final.',
    RETURN_ADDRESS: 'The seller must give a return address.',
    RETURN_SHIPMENT: 'The buyer must ship the return.',
    RETURN_DELIVERY:
      'The platform must record the return’s delivery; if it does not, the case goes to a mediator.',
    RETURN_RECEIPT: 'The seller must confirm the return arrived.',
    REPLACEMENT_SHIPMENT: 'The seller must ship the replacement or resend.',
    REPLACEMENT_COMPLAINT: 'The buyer may report a problem with the replacement until then.',
    EVIDENCE_REQUEST: 'The party asked must answer the mediator’s evidence request.',
  },
);

export const ExpectedAction = domainEnum(
  EXPECTED_ACTION_KINDS,
  'ExpectedAction',
  'What someone is expected to do next (see `NextAction.actor` for whom).',
  {
    RESPOND_TO_DISPUTE: 'Accept, reject or counter the buyer’s claim.',
    NEGOTIATE: 'Propose, add evidence, message, or escalate.',
    ANSWER_PROPOSAL: 'Accept the other side’s (or the mediator’s) proposal, or counter it.',
    TAKE_CASE: 'Take the escalated case (any mediator or senior mediator, while nobody holds it).',
    ANSWER_EVIDENCE_REQUEST: 'Add the evidence the mediator asked for.',
    DECIDE:
      'Decide the case (the mediator holding it). Not expected while an evidence request is open: a decision is refused then (EVIDENCE_REQUEST_PENDING), and the case waits for the party’s ANSWER_EVIDENCE_REQUEST or its deadline; the mediator may still message, add notes, propose or ask for more.',
    ACCEPT_OR_APPEAL_DECISION: 'Accept the decision or appeal it.',
    TAKE_APPEAL:
      'Take the appeal (any senior mediator but the one whose decision is appealed, while nobody holds it).',
    DECIDE_APPEAL:
      'Decide the appeal (the senior mediator holding it). Like DECIDE, not expected while an evidence request is open.',
    PROVIDE_RETURN_ADDRESS: 'Give the return address.',
    SHIP_RETURN: 'Ship the return and give its tracking.',
    RECORD_RETURN_DELIVERY:
      'Record that the carrier delivered the return (starts the seller’s receipt deadline).',
    CONFIRM_RETURN_RECEIVED: 'Confirm the return arrived (or dispute its condition).',
    CONFIRM_REFUND_PAYOUT: 'Confirm the refund was paid out.',
    SHIP_REPLACEMENT: 'Ship the replacement (or resend the item) and give its tracking.',
    CONFIRM_REPLACEMENT_RECEIVED: 'Confirm the replacement arrived as agreed.',
    REPORT_REPLACEMENT_PROBLEM:
      'Report that the replacement did not arrive or is not as agreed (back to mediation).',
  },
);

export const ExpectedActor = domainEnum(
  EXPECTED_ACTORS,
  'ExpectedActor',
  'Who is expected to act next on a dispute.',
  {
    buyer: 'The order’s buyer.',
    seller: 'The order’s seller.',
    mediator: 'A mediator (a senior mediator may act in their place).',
    senior_mediator: 'A senior mediator (appeals).',
    platform: 'The marketplace’s order system (records a return’s delivery, pays refunds out).',
  },
);

export const DeadlineConsequence = domainEnum(
  DEADLINE_CONSEQUENCES,
  'DeadlineConsequence',
  'What happens by itself when a deadline passes.',
  {
    BUYER_PROPOSAL_ACCEPTED: 'The buyer’s proposal is accepted on the seller’s behalf.',
    ESCALATED_TO_MEDIATION: 'The dispute goes to a mediator.',
    EVIDENCE_REQUEST_LAPSES: 'The request lapses; the mediator may decide without it.',
    DECISION_BECOMES_FINAL: 'The decision becomes final.',
    REFUND_WITHOUT_RETURN: 'The buyer is refunded without returning the item.',
    CLOSED_IN_SELLER_FAVOUR: 'The dispute closes in the seller’s favour.',
    REFUND_RELEASED: 'The refund is released.',
    REFUND_INSTEAD_OF_REPLACEMENT:
      'The seller did not ship the replacement: the buyer is refunded in full instead.',
    REPLACEMENT_DEEMED_RECEIVED:
      'No problem was reported: the replacement counts as received and the dispute closes.',
  },
);
