import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProjectionRunner } from '@arbiter/read-models';
import { caller, type Caller, DISPUTE_FIELDS, eur } from './disputes-helpers';
import {
  act,
  type Answer,
  ask,
  eventually,
  openDispute,
  people,
  shippedOrder,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';
import { describeOnAllStores } from './support/gateway';

const DISPUTE = `query One($id: ID!) { dispute(id: $id) { ${DISPUTE_FIELDS} } }`;

/**
 * A mutation's answer is the dispute(id) query's view after the same change, for the caller,
 * field for field (the same selection set). Each mutation runs while the projections are
 * stopped, so it answers from the command's own events (`readYourWrites.consistent: false`);
 * the query is asked once the projections caught up. Both go through the one view fold.
 */
describeOnAllStores('mutation answers equal the query', (database) => {
  let r: ReadGateway;
  let runner: ProjectionRunner;
  let who: Awaited<ReturnType<typeof people>> & { senior: Caller };
  const answered = new Set<string>();

  beforeAll(async () => {
    r = await startReadGateway(database);
    runner = r.gateway.app.get(ProjectionRunner, { strict: false });
    who = { ...(await people(r)), senior: await caller('senior_mediator', r.id('senior')) };
  });
  afterAll(() => r?.close());

  /** Runs the mutation from the command side, then compares it with the caller's query. */
  async function step(
    as: Caller,
    name: string,
    input: Record<string, unknown>,
  ): Promise<Answer['dispute']> {
    await runner.stop();
    let answer: Answer;
    try {
      answer = await act(r.url, as, name, input);
    } finally {
      runner.start();
    }
    expect(answer.readYourWrites.map((note) => note.consistent)).toEqual([false]);
    const { disputeId, sequence } = answer.dispute;
    const queried = await eventually(async () => {
      const view = (
        await ask<{ dispute: Answer['dispute'] }>(r.url, as, DISPUTE, { id: disputeId })
      ).data?.dispute;
      expect(view?.sequence).toBe(sequence);
      return view;
    });
    expect({ name, view: answer.dispute }).toEqual({ name, view: queried });
    answered.add(name);
    return answer.dispute;
  }

  const proposalOf = (view: Answer['dispute'], proposer: string) =>
    view.proposals.find((p) => p.proposer === proposer)?.proposalId;

  it('negotiation to a partial refund paid out: refundable 7000 on a 10000 order both ways', async () => {
    const opened = await openDispute(r, who);
    const disputeId = opened.dispute.disputeId;
    const countered = await step(who.seller, 'respondToDispute', {
      disputeId,
      response: 'COUNTER',
      comment: 'I can refund part',
      counterProposal: { kind: 'PARTIAL_REFUND', amount: eur(3_000) },
    });
    await step(who.buyer, 'postMessage', { disputeId, body: 'Hm' });
    await step(who.buyer, 'addEvidence', {
      disputeId,
      kind: 'TEXT',
      description: 'What I saw',
      text: 'Scratches',
    });
    const proposed = await step(who.buyer, 'submitProposal', {
      disputeId,
      solution: { kind: 'PARTIAL_REFUND', amount: eur(8_000) },
    });
    await step(who.buyer, 'withdrawProposal', {
      disputeId,
      proposalId: proposalOf(proposed, 'buyer'),
    });
    await step(who.buyer, 'acceptProposal', {
      disputeId,
      proposalId: proposalOf(countered, 'seller'),
    });
    await step(who.seller, 'markRefundSent', {
      disputeId,
      reference: 'TRANSFER-1',
      amount: eur(3_000),
    });
    const paid = await step(who.platform, 'confirmRefundPayout', {
      disputeId,
      payoutReference: 'PAYOUT-1',
      amount: eur(3_000),
    });
    expect(paid).toMatchObject({ status: 'CLOSED', refundable: eur(7_000) });
  });

  it('mediation, appeal and a return whose condition is disputed', async () => {
    const disputeId = (await openDispute(r, who)).dispute.disputeId;
    await step(who.seller, 'respondToDispute', { disputeId, response: 'REJECT', comment: 'No' });
    await step(who.buyer, 'escalateDispute', { disputeId });
    await step(who.mediator, 'takeCase', { disputeId });
    const requested = await step(who.mediator, 'requestEvidence', {
      disputeId,
      from: 'seller',
      prompt: 'Packaging photos?',
    });
    await step(who.seller, 'addEvidence', {
      disputeId,
      kind: 'TEXT',
      description: 'Packaging',
      text: 'Double boxed',
      answersRequestId: requested.evidenceRequests[0].requestId,
    });
    await step(who.mediator, 'addInternalNote', { disputeId, note: 'Seller seems careful' });
    const decided = await step(who.mediator, 'decideDispute', {
      disputeId,
      ruling: { kind: 'PARTIAL_REFUND', amount: eur(2_000) },
      rationale: 'Some damage',
    });
    await step(who.buyer, 'appealDecision', {
      disputeId,
      decisionId: decided.decision?.decisionId,
      newInformation: 'A repair shop report',
    });
    await step(who.senior, 'takeCase', { disputeId });
    await step(who.senior, 'decideAppeal', {
      disputeId,
      ruling: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
      rationale: 'Send it back',
    });
    await step(who.seller, 'provideReturnAddress', {
      disputeId,
      address: { name: 'Shop', lines: ['1 Dock Road'], postalCode: '1000', country: 'BE' },
    });
    await step(who.buyer, 'shipReturn', { disputeId, carrier: 'bpost', trackingNumber: 'T-1' });
    await step(who.platform, 'recordReturnDelivery', { disputeId });
    await step(who.seller, 'disputeReturnCondition', {
      disputeId,
      statement: 'It came back broken',
    });
  });

  it('a decision accepted, a return received, a replacement made good or reported, a cancellation', async () => {
    const first = (await openDispute(r, who)).dispute.disputeId;
    await step(who.seller, 'respondToDispute', {
      disputeId: first,
      response: 'REJECT',
      comment: 'No',
    });
    await step(who.buyer, 'escalateDispute', { disputeId: first });
    await step(who.mediator, 'takeCase', { disputeId: first });
    const decided = await step(who.mediator, 'decideDispute', {
      disputeId: first,
      ruling: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
      rationale: 'Return it',
    });
    const decisionId = decided.decision?.decisionId;
    await step(who.buyer, 'acceptDecision', { disputeId: first, decisionId });
    await step(who.seller, 'acceptDecision', { disputeId: first, decisionId });
    await step(who.seller, 'provideReturnAddress', {
      disputeId: first,
      address: { name: 'Shop', lines: ['1 Dock Road'], postalCode: '1000', country: 'BE' },
    });
    await step(who.buyer, 'shipReturn', {
      disputeId: first,
      carrier: 'bpost',
      trackingNumber: 'T',
    });
    await step(who.seller, 'confirmReturnReceived', { disputeId: first });

    for (const ending of ['confirmReplacementReceived', 'reportReplacementProblem'] as const) {
      const disputeId = (await openDispute(r, who)).dispute.disputeId;
      const countered = await step(who.seller, 'respondToDispute', {
        disputeId,
        response: 'COUNTER',
        comment: 'A new one instead',
        counterProposal: { kind: 'REPLACEMENT' },
      });
      await step(who.buyer, 'acceptProposal', {
        disputeId,
        proposalId: proposalOf(countered, 'seller'),
      });
      await step(who.seller, 'shipReplacement', { disputeId, carrier: 'DHL', trackingNumber: 'R' });
      await step(
        who.buyer,
        ending,
        ending === 'reportReplacementProblem'
          ? { disputeId, statement: 'Broken too' }
          : { disputeId },
      );
    }

    const cancelled = (await openDispute(r, who)).dispute.disputeId;
    await step(who.buyer, 'cancelDispute', { disputeId: cancelled, comment: 'Found it' });
  });

  it('opening a dispute, and every dispute mutation of the schema was compared', async () => {
    const orderId = await shippedOrder(r, who);
    await step(who.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Cracked',
      claim: { kind: 'FULL_REFUND' },
    });
    const schema = readFileSync(resolve(__dirname, '../../apps/gateway/schema.gql'), 'utf8');
    const mutations = /type Mutation \{([\s\S]*?)\n\}/.exec(schema)?.[1] ?? '';
    const disputeMutations = [...mutations.matchAll(/^ {2}(\w+)\([^)]*\): Dispute!$/gm)].map(
      (match) => match[1],
    );
    expect(disputeMutations.length).toBeGreaterThan(20);
    expect(disputeMutations.filter((name) => !answered.has(name))).toEqual([]);
  });
});
