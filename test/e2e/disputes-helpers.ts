import { randomBytes } from 'node:crypto';
import type { ActorRole } from '@arbiter/auth';
import { DisputeDeadlines } from '@arbiter/disputes/application';
import { FakeClock } from '@arbiter/platform';
import { EVENT_STORE, EventStore } from '@arbiter/event-store';
import { graphql, tokenFor } from './support/clients';
import { Database, RunningGateway, startGateway } from './support/gateway';

/**
 * Shared by the disputes-*.e2e suites: one gateway per suite and database (PGlite in memory, or
 * PostgreSQL), workers off (nothing fires behind the test's back), a high rate limit, a run-unique
 * id prefix (PostgreSQL is shared between runs) and a client that speaks the mutations.
 */
export interface DisputesGateway {
  gateway: RunningGateway;
  /** The gateway's one clock: starts at the wall clock's now and moves only when told to. */
  clock: FakeClock;
  store: EventStore;
  deadlines: DisputeDeadlines;
  /** A fresh id for an order or a user, unique to this run. */
  id(prefix: string): string;
  close(): Promise<void>;
}

/** `settings`: more environment variables for the gateway (e.g. evidence quotas). */
export async function startDisputesGateway(
  database: Database,
  settings: Record<string, string> = {},
): Promise<DisputesGateway> {
  const clock = new FakeClock(new Date());
  const gateway = await startGateway(
    {
      WORKERS: 'off',
      RATE_LIMIT_PER_MINUTE: '1000000',
      METRICS_ENABLED: 'false',
      ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
      ...settings,
    },
    database,
    { clock },
  );
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  return {
    gateway,
    clock,
    store: gateway.app.get<EventStore>(EVENT_STORE, { strict: false }),
    deadlines: gateway.app.get(DisputeDeadlines, { strict: false }),
    id: (prefix) => `${prefix}-${run}-${++counter}`,
    close: () => gateway.close(),
  };
}

export interface Caller {
  id: string;
  role: ActorRole;
  token: string;
}

export const caller = async (role: ActorRole, id: string): Promise<Caller> => ({
  id,
  role,
  token: await tokenFor(role, id),
});

export const DISPUTE_FIELDS = `
  disputeId orderId buyerId sellerId status reason description sequence revision openedAt mediatorId mediatorAssigned closedAt
  orderTotal { amountMinor currency } refundable { amountMinor currency }
  proposals { proposalId proposer submittedAt acceptedBy solution { kind amount { amountMinor currency } returnShippingPaidBy } }
  evidence { evidenceId submittedBy kind text description answersRequestId at file { sha256 mediaType sizeBytes } }
  messages { messageId authorRole authorId body at }
  evidenceRequests { requestId from prompt dueAt status }
  internalNotes { noteId note authorId at }
  decision { decisionId stage rationale final appealDueAt acceptedBy ruling { kind amount { amountMinor currency } } }
  appeals { appealId decisionId appellant newInformation }
  returnInfo { shippingPaidBy carrier trackingNumber shippedAt deliveredAt receivedAt conditionDisputed address { name lines postalCode country } }
  replacement { kind shipDueAt carrier trackingNumber shippedAt complaintDueAt receivedAt problemReported }
  deadline { kind dueAt }
  outcome { outcome reachedBy refundAmount { amountMinor currency } ruling { kind } }
  refundDue { amountMinor currency } refunded { amountMinor currency }
  nextAction { actor action dueAt ifMissed yours }
  nextActions { actor action dueAt ifMissed yours }
`;
const ORDER_FIELDS =
  'orderId status buyerId sellerId revision disputeIds total { amountMinor currency }';

/** The mutation's type name → what to select from its result. */
const ORDER_MUTATIONS = new Set(['placeOrder', 'shipOrder', 'confirmDelivery']);

export interface MutationResult<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: {
    message: string;
    path?: string[];
    extensions?: Record<string, unknown> & { code?: string };
  }[];
  code?: string;
  headers: Headers;
}

