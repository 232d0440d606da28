import {
  type Actor,
  type DisputeEvent,
  formatMoney,
  type Money,
  type PartyRole,
  type Role,
  type Ruling,
} from '@arbiter/disputes/read-side';
import { oneLine, quoteText } from './quote-text';

/** Who reads a timeline: their own actions, and their side of the dispute, read "you". */
export interface TimelineReader {
  role: Role;
  id: string;
}

/**
 * One event in plain words ("The seller proposed a partial refund of 30.00 EUR."), always one
 * line. It is given the event as the reader may see it (after `visibleEventFor`), so redacted text
 * stays redacted. The words come from the event's structured fields (roles, codes, amounts,
 * dates); whatever a person typed goes through `quoteText` only, so it cannot pass for them.
 *
 * A summary speaks to its reader: what the reader did reads "You …" (the actor is the reader: same
 * role, same id), and a party reads its own side as "you" wherever the other words name it ("the
 * seller must ship …" is "You must ship …" to the seller). Without a reader (or for a reader who
 * never acts, like an analyst) everything is in the third person.
 */
export function describeEvent(event: DisputeEvent, reader: TimelineReader | null = null): string {
  const w = wordsFor(reader);
  const who = w.actor(event.data.by);
  switch (event.type) {
    case 'DisputeOpened':
      return `${who} opened a dispute (${words(event.data.reason)}), asking for ${solution(w, event.data.claim)}: ${quoteText(event.data.description)}.`;
    case 'SellerResponded': {
      const verb = {
        ACCEPTED: 'accepted the claim',
        COUNTERED: 'made a counter-proposal',
        REJECTED: 'rejected the claim',
      }[event.data.response];
      return `${who} ${verb}: ${quoteText(event.data.comment)}.`;
    }
    case 'ProposalSubmitted':
      return `${who} proposed ${solution(w, event.data.solution)}${event.data.replaces ? ', replacing an earlier proposal' : ''}.`;
    case 'ProposalWithdrawn':
      return `${who} withdrew ${w.proposal(event.data.proposer, event.data.by)}.`;
    case 'ProposalAccepted':
      return event.data.onBehalf
        ? `${capitalised(w.proposal(event.data.proposer))} was accepted on ${w.possessive(event.data.acceptedBy)} behalf: no response in time.`
        : `${who} accepted ${w.proposal(event.data.proposer)}.`;
    case 'DisputeResolved':
      return `The dispute was resolved by ${words(event.data.reachedBy)}: ${words(event.data.outcome)}${event.data.returnRequired ? ', with a return of the item' : ''}.`;
    case 'EvidenceAdded':
      return `${who} added evidence (${words(event.data.kind)}): ${quoteText(event.data.description)}${event.data.answersRequestId ? ', answering a request' : ''}.`;
    case 'MessagePosted':
      return `${who} wrote: ${quoteText(event.data.body)}.`;
    case 'DisputeEscalated': {
      const why = {
        BUYER: `at ${w.possessive('buyer', '’')} request`,
        SELLER: `at ${w.possessive('seller', '’')} request`,
        SELLER_SILENCE: `because ${w.party('seller')} did not respond`,
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
      return `${who} asked ${w.party(event.data.from)} for evidence by ${day(event.data.dueAt)}: ${quoteText(event.data.prompt)}.`;
    case 'InternalNoteAdded':
      return `${who} added an internal note: ${quoteText(event.data.note)}.`;
    case 'DisputeDecided':
      return `${who} decided${event.data.stage === 'APPEAL' ? ' the appeal' : ''}: ${ruling(w, event.data.ruling)}${event.data.final ? ' (final)' : `, open to appeal until ${day(event.data.appealDueAt)}`}. ${quoteText(event.data.rationale)}.`;
    case 'DecisionAccepted':
      return `${who} accepted the decision.`;
    case 'DecisionAppealed':
      return `${who} appealed the decision: ${quoteText(event.data.newInformation)}.`;
    case 'ReturnAddressProvided':
      return `${who} gave a return address; the item must be shipped back by ${day(event.data.shipDueAt)}.`;
    case 'ReturnShipped':
      return `${who} shipped the return with ${quoteText(event.data.carrier)} (tracking ${quoteText(event.data.trackingNumber)}).`;
    case 'ReturnDelivered':
      return `The carrier delivered the return; ${w.party('seller')} must confirm its arrival by ${day(event.data.receiptDueAt)}.`;
    case 'ReturnReceived':
      return `${who} confirmed the return arrived.`;
    case 'ReturnConditionDisputed':
      return `${who} disputed the condition of the returned item: ${quoteText(event.data.statement)}.`;
    case 'ReplacementRequested':
      return `${capitalised(w.party('seller'))} must ship ${event.data.kind === 'RESEND' ? 'the item again' : 'a replacement'} by ${day(event.data.shipDueAt)}, or ${w.party('buyer')} ${w.is('buyer')} refunded in full.`;
    case 'ReplacementShipped':
      return `${who} shipped the replacement with ${quoteText(event.data.carrier)} (tracking ${quoteText(event.data.trackingNumber)}); ${w.party('buyer')} may report a problem until ${day(event.data.complaintDueAt)}.`;
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

/** How a summary names people for one reader. */
interface ReaderWords {
  /** Who acted, at the start of a sentence: "You" when the reader did. */
  actor(by: Actor): string;
  /** A party (or the platform paying for a return) mid-sentence: "you" to that party. */
  party(role: PartyRole | 'platform'): string;
  /** "the seller's", or "your" to the seller (`mark`: the apostrophe the sentence uses). */
  possessive(role: PartyRole | 'platform', mark?: string): string;
  /**
   * A proposal by its proposer: "the seller's proposal", "your proposal", "the mediator's
   * proposal" (any mediator's: the proposer is a role); "their proposal" when the party who
   * proposed it is the one acting (`by`) and not the reader.
   */
  proposal(proposer: PartyRole | 'mediator', by?: Actor): string;
  /** "is", or "are" after "you". */
  is(role: PartyRole): string;
}

function wordsFor(reader: TimelineReader | null): ReaderWords {
  const isReader = (role: Role) => reader !== null && reader.role === role;
  const named: ReaderWords = {
    actor: (by) => (isReader(by.role) && by.id === reader?.id ? 'You' : ACTOR_WORDS[by.role]),
    party: (role) => (isReader(role) ? 'you' : `the ${role}`),
    possessive: (role, mark = "'") => (isReader(role) ? 'your' : `the ${role}${mark}s`),
    proposal: (proposer, by) => {
      if (proposer === 'mediator') return "the mediator's proposal";
      if (by?.role === proposer && !isReader(proposer)) return 'their proposal';
      return `${named.possessive(proposer)} proposal`;
    },
    is: (role) => (isReader(role) ? 'are' : 'is'),
  };
  return named;
}

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const words = (code: string): string => code.toLowerCase().replace(/_/g, ' ');
const day = (instant: string | null): string => (instant ?? '').slice(0, 10);

/** In the currency's own minor units (ISO 4217): JPY has none, KWD has three. */
export function amount(value: Money): string {
  return formatMoney(value);
}

function solution(w: ReaderWords, value: Ruling): string {
  switch (value.kind) {
    case 'FULL_REFUND':
      return 'a full refund';
    case 'PARTIAL_REFUND':
      return `a partial refund of ${amount(value.amount)}`;
    case 'RETURN_AND_REFUND':
      return `a return and refund of ${amount(value.amount)} (return shipping paid by ${w.party(value.returnShippingPaidBy)})`;
    case 'REPLACEMENT':
      return 'a replacement';
    case 'RESEND':
      return 'resending the item';
    case 'SELLER_FAVOUR':
      return `${w.possessive('seller')} favour`;
  }
}

const ruling = (w: ReaderWords, value: Ruling): string =>
  value.kind === 'SELLER_FAVOUR' ? `in ${w.possessive('seller')} favour` : solution(w, value);
