import type { Caller, NextAction } from './disputes-helpers';
import { caller, eur, mutate } from './disputes-helpers';
import {
  act,
  ask,
  eventually,
  openDispute,
  people,
  ReadGateway,
  startReadGateway,
} from './read-helpers';
import { describeOnAllStores } from './support/gateway';

const NEXT = 'actor action dueAt ifMissed yours';
const ONE = `query One($id: ID!) { dispute(id: $id) {
  status sequence deadline { dueAt } decision { decisionId appealDueAt }
  nextAction { ${NEXT} } nextActions { ${NEXT} } } }`;

interface Seen {
  status: string;
  sequence: number;
  deadline: { dueAt: string } | null;
  decision: { decisionId: string; appealDueAt: string } | null;
  nextAction: NextAction | null;
  nextActions: NextAction[];
}

type Viewer =
  'buyer' | 'seller' | 'mediator' | 'mediator2' | 'senior' | 'senior2' | 'platform' | 'analyst';
const VIEWERS: readonly Viewer[] = [
  'buyer',
  'seller',
  'mediator',
  'mediator2',
  'senior',
  'senior2',
  'platform',
  'analyst',
];

// One "what next, by when" for every viewer, over HTTP from the read models: the same dispute
// queried by each role through its life, each told their own turn or whom they wait for.
describeOnAllStores('next action for every viewer', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>> & Record<'mediator2' | 'senior' | 'senior2', Caller>;

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = {
      ...(await people(r)),
      mediator2: await caller('mediator', r.id('mediator2')),
      senior: await caller('senior_mediator', r.id('senior')),
      senior2: await caller('senior_mediator', r.id('senior2')),
    };
  });
  afterAll(() => r?.close());

  /**
   * `dispute(id)` as `viewer`, once their read model has caught up with `sequence` (this story
   * has no staff-only event, so every audience counts the same events).
   */
  const seenBy = (viewer: Viewer, disputeId: string, sequence: number) =>
    eventually(async () => {
      const body = await ask<{ dispute: Seen }>(r.url, who[viewer], ONE, { id: disputeId });
      const dispute = body.data?.dispute;
      if (!dispute || dispute.sequence < sequence)
        throw new Error(`${viewer} sees ${JSON.stringify(body)}`);
      return dispute;
    });

  /**
   * Every viewer at `sequence` is told `next` (theirs for `yoursFor`), but those with an action
   * of their own (`own`), who are told that first.
   */
  async function expectEveryone(
    disputeId: string,
    sequence: number,
    next: Omit<NextAction, 'yours'> | null,
    yoursFor: readonly Viewer[],
    own: Partial<Record<Viewer, Omit<NextAction, 'yours'>>> = {},
  ): Promise<Record<Viewer, Seen>> {
    const seen = {} as Record<Viewer, Seen>;
    for (const viewer of VIEWERS) {
      seen[viewer] = await seenBy(viewer, disputeId, sequence);
      const mine = own[viewer];
      expect({ viewer, nextAction: seen[viewer].nextAction }).toEqual({
        viewer,
        nextAction: mine
          ? { ...mine, yours: true }
          : next && { ...next, yours: yoursFor.includes(viewer) },
      });
    }
    return seen;
  }

  it('buyer, seller and staff follow one dispute from the seller’s turn to its close', async () => {
    const opened = await openDispute(r, who, 'DAMAGED');
    const { disputeId } = opened.dispute;

    // Awaiting the seller: the buyer is told they wait for the seller, until when, and what
    // happens if the seller stays silent; the seller that it is their turn.
    const dueAt = opened.dispute.deadline?.dueAt ?? null;
    expect(dueAt).toEqual(expect.any(String));
    const awaiting = await expectEveryone(
      disputeId,
      opened.dispute.sequence,
      {
        actor: 'seller',
        action: 'RESPOND_TO_DISPUTE',
        dueAt,
        ifMissed: 'BUYER_PROPOSAL_ACCEPTED',
      },
      ['seller'],
    );
    // The deprecated phase deadline still answers, and agrees.
    expect(awaiting.buyer.deadline?.dueAt).toBe(awaiting.buyer.nextAction?.dueAt);
    expect(opened.dispute.nextAction).toMatchObject({ actor: 'seller', yours: false });

    // Negotiating: both parties may act; each is told their own part first.
    const rejected = await act(r.url, who.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'It was fine when it left',
    });
    const negotiation = {
      dueAt: rejected.dispute.deadline?.dueAt ?? null,
      ifMissed: 'ESCALATED_TO_MEDIATION',
    };
    const negotiating = await expectEveryone(
      disputeId,
      rejected.dispute.sequence,
      { actor: 'buyer', action: 'NEGOTIATE', ...negotiation },
      ['buyer'],
      { seller: { actor: 'seller', action: 'ANSWER_PROPOSAL', ...negotiation } },
    );
    expect(negotiating.mediator.nextActions.map((a) => [a.actor, a.action, a.yours])).toEqual([
      ['buyer', 'NEGOTIATE', false],
      ['seller', 'ANSWER_PROPOSAL', false],
    ]);
    expect(negotiating.seller.nextActions.map((a) => a.actor)).toEqual(['seller', 'buyer']);

    // In mediation: the parties wait for a mediator, with no deadline; any mediator, a senior
    // one included, may take the case. Once taken, only its holder decides it.
    const escalated = await act(r.url, who.buyer, 'escalateDispute', { disputeId });
    await expectEveryone(
      disputeId,
      escalated.dispute.sequence,
      { actor: 'mediator', action: 'TAKE_CASE', dueAt: null, ifMissed: null },
      ['mediator', 'mediator2', 'senior', 'senior2'],
    );
    const taken = await act(r.url, who.mediator, 'takeCase', { disputeId });
    await expectEveryone(
      disputeId,
      taken.dispute.sequence,
      { actor: 'mediator', action: 'DECIDE', dueAt: null, ifMissed: null },
      ['mediator'],
    );

    // Decided: each party accepts or appeals until the window ends; one who accepted waits
    // for the other.
    const decided = await act(r.url, who.mediator, 'decideDispute', {
      disputeId,
      ruling: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
      rationale: 'Damaged in transit',
    });
    const { decision } = await seenBy('buyer', disputeId, decided.dispute.sequence);
    const window = {
      action: 'ACCEPT_OR_APPEAL_DECISION',
      dueAt: decision?.appealDueAt ?? null,
      ifMissed: 'DECISION_BECOMES_FINAL',
    };
    expect(window.dueAt).toEqual(expect.any(String));
    await expectEveryone(
      disputeId,
      decided.dispute.sequence,
      { actor: 'buyer', ...window },
      ['buyer'],
      { seller: { actor: 'seller', ...window } },
    );
    const decisionId = decided.dispute.decision?.decisionId;
    const buyerAccepted = await act(r.url, who.buyer, 'acceptDecision', { disputeId, decisionId });
    await expectEveryone(
      disputeId,
      buyerAccepted.dispute.sequence,
      { actor: 'seller', ...window },
      ['seller'],
    );

    // The return: the seller gives an address, the buyer ships, the platform records the
    // delivery, the seller confirms it; each step tells the others whom they wait for.
    const accepted = await act(r.url, who.seller, 'acceptDecision', { disputeId, decisionId });
    await expectEveryone(
      disputeId,
      accepted.dispute.sequence,
      {
        actor: 'seller',
        action: 'PROVIDE_RETURN_ADDRESS',
        dueAt: accepted.dispute.deadline?.dueAt ?? null,
        ifMissed: 'REFUND_WITHOUT_RETURN',
      },
      ['seller'],
    );
    const addressed = await act(r.url, who.seller, 'provideReturnAddress', {
      disputeId,
      address: {
        name: 'Shop Returns',
        lines: ['1 Dock Road'],
        postalCode: 'E16 1AA',
        country: 'GB',
      },
    });
    await expectEveryone(
      disputeId,
      addressed.dispute.sequence,
      {
        actor: 'buyer',
        action: 'SHIP_RETURN',
        dueAt: addressed.dispute.deadline?.dueAt ?? null,
        ifMissed: 'CLOSED_IN_SELLER_FAVOUR',
      },
      ['buyer'],
    );
    const shipped = await act(r.url, who.buyer, 'shipReturn', {
      disputeId,
      carrier: 'Royal Mail',
      trackingNumber: 'RM123456789GB',
    });
    // In transit the platform records the delivery, or the seller confirms it first; everyone
    // else waits for the seller, and the platform is told its own part first.
    const transit = {
      dueAt: shipped.dispute.deadline?.dueAt ?? null,
      ifMissed: 'ESCALATED_TO_MEDIATION',
    };
    const inTransit = await expectEveryone(
      disputeId,
      shipped.dispute.sequence,
      { actor: 'seller', action: 'CONFIRM_RETURN_RECEIVED', ...transit },
      ['seller'],
      { platform: { actor: 'platform', action: 'RECORD_RETURN_DELIVERY', ...transit } },
    );
    expect(inTransit.platform.nextActions.map((a) => [a.actor, a.action, a.yours])).toEqual([
      ['platform', 'RECORD_RETURN_DELIVERY', true],
      ['seller', 'CONFIRM_RETURN_RECEIVED', false],
    ]);
    await act(r.url, who.platform, 'recordReturnDelivery', { disputeId });
    const received = await act(r.url, who.seller, 'confirmReturnReceived', { disputeId });
    await expectEveryone(
      disputeId,
      received.dispute.sequence,
      { actor: 'platform', action: 'CONFIRM_REFUND_PAYOUT', dueAt: null, ifMissed: null },
      ['platform'],
    );

    // Closed: nothing is expected of anyone.
    const closed = await act(r.url, who.platform, 'confirmRefundPayout', {
      disputeId,
      payoutReference: 'P-1',
      amount: eur(10_000),
    });
    expect(closed.dispute.status).toBe('CLOSED');
    const over = await expectEveryone(disputeId, closed.dispute.sequence, null, []);
    for (const viewer of VIEWERS) expect(over[viewer].nextActions).toEqual([]);
  });

  it('only the mediator holding a case is told to decide it, and not while a party owes evidence; an appeal is every other senior’s to take, then its holder’s', async () => {
    const opened = await openDispute(r, who, 'DAMAGED');
    const { disputeId } = opened.dispute;
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'It was fine when it left',
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId });
    const taken = await act(r.url, who.mediator, 'takeCase', { disputeId });
    const deciding = { actor: 'mediator', action: 'DECIDE', dueAt: null, ifMissed: null };
    // The command's own answer tells the holder it is theirs.
    expect(taken.dispute.nextAction).toEqual({ ...deciding, yours: true });
    await expectEveryone(disputeId, taken.dispute.sequence, deciding, ['mediator']);
    // What the second mediator is told agrees with what the decider answers them.
    const ruling = { kind: 'PARTIAL_REFUND', amount: eur(4_000) };
    const byOther = await mutate(r.url, who.mediator2, 'decideDispute', {
      disputeId,
      ruling,
      rationale: 'Not mine to decide',
    });
    expect(byOther.code).toBe('NOT_ASSIGNED_MEDIATOR');

    // An open evidence request: the decider refuses a decision, so nobody is told to decide;
    // everyone waits for the seller's answer until its deadline, the seller's own turn.
    const requested = await act(r.url, who.mediator, 'requestEvidence', {
      disputeId,
      from: 'seller',
      prompt: 'The packing photos, please',
    });
    const request = requested.dispute.evidenceRequests[0];
    const answer = {
      actor: 'seller',
      action: 'ANSWER_EVIDENCE_REQUEST',
      dueAt: request?.dueAt ?? null,
      ifMissed: 'EVIDENCE_REQUEST_LAPSES',
    };
    expect(answer.dueAt).toEqual(expect.any(String));
    expect(requested.dispute.nextActions).toEqual([{ ...answer, yours: false }]);
    const waiting = await expectEveryone(disputeId, requested.dispute.sequence, answer, ['seller']);
    for (const viewer of VIEWERS) expect(waiting[viewer].nextActions).toHaveLength(1);
    const tooEarly = await mutate(r.url, who.mediator, 'decideDispute', {
      disputeId,
      ruling,
      rationale: 'Before the answer',
    });
    expect(tooEarly.code).toBe('EVIDENCE_REQUEST_PENDING');

    // Answered: the holder decides again.
    const answered = await act(r.url, who.seller, 'addEvidence', {
      disputeId,
      kind: 'TEXT',
      text: 'Packed in bubble wrap',
      description: 'Packing',
      answersRequestId: request?.requestId,
    });
    await expectEveryone(disputeId, answered.dispute.sequence, deciding, ['mediator']);

    // Appealed: every senior mediator may take the appeal; then only its holder decides it.
    const decided = await act(r.url, who.mediator, 'decideDispute', {
      disputeId,
      ruling,
      rationale: 'Half the damage is the courier’s',
    });
    const appealed = await act(r.url, who.buyer, 'appealDecision', {
      disputeId,
      decisionId: decided.dispute.decision?.decisionId,
      newInformation: 'The courier confirmed the damage',
    });
    const takeAppeal = {
      actor: 'senior_mediator',
      action: 'TAKE_APPEAL',
      dueAt: null,
      ifMissed: null,
    };
    await expectEveryone(disputeId, appealed.dispute.sequence, takeAppeal, ['senior', 'senior2']);
    const appealTaken = await act(r.url, who.senior, 'takeCase', { disputeId });
    const decideAppeal = { ...takeAppeal, action: 'DECIDE_APPEAL' };
    await expectEveryone(disputeId, appealTaken.dispute.sequence, decideAppeal, ['senior']);
    const bySenior2 = await mutate(r.url, who.senior2, 'decideAppeal', {
      disputeId,
      ruling,
      rationale: 'Not mine either',
    });
    expect(bySenior2.code).toBe('NOT_ASSIGNED_MEDIATOR');
  });
});
