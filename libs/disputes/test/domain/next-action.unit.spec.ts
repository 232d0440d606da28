import {
  type Actor,
  type Audience,
  DEFAULT_POLICY,
  definePolicy,
  type DisputePolicy,
  forViewer,
  initialState,
  nextActionInView,
  replayView,
  type Role,
  ROLES,
  viewerActions,
} from '../../src/domain';
import {
  appealed,
  appealTaken,
  buyer,
  cmd,
  countered,
  day,
  decided,
  escalated,
  mediator,
  mediator2,
  opened,
  platform,
  refundPending,
  returnShipped,
  senior,
  seller,
  type Story,
  taken,
} from '../../test-support/fixtures';

/**
 * What each viewer is told is next (`Dispute.nextAction` / `nextActions`): their own action when
 * they have one, else what they wait for, from whom and until when; nothing only once it is over.
 */

const P = DEFAULT_POLICY;
const AUDIENCE: Readonly<Record<Role, Audience>> = {
  buyer: 'party',
  seller: 'party',
  mediator: 'staff',
  senior_mediator: 'staff',
  platform: 'platform',
  analyst: 'analyst',
  system: 'staff',
};

/** One viewer per role: the fixtures' mediator and senior are the ones who take cases. */
const VIEWER: Readonly<Record<Role, Actor>> = {
  buyer,
  seller,
  mediator,
  senior_mediator: senior,
  platform,
  analyst: { id: 'analyst-1', role: 'analyst' },
  system: { id: 'scheduler', role: 'system' },
};
const senior2: Actor = { id: 'senior-2', role: 'senior_mediator' };

/** The dispute as `who` gets it from its own audience's view. */
function seenBy(story: Story, who: Role | Actor, policy: DisputePolicy = P) {
  const viewer = typeof who === 'string' ? VIEWER[who] : who;
  const view = replayView(story.events, AUDIENCE[viewer.role]);
  if (view === null) throw new Error('no view');
  return forViewer(view, viewer, policy);
}

