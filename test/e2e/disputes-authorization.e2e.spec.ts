import { randomUUID } from 'node:crypto';
import type { ActorRole } from '@arbiter/auth';
import { disputeStreamId, orderStreamId } from '@arbiter/disputes';
import { DisputePartyEvidenceAccessPolicy } from '../../apps/gateway/src/disputes/evidence-access';
import { describeOnDatabases } from './support/gateway';
import {
  Caller,
  caller,
  cast,
  DisputesGateway,
  eur,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

/** The ids a mutation's input may point at: someone else's order, dispute, proposal. */
interface Target {
  orderId: string;
  disputeId: string;
  appealDisputeId: string;
  proposalId: string;
}

const uuid = () => randomUUID();
const solution = { kind: 'PARTIAL_REFUND', amount: eur(1_000) };

/** Every mutation, who may call it at all (docs/domain.md#roles), and a well-formed input. */
const MUTATIONS: {
  name: string;
  roles: ActorRole[];
  input: (t: Target) => Record<string, unknown>;
}[] = [
  {
    name: 'placeOrder',
    roles: ['platform'],
    input: (t) => ({
      orderId: t.orderId,
      buyerId: 'b',
      sellerId: 's',
      total: eur(1),
      items: [{ sku: 'x', title: 'x', quantity: 1, unitPrice: eur(1) }],
    }),
  },
  {
    name: 'shipOrder',
    roles: ['platform'],
    input: (t) => ({
      orderId: t.orderId,
      carrier: 'DHL',
      trackingNumber: 'T1',
      deliveryDeadline: '2030-01-01T00:00:00.000Z',
    }),
  },
  { name: 'confirmDelivery', roles: ['platform'], input: (t) => ({ orderId: t.orderId }) },
  {
    name: 'openDispute',
    roles: ['buyer'],
    input: (t) => ({
      orderId: t.orderId,
      reason: 'DAMAGED',
      description: 'Mine now',
      claim: { kind: 'FULL_REFUND' },
    }),
  },
  {
    name: 'respondToDispute',
    roles: ['seller'],
    input: (t) => ({ disputeId: t.disputeId, response: 'REJECT', comment: 'No' }),
  },
  {
    name: 'submitProposal',
    roles: ['buyer', 'seller', 'mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, solution }),
  },
  {
    name: 'withdrawProposal',
    roles: ['buyer', 'seller', 'mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, proposalId: t.proposalId }),
  },
  {
    name: 'acceptProposal',
    roles: ['buyer', 'seller'],
    input: (t) => ({ disputeId: t.disputeId, proposalId: t.proposalId }),
  },
  {
    name: 'addEvidence',
    roles: ['buyer', 'seller'],
    input: (t) => ({ disputeId: t.disputeId, kind: 'TEXT', description: 'x', text: 'x' }),
  },
  {
    name: 'postMessage',
    roles: ['buyer', 'seller', 'mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, body: 'hello' }),
  },
  {
    name: 'escalateDispute',
    roles: ['buyer', 'seller'],
    input: (t) => ({ disputeId: t.disputeId }),
  },
  {
    name: 'cancelDispute',
    roles: ['buyer'],
    input: (t) => ({ disputeId: t.disputeId, comment: 'bye' }),
  },
  {
    name: 'takeCase',
    roles: ['mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId }),
  },
  {
    name: 'requestEvidence',
    roles: ['mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, from: 'buyer', prompt: 'Photo?' }),
  },
  {
    name: 'addInternalNote',
    roles: ['mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, note: 'hmm' }),
  },
  {
    name: 'decideDispute',
    roles: ['mediator', 'senior_mediator'],
    input: (t) => ({ disputeId: t.disputeId, ruling: { kind: 'SELLER_FAVOUR' }, rationale: 'r' }),
  },
  {
    name: 'acceptDecision',
    roles: ['buyer', 'seller'],
    input: (t) => ({ disputeId: t.disputeId, decisionId: uuid() }),
  },
  {
    name: 'appealDecision',
    roles: ['buyer', 'seller'],
    input: (t) => ({ disputeId: t.disputeId, decisionId: uuid(), newInformation: 'new' }),
  },
  {
    name: 'decideAppeal',
    roles: ['senior_mediator'],
    input: (t) => ({
      disputeId: t.appealDisputeId,
      ruling: { kind: 'FULL_REFUND' },
      rationale: 'r',
    }),
  },
  {
    name: 'provideReturnAddress',
    roles: ['seller'],
    input: (t) => ({
      disputeId: t.disputeId,
      address: { name: 'n', lines: ['l'], postalCode: '1', country: 'FR' },
    }),
  },
  {
    name: 'shipReturn',
    roles: ['buyer'],
    input: (t) => ({ disputeId: t.disputeId, carrier: 'c', trackingNumber: 't' }),
  },
  { name: 'recordReturnDelivery', roles: ['platform'], input: (t) => ({ disputeId: t.disputeId }) },
  { name: 'confirmReturnReceived', roles: ['seller'], input: (t) => ({ disputeId: t.disputeId }) },
  {
    name: 'disputeReturnCondition',
    roles: ['seller'],
    input: (t) => ({ disputeId: t.disputeId, statement: 'broken' }),
  },
  {
    name: 'shipReplacement',
    roles: ['seller'],
    input: (t) => ({ disputeId: t.disputeId, carrier: 'c', trackingNumber: 't' }),
  },
  {
    name: 'confirmReplacementReceived',
    roles: ['buyer'],
    input: (t) => ({ disputeId: t.disputeId }),
  },
  {
    name: 'reportReplacementProblem',
    roles: ['buyer'],
    input: (t) => ({ disputeId: t.disputeId, statement: 'never came' }),
  },
  {
    name: 'markRefundSent',
    roles: ['seller'],
    input: (t) => ({ disputeId: t.disputeId, reference: 'r', amount: eur(1) }),
  },
  {
    name: 'confirmRefundPayout',
    roles: ['platform'],
    input: (t) => ({ disputeId: t.disputeId, payoutReference: 'p', amount: eur(1) }),
  },
];

const ROLES: ActorRole[] = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
  'analyst',
];

/**
 * What "someone else's dispute" means per role, and the refusal expected:
 * - a role that may never do it, and any buyer or seller of another order: FORBIDDEN (the same
 *   answer as for a dispute that does not exist);
 * - a mediator on a case another mediator holds: NOT_ASSIGNED_MEDIATOR / CASE_ALREADY_ASSIGNED,
 *   messages and internal notes included (only the holder, or a senior, speaks on a case).
 * Not applicable, so not in the matrix: the platform (it records facts for every order), and a
 * senior mediator taking over a case or speaking on one in mediation (their right; see
 * disputes-staff-scope.e2e.spec.ts for the whole staff matrix).
 */
const SENIORS_MAY = new Set(['takeCase', 'postMessage', 'addInternalNote']);

function expectedRefusal(name: string, roles: ActorRole[], role: ActorRole): string[] | null {
  if (!roles.includes(role)) return ['FORBIDDEN'];
  if (role === 'buyer' || role === 'seller') return ['FORBIDDEN'];
  if (role === 'platform') return null;
  if (role === 'senior_mediator' && SENIORS_MAY.has(name)) return null;
  return ['NOT_ASSIGNED_MEDIATOR', 'CASE_ALREADY_ASSIGNED'];
}

const MATRIX = MUTATIONS.flatMap(({ name, roles, input }) =>
  ROLES.map((role) => ({ name, role, input, expected: expectedRefusal(name, roles, role) })).filter(
    (row): row is typeof row & { expected: string[] } => row.expected !== null,
  ),
);

describeOnDatabases('authorization matrix', (database) => {
  let d: DisputesGateway;
  let target: Target;
  let strangers: Record<ActorRole, Caller>;
  let owners: Awaited<ReturnType<typeof cast>>;
  const streams: string[] = [];
  const lengths = () => Promise.all(streams.map(async (s) => (await d.store.readStream(s)).length));

  beforeAll(async () => {
    d = await startDisputesGateway(database);
    owners = await cast(d);
    const url = d.gateway.url;
    // Dispute 1: in mediation, held by the owners' mediator. Dispute 2: in appeal, held by their senior.
    const open = async () => {
      const orderId = await shippedOrder(d, owners.platform, owners.buyer, owners.seller);
      const opened = await ok(url, owners.buyer, 'openDispute', {
        orderId,
        reason: 'DAMAGED',
        description: 'Dented',
        claim: { kind: 'FULL_REFUND' },
      });
      await ok(url, owners.seller, 'respondToDispute', {
        disputeId: opened.disputeId,
        response: 'REJECT',
        comment: 'No',
      });
      await ok(url, owners.buyer, 'escalateDispute', { disputeId: opened.disputeId });
      await ok(url, owners.mediator, 'takeCase', { disputeId: opened.disputeId });
      streams.push(orderStreamId(orderId), disputeStreamId(opened.disputeId));
      return opened;
    };
    const first = await open();
    const second = await open();
    const decided = await ok(url, owners.mediator, 'decideDispute', {
      disputeId: second.disputeId,
      ruling: { kind: 'SELLER_FAVOUR' },
      rationale: 'r',
    });
    await ok(url, owners.buyer, 'appealDecision', {
      disputeId: second.disputeId,
      decisionId: decided.decision?.decisionId,
      newInformation: 'new',
    });
    await ok(url, owners.senior, 'takeCase', { disputeId: second.disputeId });
    target = {
      orderId: first.orderId,
      disputeId: first.disputeId,
      appealDisputeId: second.disputeId,
      proposalId: first.proposals[0].proposalId,
    };
    const others = await cast(d);
    strangers = { ...others, senior_mediator: others.senior, system: others.platform };
  });
  afterAll(() => d?.close());

  it.each(MATRIX)(
    '$name as $role on someone else’s dispute is refused ($expected) and appends nothing',
    async ({ name, role, input, expected }) => {
      const before = await lengths();
      const result = await mutate(d.gateway.url, strangers[role], name, input(target));
      expect(result.errors).toBeDefined();
      expect(expected).toContain(result.code);
      expect(result.data).toBeNull();
      expect(await lengths()).toEqual(before);
    },
  );

  it('answers a party the same for someone else’s dispute and for one that does not exist', async () => {
    const buyer = await caller('buyer', d.id('nosy'));
    const existing = await mutate(d.gateway.url, buyer, 'postMessage', {
      disputeId: target.disputeId,
      body: 'hi',
    });
    const missing = await mutate(d.gateway.url, buyer, 'postMessage', {
      disputeId: uuid(),
      body: 'hi',
    });
    expect(existing.errors?.[0]).toEqual(missing.errors?.[0]);
    expect(existing.code).toBe('FORBIDDEN');
    const missingOrder = await mutate(d.gateway.url, buyer, 'openDispute', {
      orderId: d.id('no-order'),
      reason: 'DAMAGED',
      description: 'x',
      claim: { kind: 'FULL_REFUND' },
    });
    const othersOrder = await mutate(d.gateway.url, buyer, 'openDispute', {
      orderId: target.orderId,
      reason: 'DAMAGED',
      description: 'x',
      claim: { kind: 'FULL_REFUND' },
    });
    expect(missingOrder.errors?.[0]).toEqual(othersOrder.errors?.[0]);
    // A role that may never open (an analyst) is refused before the order is looked up.
    const analyst = await caller('analyst', d.id('prober'));
    const open = (orderId: string) =>
      mutate(d.gateway.url, analyst, 'openDispute', {
        orderId,
        reason: 'DAMAGED',
        description: 'x',
        claim: { kind: 'FULL_REFUND' },
      });
    const [realOrder, noOrder] = [await open(target.orderId), await open(d.id('no-order'))];
    expect(realOrder.code).toBe('FORBIDDEN');
    expect(noOrder.errors?.[0]).toEqual(realOrder.errors?.[0]);
  });

  it('lets only the dispute’s own buyer and seller upload evidence files to it', async () => {
    const policy = d.gateway.app.get(DisputePartyEvidenceAccessPolicy, { strict: false });
    const may = (who: Caller, disputeId = target.disputeId) =>
      policy.authorizeUpload(who, disputeId).then(
        () => true,
        () => false,
      );
    expect(await may(owners.buyer)).toBe(true);
    expect(await may(owners.seller)).toBe(true);
    expect(await may(strangers.buyer)).toBe(false);
    expect(await may(owners.mediator)).toBe(false);
    expect(await may(owners.buyer, uuid())).toBe(false);
  });
});
