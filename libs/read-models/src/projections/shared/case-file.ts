import type {
  Actor,
  DisputeEvent,
  EscalationTrigger,
  EvidenceContent,
  EvidenceKind,
  Money,
  PartyRole,
  Proposer,
  ReturnAddress,
  Ruling,
  Solution,
} from '@arbiter/disputes';

/**
 * What a view shows of a dispute beyond its state: the words and documents of the case, folded
 * from the events an audience may see (the caller filters them through `visibleEventFor` first,
 * so a party's file never holds an internal note or a staff id). Plain JSON: it is stored as is.
 */
export interface CaseFile {
  description: string;
  sellerResponse: {
    response: 'ACCEPTED' | 'COUNTERED' | 'REJECTED';
    comment: string;
    at: string;
  } | null;
  /** Every proposal ever made, oldest first; the current ones are in the state. */
  proposals: ProposalEntry[];
  messages: { messageId: string; by: Actor; body: string; at: string }[];
  evidence: EvidenceEntry[];
  evidenceRequests: EvidenceRequestEntry[];
  /** Staff files only: parties and analysts never receive InternalNoteAdded. */
  internalNotes: { noteId: string; by: Actor; note: string; at: string }[];
  decisions: DecisionEntry[];
  appeals: {
    appealId: string;
    decisionId: string;
    appellant: PartyRole;
    newInformation: string;
    at: string;
  }[];
  escalation: { trigger: EscalationTrigger; at: string } | null;
  /** When the case last entered the mediators' queue (escalation, appeal, disputed return). */
  queuedAt: string | null;
  returnShipment: ReturnShipmentEntry | null;
  /** The follow-through of a REPLACEMENT or RESEND outcome (absent from files stored before it). */
  replacement?: ReplacementEntry | null;
  refund: {
    released: Money | null;
    releasedAt: string | null;
    /** When the seller marked it sent (the platform's payout still confirms it). */
    markedSentAt?: string | null;
    paidOut: Money | null;
    payoutReference: string | null;
    paidAt: string | null;
  };
  cancellation: { comment: string; at: string } | null;
}

export interface ProposalEntry {
  proposalId: string;
  proposer: Proposer;
  solution: Solution;
  at: string;
  withdrawnAt: string | null;
  acceptedBy: PartyRole[];
}

export interface EvidenceEntry {
  evidenceId: string;
  submittedBy: PartyRole;
  kind: EvidenceKind;
  content: EvidenceContent;
  description: string;
  answersRequestId: string | null;
  at: string;
}

export interface EvidenceRequestEntry {
  requestId: string;
  from: PartyRole;
  prompt: string;
  requestedBy: Actor;
  requestedAt: string;
  dueAt: string;
  status: 'OPEN' | 'ANSWERED' | 'LAPSED';
}

export interface DecisionEntry {
  decisionId: string;
  stage: 'MEDIATION' | 'APPEAL';
  ruling: Ruling;
  rationale: string;
  final: boolean;
  appealDueAt: string | null;
  by: Actor;
  at: string;
  acceptedBy: PartyRole[];
}

export interface ReturnShipmentEntry {
  address: ReturnAddress | null;
  addressGivenAt: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  receivedAt: string | null;
  conditionDisputed: { statement: string; at: string } | null;
}

export interface ReplacementEntry {
  kind: 'REPLACEMENT' | 'RESEND';
  shipDueAt: string;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: string | null;
  complaintDueAt: string | null;
  receivedAt: string | null;
  problemReported: { statement: string; at: string } | null;
}

export function emptyCaseFile(): CaseFile {
  return {
    description: '',
    sellerResponse: null,
    proposals: [],
    messages: [],
    evidence: [],
    evidenceRequests: [],
    internalNotes: [],
    decisions: [],
    appeals: [],
    escalation: null,
    queuedAt: null,
    returnShipment: null,
    replacement: null,
    refund: {
      released: null,
      releasedAt: null,
      paidOut: null,
      payoutReference: null,
      paidAt: null,
    },
    cancellation: null,
  };
}