describe('next action for every viewer', () => {
  it('awaiting the seller: the buyer and everyone else wait for the seller until the response deadline', () => {
    const sellers = {
      actor: 'seller',
      action: 'RESPOND_TO_DISPUTE',
      dueAt: day(11),
      ifMissed: 'BUYER_PROPOSAL_ACCEPTED',
    };
    expect(seenBy(opened(), 'seller').nextAction).toEqual({ ...sellers, yours: true });
    for (const role of ['buyer', 'mediator', 'senior_mediator', 'platform', 'analyst'] as const) {
      expect(seenBy(opened(), role).nextAction).toEqual({ ...sellers, yours: false });
      expect(seenBy(opened(), role).nextActions).toEqual([{ ...sellers, yours: false }]);
    }
  });

  it('the consequence named is the policy’s (escalation when seller silence escalates)', () => {
    const escalating = definePolicy({ onSellerSilence: 'escalate' });
    expect(seenBy(opened(escalating), 'buyer', escalating).nextAction).toMatchObject({
      actor: 'seller',
      ifMissed: 'ESCALATED_TO_MEDIATION',
      yours: false,
    });
  });

  it('negotiating: both parties may act; each is told their own first, staff see both', () => {
    const story = countered();
    expect(seenBy(story, 'buyer').nextActions.map((a) => [a.actor, a.yours])).toEqual([
      ['buyer', true],
      ['seller', false],
    ]);
    expect(seenBy(story, 'seller').nextActions.map((a) => [a.actor, a.yours])).toEqual([
      ['seller', true],
      ['buyer', false],
    ]);
    expect(seenBy(story, 'mediator').nextActions).toEqual([
      {
        actor: 'buyer',
        action: 'ANSWER_PROPOSAL',
        dueAt: day(22),
        ifMissed: 'ESCALATED_TO_MEDIATION',
        yours: false,
      },
      {
        actor: 'seller',
        action: 'ANSWER_PROPOSAL',
        dueAt: day(22),
        ifMissed: 'ESCALATED_TO_MEDIATION',
        yours: false,
      },
    ]);
  });

  it('in mediation: the parties wait for a mediator (no deadline); a senior mediator may take it', () => {
    const waiting = {
      actor: 'mediator',
      action: 'TAKE_CASE',
      dueAt: null,
      ifMissed: null,
    };
    expect(seenBy(escalated(), 'buyer').nextAction).toEqual({ ...waiting, yours: false });
    expect(seenBy(escalated(), 'mediator').nextAction).toEqual({ ...waiting, yours: true });
    expect(seenBy(escalated(), 'senior_mediator').nextAction).toEqual({ ...waiting, yours: true });
    expect(seenBy(taken(), 'seller').nextAction).toMatchObject({ action: 'DECIDE', yours: false });
  });

  it('in mediation: only the mediator holding the case decides it; other mediators and seniors see it is not theirs', () => {
    const deciding = { actor: 'mediator', action: 'DECIDE', dueAt: null, ifMissed: null };
    expect(seenBy(taken(), mediator).nextAction).toEqual({ ...deciding, yours: true });
    expect(seenBy(taken(), mediator2).nextAction).toEqual({ ...deciding, yours: false });
    expect(seenBy(taken(), senior).nextAction).toEqual({ ...deciding, yours: false });
    // A senior who took the case over holds it, and then decides it.
    const takenOver = taken().then(cmd('TakeCase', senior, day(10.5), {}));
    expect(seenBy(takenOver, senior).nextAction).toEqual({ ...deciding, yours: true });
    expect(seenBy(takenOver, mediator).nextAction).toEqual({ ...deciding, yours: false });
  });

  it('in mediation: while a party is asked for evidence nobody expects a decision (the decider refuses it); everyone waits for the answer', () => {
    const asked = taken().then(
      cmd('RequestEvidence', { id: 'med-1', role: 'mediator' }, day(10.5), {
        requestId: 'r-1',
        from: 'buyer',
        prompt: 'label',
      }),
    );
    expect(seenBy(asked, 'buyer').nextAction).toEqual({
      actor: 'buyer',
      action: 'ANSWER_EVIDENCE_REQUEST',
      dueAt: day(13.5),
      ifMissed: 'EVIDENCE_REQUEST_LAPSES',
      yours: true,
    });
    const answer = ['buyer', 'ANSWER_EVIDENCE_REQUEST', false];
    for (const who of ['seller', mediator, mediator2, senior] as const) {
      expect(seenBy(asked, who).nextActions.map((a) => [a.actor, a.action, a.yours])).toEqual([
        answer,
      ]);
    }
    // Once answered, the holder decides again.
    const answered = asked.then(
      cmd('AddEvidence', buyer, day(11), {
        evidenceId: 'e-1',
        kind: 'TEXT',
        content: { text: 'label' },
        description: 'the label',
        answersRequestId: 'r-1',
      }),
    );
    expect(seenBy(answered, mediator).nextAction).toMatchObject({ action: 'DECIDE', yours: true });
  });

  it('decided: a party that accepted waits for the other until the appeal window ends', () => {
    const one = decided().then(cmd('AcceptDecision', buyer, day(12), { decisionId: 'dec-1' }));
    expect(seenBy(one, 'buyer').nextAction).toEqual({
      actor: 'seller',
      action: 'ACCEPT_OR_APPEAL_DECISION',
      dueAt: day(21),
      ifMissed: 'DECISION_BECOMES_FINAL',
      yours: false,
    });
    expect(seenBy(one, 'seller').nextAction).toMatchObject({ actor: 'seller', yours: true });
  });

  it('in appeal: a mediator waits for the senior mediator, who decides', () => {
    expect(seenBy(appealTaken(), 'mediator').nextAction).toMatchObject({
      actor: 'senior_mediator',
      action: 'DECIDE_APPEAL',
      yours: false,
    });
    expect(seenBy(appealTaken(), 'senior_mediator').nextAction).toMatchObject({
      actor: 'senior_mediator',
      yours: true,
    });
    // Another senior sees the holder's decision is not theirs.
    expect(seenBy(appealTaken(), senior2).nextAction).toMatchObject({
      action: 'DECIDE_APPEAL',
      yours: false,
    });
  });

  it('in appeal: every senior may take it but the one whose decision is appealed; mediators wait', () => {
    const taking = { actor: 'senior_mediator', action: 'TAKE_APPEAL', dueAt: null, ifMissed: null };
    expect(seenBy(appealed(), senior).nextAction).toEqual({ ...taking, yours: true });
    expect(seenBy(appealed(), senior2).nextAction).toEqual({ ...taking, yours: true });
    expect(seenBy(appealed(), mediator).nextAction).toEqual({ ...taking, yours: false });
    const seniorDecided = taken(P, senior)
      .then(
        cmd('DecideDispute', senior, day(11), {
          decisionId: 'dec-1',
          ruling: { kind: 'FULL_REFUND' },
          rationale: 'Photos show damage',
        }),
      )
      .then(
        cmd('AppealDecision', seller, day(12), {
          appealId: 'appeal-1',
          decisionId: 'dec-1',
          newInformation: 'Courier report attached',
        }),
      );
    expect(seenBy(seniorDecided, senior).nextAction).toEqual({ ...taking, yours: false });
    expect(seenBy(seniorDecided, senior2).nextAction).toEqual({ ...taking, yours: true });
  });

  it('a return in transit: the buyer waits for the seller; the platform is told its own part first', () => {
    expect(seenBy(returnShipped(), 'buyer').nextAction).toMatchObject({
      actor: 'seller',
      action: 'CONFIRM_RETURN_RECEIVED',
      dueAt: day(30),
      yours: false,
    });
    expect(seenBy(returnShipped(), 'platform').nextAction).toMatchObject({
      actor: 'platform',
      action: 'RECORD_RETURN_DELIVERY',
      yours: true,
    });
    expect(seenBy(refundPending(), 'seller').nextAction).toMatchObject({
      actor: 'platform',
      action: 'CONFIRM_REFUND_PAYOUT',
      yours: false,
    });
  });

  it('nothing for anyone once closed, nor before a dispute exists', () => {
    const closed = countered()
      .then(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .then(
        cmd('ConfirmRefundPayout', platform, day(9), {
          payoutReference: 'po',
          amount: { amountMinor: 3000, currency: 'EUR' },
        }),
      );
    for (const role of ROLES) {
      expect(seenBy(closed, role).nextAction).toBeNull();
      expect(seenBy(closed, role).nextActions).toEqual([]);
      expect(viewerActions(initialState, VIEWER[role], P)).toEqual([]);
    }
    const view = replayView(closed.events, 'party');
    expect(view && nextActionInView(view, buyer, P)).toBeNull();
  });
});