/** Runs `mutation { <name>(input: $input) { … } }` as `who`. */
export async function mutate<T = Record<string, unknown>>(
  baseUrl: string,
  who: Caller,
  name: string,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<MutationResult<T>> {
  const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const typeName = INPUT_TYPES[name] ?? inputType;
  const fields = ORDER_MUTATIONS.has(name) ? ORDER_FIELDS : DISPUTE_FIELDS;
  const query = `mutation Run($input: ${typeName}!) { result: ${name}(input: $input) { ${fields} } }`;
  const response = await graphql<{ result: T }>(baseUrl, query, {
    token: who.token,
    variables: { input },
    headers,
  });
  const errors = response.body.errors;
  return {
    status: response.status,
    data: response.body.data?.result ?? null,
    errors,
    code: errors?.[0]?.extensions?.code,
    headers: response.headers,
  };
}

/** Mutations whose input type is shared (named differently from `<Name>Input`). */
export const INPUT_TYPES: Record<string, string> = {
  confirmDelivery: 'OrderActionInput',
  withdrawProposal: 'ProposalActionInput',
  acceptProposal: 'ProposalActionInput',
  escalateDispute: 'DisputeActionInput',
  takeCase: 'DisputeActionInput',
  decideDispute: 'DecideInput',
  decideAppeal: 'DecideInput',
  acceptDecision: 'DecisionActionInput',
  recordReturnDelivery: 'DisputeActionInput',
  confirmReturnReceived: 'DisputeActionInput',
  confirmReplacementReceived: 'DisputeActionInput',
};

/** Like `mutate`, but fails the test with the server's answer unless the mutation succeeded. */
export async function ok<T = DisputeResult>(
  baseUrl: string,
  who: Caller,
  name: string,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<T> {
  const result = await mutate<T>(baseUrl, who, name, input, headers);
  if (!result.data)
    throw new Error(`${name} as ${who.role} failed: ${JSON.stringify(result.errors)}`);
  return result.data;
}

export type Money = { amountMinor: number; currency: string };
export type DisputeResult = {
  disputeId: string;
  orderId: string;
  status: string;
  sequence: number;
  revision: number | null;
  description: string;
  mediatorId: string | null;
  proposals: {
    proposalId: string;
    proposer: string;
    solution: { kind: string; amount: Money | null };
  }[];
  evidence: {
    evidenceId: string;
    kind: string;
    text: string | null;
    answersRequestId: string | null;
    file: { sha256: string; mediaType: string } | null;
  }[];
  messages: { messageId: string; body: string; authorRole: string }[];
  evidenceRequests: {
    requestId: string;
    from: string;
    status: string;
    prompt: string;
    dueAt: string;
  }[];
  internalNotes: { note: string }[];
  decision: { decisionId: string; stage: string; final: boolean; rationale: string } | null;
  appeals: { appealId: string; newInformation: string }[];
  returnInfo: {
    carrier: string | null;
    trackingNumber: string | null;
    receivedAt: string | null;
    deliveredAt: string | null;
    address: { name: string } | null;
  } | null;
  replacement: {
    kind: string;
    shipDueAt: string;
    carrier: string | null;
    trackingNumber: string | null;
    shippedAt: string | null;
    complaintDueAt: string | null;
    receivedAt: string | null;
    problemReported: string | null;
  } | null;
  deadline: { kind: string; dueAt: string } | null;
  outcome: { outcome: string; reachedBy: string; refundAmount: Money | null } | null;
  refundDue: Money | null;
  refunded: Money | null;
  nextAction: NextAction | null;
  nextActions: NextAction[];
};

export interface NextAction {
  actor: string;
  action: string;
  dueAt: string | null;
  ifMissed: string | null;
  yours: boolean;
}

export const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });

/** A placed and shipped order between `buyer` and `seller` (total 100.00 EUR, delivery in 10 days). */
export async function shippedOrder(
  d: DisputesGateway,
  platform: Caller,
  buyer: Caller,
  seller: Caller,
): Promise<string> {
  const orderId = d.id('order');
  const total = eur(10_000);
  await ok(d.gateway.url, platform, 'placeOrder', {
    orderId,
    buyerId: buyer.id,
    sellerId: seller.id,
    total,
    items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: total }],
  });
  const deliveryDeadline = new Date(d.clock.now().getTime() + 10 * 86_400_000).toISOString();
  await ok(d.gateway.url, platform, 'shipOrder', {
    orderId,
    carrier: 'DHL',
    trackingNumber: 'JD014600',
    deliveryDeadline,
  });
  return orderId;
}

/** The four people of a dispute, with ids unique to this run. */
export async function cast(d: DisputesGateway) {
  return {
    platform: await caller('platform', 'marketplace'),
    buyer: await caller('buyer', d.id('buyer')),
    seller: await caller('seller', d.id('seller')),
    mediator: await caller('mediator', d.id('mediator')),
    senior: await caller('senior_mediator', d.id('senior')),
    analyst: await caller('analyst', d.id('analyst')),
  };
}