const emptyReturn = (): ReturnShipmentEntry => ({
  address: null,
  addressGivenAt: null,
  carrier: null,
  trackingNumber: null,
  shippedAt: null,
  deliveredAt: null,
  receivedAt: null,
  conditionDisputed: null,
});

/** The file after `event` (already filtered for the audience). Never mutates `file`. */
export function foldCaseFile(file: CaseFile, event: DisputeEvent): CaseFile {
  const { at } = event.data;
  switch (event.type) {
    case 'DisputeOpened': {
      const { description, proposalId, claim } = event.data;
      const opening: ProposalEntry = {
        proposalId,
        proposer: 'buyer',
        solution: claim,
        at,
        withdrawnAt: null,
        acceptedBy: [],
      };
      return { ...emptyCaseFile(), description, proposals: [opening] };
    }
    case 'SellerResponded':
      return {
        ...file,
        sellerResponse: { response: event.data.response, comment: event.data.comment, at },
      };
    case 'ProposalSubmitted': {
      const { proposalId, proposer, solution } = event.data;
      return {
        ...file,
        proposals: [
          ...file.proposals,
          { proposalId, proposer, solution, at, withdrawnAt: null, acceptedBy: [] },
        ],
      };
    }
    case 'ProposalWithdrawn':
      return {
        ...file,
        proposals: file.proposals.map((p) =>
          p.proposalId === event.data.proposalId ? { ...p, withdrawnAt: at } : p,
        ),
      };
    case 'ProposalAccepted':
      return {
        ...file,
        proposals: file.proposals.map((p) =>
          p.proposalId === event.data.proposalId
            ? { ...p, acceptedBy: [...p.acceptedBy, event.data.acceptedBy] }
            : p,
        ),
      };
    case 'EvidenceAdded': {
      const { evidenceId, submittedBy, kind, content, description, answersRequestId } = event.data;
      return {
        ...file,
        evidence: [
          ...file.evidence,
          { evidenceId, submittedBy, kind, content, description, answersRequestId, at },
        ],
        evidenceRequests: file.evidenceRequests.map((r) =>
          r.requestId === answersRequestId ? { ...r, status: 'ANSWERED' as const } : r,
        ),
      };
    }
    case 'MessagePosted':
      return {
        ...file,
        messages: [
          ...file.messages,
          { messageId: event.data.messageId, by: event.data.by, body: event.data.body, at },
        ],
      };
    case 'DisputeEscalated':
      return {
        ...file,
        escalation: file.escalation ?? { trigger: event.data.trigger, at },
        queuedAt: at,
      };
    case 'DisputeCancelled':
      return { ...file, cancellation: { comment: event.data.comment, at } };
    case 'EvidenceRequested': {
      const { requestId, from, prompt, dueAt, by } = event.data;
      return {
        ...file,
        evidenceRequests: [
          ...file.evidenceRequests,
          { requestId, from, prompt, requestedBy: by, requestedAt: at, dueAt, status: 'OPEN' },
        ],
      };
    }
    case 'InternalNoteAdded':
      return {
        ...file,
        internalNotes: [
          ...file.internalNotes,
          { noteId: event.data.noteId, by: event.data.by, note: event.data.note, at },
        ],
      };
    case 'DisputeDecided': {
      const { decisionId, stage, ruling, rationale, final, appealDueAt, by } = event.data;
      return {
        ...file,
        decisions: [
          ...file.decisions,
          { decisionId, stage, ruling, rationale, final, appealDueAt, by, at, acceptedBy: [] },
        ],
      };
    }
    case 'DecisionAccepted':
      return {
        ...file,
        decisions: file.decisions.map((d) =>
          d.decisionId === event.data.decisionId
            ? { ...d, acceptedBy: [...d.acceptedBy, event.data.acceptedBy] }
            : d,
        ),
      };
    case 'DecisionAppealed': {
      const { appealId, decisionId, appellant, newInformation } = event.data;
      return {
        ...file,
        appeals: [...file.appeals, { appealId, decisionId, appellant, newInformation, at }],
        queuedAt: at,
      };
    }
    case 'ReturnAddressProvided':
      return {
        ...file,
        returnShipment: {
          ...(file.returnShipment ?? emptyReturn()),
          address: event.data.address,
          addressGivenAt: at,
        },
      };
    case 'ReturnShipped': {
      const { carrier, trackingNumber } = event.data;
      return {
        ...file,
        returnShipment: {
          ...(file.returnShipment ?? emptyReturn()),
          carrier,
          trackingNumber,
          shippedAt: at,
        },
      };
    }
    case 'ReturnDelivered':
      return {
        ...file,
        returnShipment: { ...(file.returnShipment ?? emptyReturn()), deliveredAt: at },
      };
    case 'ReturnReceived':
      return {
        ...file,
        returnShipment: { ...(file.returnShipment ?? emptyReturn()), receivedAt: at },
      };
    case 'ReturnConditionDisputed':
      return {
        ...file,
        returnShipment: {
          ...(file.returnShipment ?? emptyReturn()),
          conditionDisputed: { statement: event.data.statement, at },
        },
        queuedAt: at,
      };
    case 'ReplacementRequested':
      return {
        ...file,
        replacement: {
          kind: event.data.kind,
          shipDueAt: event.data.shipDueAt,
          carrier: null,
          trackingNumber: null,
          shippedAt: null,
          complaintDueAt: null,
          receivedAt: null,
          problemReported: null,
        },
      };
    case 'ReplacementShipped': {
      const { carrier, trackingNumber, complaintDueAt } = event.data;
      return file.replacement
        ? {
            ...file,
            replacement: {
              ...file.replacement,
              carrier,
              trackingNumber,
              shippedAt: at,
              complaintDueAt,
            },
          }
        : file;
    }
    case 'ReplacementReceived':
      return file.replacement
        ? { ...file, replacement: { ...file.replacement, receivedAt: at } }
        : file;
    case 'ReplacementProblemReported':
      return file.replacement
        ? {
            ...file,
            replacement: {
              ...file.replacement,
              problemReported: { statement: event.data.statement, at },
            },
            queuedAt: at,
          }
        : { ...file, queuedAt: at };
    case 'RefundReleased':
      return { ...file, refund: { ...file.refund, released: event.data.amount, releasedAt: at } };
    case 'RefundMarkedSent':
      return { ...file, refund: { ...file.refund, markedSentAt: at } };
    case 'RefundPaidOut':
      return {
        ...file,
        refund: {
          ...file.refund,
          paidOut: event.data.amount,
          payoutReference: event.data.payoutReference,
          paidAt: at,
        },
      };
    case 'DeadlinePassed':
      return event.data.requestId === null
        ? file
        : {
            ...file,
            evidenceRequests: file.evidenceRequests.map((r) =>
              r.requestId === event.data.requestId ? { ...r, status: 'LAPSED' as const } : r,
            ),
          };
    case 'DisputeResolved':
      // As the decider's state: a request still open when the dispute is settled lapses.
      return {
        ...file,
        evidenceRequests: file.evidenceRequests.map((r) =>
          r.status === 'OPEN' ? { ...r, status: 'LAPSED' as const } : r,
        ),
      };
    case 'DisputeClosed':
    case 'CaseTaken':
      // Carried by the state (resolution, outcome, mediator); the timeline tells when.
      return file;
    default:
      return unknownEvent(event, file);
  }
}

/** A newer writer's event type leaves the file as it was (the timeline still lists it). */
function unknownEvent(_event: never, file: CaseFile): CaseFile {
  return file;
}
