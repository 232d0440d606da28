import {
  type DisputeEvent,
  formatMoney,
  type Money,
  type Role,
  type Ruling,
} from '@arbiter/disputes/read-side';
import { oneLine, quoteText } from './quote-text';

/**
 * One event in plain words ("The seller proposed a partial refund of 30.00 EUR."), always one
 * line. It is given the event as the reader may see it (after `visibleEventFor`), so redacted text
 * stays redacted. The words come from the event's structured fields (roles, codes, amounts,
 * dates); whatever a person typed goes through `quoteText` only, so it cannot pass for them.
 */
export function describeEvent(event: DisputeEvent): string {
  const who = ACTOR_WORDS[event.data.by.role];
  switch (event.type) {
    case 'DisputeOpened':
      return `${who} opened a dispute (${words(event.data.reason)}), asking for ${solution(event.data.claim)}: ${quoteText(event.data.description)}.`;
    case 'SellerResponded': {
      const verb = {
        ACCEPTED: 'accepted the claim',
        COUNTERED: 'made a counter-proposal',
        REJECTED: 'rejected the claim',
      }[event.data.response];
      return `${who} ${verb}: ${quoteText(event.data.comment)}.`;
    }
    case 'ProposalSubmitted':
      return `${who} proposed ${solution(event.data.solution)}${event.data.replaces ? ', replacing an earlier proposal' : ''}.`;
    case 'ProposalWithdrawn':
      return `${who} withdrew the ${proposerWords(event.data.proposer)} proposal.`;
    case 'ProposalAccepted':
      return event.data.onBehalf
        ? `The ${proposerWords(event.data.proposer)} proposal was accepted on the ${event.data.acceptedBy}'s behalf: no response in time.`
        : `${who} accepted the ${proposerWords(event.data.proposer)} proposal.`;
    case 'DisputeResolved':
      return `The dispute was resolved by ${words(event.data.reachedBy)}: ${words(event.data.outcome)}${event.data.returnRequired ? ', with a return of the item' : ''}.`;
    case 'EvidenceAdded':
      return `${who} added evidence (${words(event.data.kind)}): ${quoteText(event.data.description)}${event.data.answersRequestId ? ', answering a request' : ''}.`;
    case 'MessagePosted':
      return `${who} wrote: ${quoteText(event.data.body)}.`;
    case 'DisputeEscalated': {
      const why = {
        BUYER: 'at the buyer’s request',
        SELLER: 'at the seller’s request',
        SELLER_SILENCE: 'because the seller did not respond',
        NEGOTIATION_TIMEOUT: 'because negotiation ran out of time',
        RETURN_NOT_DELIVERED: 'because the return was not recorded as delivered in time',
      }[event.data.trigger];
      return `The dispute was escalated to mediation ${why}.`;
    }
    case 'DisputeCancelled':
      return `${who} cancelled the dispute: ${quoteText(event.data.comment)}.`;
    case 'CaseTaken':
      return `${who} took the case${event.data.previousMediatorId ? ' over' : ''}.`;
    case 'EvidenceRequested':
      return `${who} asked the ${event.data.from} for evidence by ${day(event.data.dueAt)}: ${quoteText(event.data.prompt)}.`;
    case 'InternalNoteAdded':
      return `${who} added an internal note: ${quoteText(event.data.note)}.`;
    case 'DisputeDecided':
      return `${who} decided${event.data.stage === 'APPEAL' ? ' the appeal' : ''}: ${ruling(event.data.ruling)}${event.data.final ? ' (final)' : `, open to appeal until ${day(event.data.appealDueAt)}`}. ${quoteText(event.data.rationale)}`;
    case 'DecisionAccepted':
      return `${who} accepted the decision.`;
    case 'DecisionAppealed':
      return `${who} appealed the decision: ${quoteText(event.data.newInformation)}.`;
    case 'ReturnAddressProvided':
      return `${who} gave a return address; the item must be shipped back by ${day(event.data.shipDueAt)}.`;
    case 'ReturnShipped':
      return `${who} shipped the return with ${quoteText(event.data.carrier)} (tracking ${quoteText(event.data.trackingNumber)}).`;
    case 'ReturnDelivered':
      return `The carrier delivered the return; the seller must confirm its arrival by ${day(event.data.receiptDueAt)}.`;
    case 'ReturnReceived':
      return `${who} confirmed the return arrived.`;
    case 'ReturnConditionDisputed':
      return `${who} disputed the condition of the returned item: ${quoteText(event.data.statement)}.`;
    case 'ReplacementRequested':
      return `The seller must ship ${event.data.kind === 'RESEND' ? 'the item again' : 'a replacement'} by ${day(event.data.shipDueAt)}, or the buyer is refunded in full.`;
    case 'ReplacementShipped':
      return `${who} shipped the replacement with ${quoteText(event.data.carrier)} (tracking ${quoteText(event.data.trackingNumber)}); the buyer may report a problem until ${day(event.data.complaintDueAt)}.`;
    case 'ReplacementReceived':
      return `${who} confirmed the replacement arrived.`;
    case 'ReplacementProblemReported':
      return `${who} reported a problem with the replacement: ${quoteText(event.data.statement)}.`;
    case 'RefundReleased':
      return `A refund of ${amount(event.data.amount)} was released (${words(event.data.cause)}).`;
    case 'RefundMarkedSent':
      return `${who} marked the refund of ${amount(event.data.amount)} as sent.`;
    case 'RefundPaidOut':
      return `${who} paid out the refund of ${amount(event.data.amount)}.`;
    case 'DisputeClosed':
      return `The dispute closed: ${words(event.data.outcome)}${event.data.refunded ? `, ${amount(event.data.refunded)} refunded` : ''}.`;
    case 'DeadlinePassed':
      return `A deadline passed: ${words(event.data.kind)} (due ${day(event.data.dueAt)}).`;
    default:
      return unknownEvent(event);
  }
}

function unknownEvent(event: never): string {
  return `Event ${oneLine((event as { type: string }).type)}.`;
}

const ACTOR_WORDS: Readonly<Record<Role, string>> = {
  buyer: 'The buyer',
  seller: 'The seller',
  mediator: 'A mediator',
  senior_mediator: 'A senior mediator',
  platform: 'The platform',
  analyst: 'An analyst',
  system: 'The system',
};

const words = (code: string): string => code.toLowerCase().replace(/_/g, ' ');
const day = (instant: string | null): string => (instant ?? '').slice(0, 10);
const proposerWords = (proposer: string): string =>
  proposer === 'mediator' ? "mediator's" : `${proposer}'s`;

/** In the currency's own minor units (ISO 4217): JPY has none, KWD has three. */
export function amount(value: Money): string {
  return formatMoney(value);
}

function solution(value: Ruling): string {
  switch (value.kind) {
    case 'FULL_REFUND':
      return 'a full refund';
    case 'PARTIAL_REFUND':
      return `a partial refund of ${amount(value.amount)}`;
    case 'RETURN_AND_REFUND':
      return `a return and refund of ${amount(value.amount)} (return shipping paid by the ${value.returnShippingPaidBy})`;
    case 'REPLACEMENT':
      return 'a replacement';
    case 'RESEND':
      return 'resending the item';
    case 'SELLER_FAVOUR':
      return "the seller's favour";
  }
}

const ruling = (value: Ruling): string =>
  value.kind === 'SELLER_FAVOUR' ? "in the seller's favour" : solution(value);
