import { definePolicy, type Ruling } from '../../src/domain';
import {
  appealed,
  appealTaken,
  buyer,
  cmd,
  countered,
  day,
  decided,
  escalated,
  eur,
  given,
  mediator,
  mediator2,
  otherBuyer,
  partial,
  SELLER_FAVOUR,
  seller,
  senior,
  taken,
} from '../../test-support/fixtures';

const take = (actor = mediator, now = day(10)) => cmd('TakeCase', actor, now, {});
const request = (actor = mediator, requestId = 'r-1', from: 'buyer' | 'seller' = 'buyer') =>
  cmd('RequestEvidence', actor, day(10.5), {
    requestId,
    from,
    prompt: 'Send a photo of the label',
  });
const decide = (actor = mediator, ruling: Ruling = partial(5000), decisionId = 'dec-1') =>
  cmd('DecideDispute', actor, day(11), { decisionId, ruling, rationale: 'Photos show damage' });
const appeal = (actor = seller, now = day(12), newInformation = 'Courier report') =>
  cmd('AppealDecision', actor, now, { appealId: 'appeal-1', decisionId: 'dec-1', newInformation });
const acceptDecision = (actor = buyer, decisionId = 'dec-1') =>
  cmd('AcceptDecision', actor, day(12), { decisionId });

describe('taking a case', () => {
  it('a mediator takes an unassigned case', () => {
    given(escalated())
      .when(take())
      .thenMatch([{ type: 'CaseTaken', data: { by: mediator, previousMediatorId: null } }]);
  });

  it('is idempotent for the holder and refused to another mediator', () => {
    given(taken()).when(take()).thenNothing();
    given(taken()).when(take(mediator2)).thenFails('CASE_ALREADY_ASSIGNED');
  });

  it('a senior mediator may take over', () => {
    given(taken())
      .when(take(senior))
      .thenMatch([{ data: { previousMediatorId: mediator.id } }]);
  });

  it('only staff, only in mediation or appeal, and appeals only by a senior', () => {
    given(escalated()).when(take(buyer)).thenFails('FORBIDDEN_FOR_ROLE');
    given(countered()).when(take()).thenFails('DISPUTE_NOT_IN_MEDIATION');
    given(appealed())
      .when(take(mediator, day(13)))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(appealed())
      .when(take(senior, day(13)))
      .thenMatch([{ type: 'CaseTaken' }]);
  });
});

describe('evidence requests', () => {
  it('the assigned mediator asks a party, with a deadline', () => {
    given(taken())
      .when(request())
      .thenMatch([
        { type: 'EvidenceRequested', data: { from: 'buyer', partyId: buyer.id, dueAt: day(13.5) } },
      ]);
    given(taken())
      .when(request(mediator, 'r-2', 'seller'))
      .thenMatch([{ data: { partyId: seller.id } }]);
  });

  it('refuses others, other states and bad input', () => {
    given(taken()).when(request(mediator2)).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(taken()).when(request(buyer)).thenFails('FORBIDDEN_FOR_ROLE');
    given(countered()).when(request()).thenFails('DISPUTE_NOT_IN_MEDIATION');
    given(taken())
      .when(request(mediator, 'r-1', 'platform' as never))
      .thenFails('INVALID_COMMAND');
  });

  it('the requested party answers with evidence; others cannot answer it', () => {
    const asked = taken().then(request());
    const answer = (actor = buyer, requestId = 'r-1') =>
      cmd('AddEvidence', actor, day(11), {
        evidenceId: 'e-9',
        kind: 'TEXT',
        content: { text: 'here' },
        description: '',
        answersRequestId: requestId,
      });
    const state = given(asked).when(answer()).thenState();
    expect(state).toMatchObject({ evidenceRequests: [{ requestId: 'r-1', status: 'ANSWERED' }] });
    given(asked).when(answer(seller)).thenFails('EVIDENCE_REQUEST_NOT_OPEN');
    given(asked).when(answer(buyer, 'r-404')).thenFails('EVIDENCE_REQUEST_NOT_OPEN');
    given(asked.then(answer()))
      .when({ ...answer(), data: { ...answer().data, evidenceId: 'e-10' } })
      .thenFails('EVIDENCE_REQUEST_NOT_OPEN');
  });
});

describe('internal notes', () => {
  const note = (actor = mediator, now = day(10.5)) =>
    cmd('AddInternalNote', actor, now, { noteId: 'n-1', note: 'Buyer has many disputes' });

  it('the mediator holding the case notes it; a senior notes any case in mediation', () => {
    given(taken())
      .when(note())
      .thenMatch([{ type: 'InternalNoteAdded', data: { note: 'Buyer has many disputes' } }]);
    given(escalated())
      .when(note(senior))
      .thenMatch([{ type: 'InternalNoteAdded', data: { by: senior } }]);
  });

  it('other mediators, and any staff before escalation, only read', () => {
    given(taken()).when(note(mediator2)).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(escalated()).when(note()).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(countered())
      .when(note(senior, day(8)))
      .thenFails('DISPUTE_NOT_IN_MEDIATION');
  });

  it('parties cannot write notes', () => {
    given(countered())
      .when(cmd('AddInternalNote', buyer, day(8), { noteId: 'n-1', note: 'x' }))
      .thenFails('FORBIDDEN_FOR_ROLE');
  });
});

describe('the mediator decides', () => {
  it('opens the appeal window', () => {
    const state = given(taken()).when(decide()).thenState();
    expect(state).toMatchObject({
      status: 'DECIDED',
      deadline: { kind: 'APPEAL_WINDOW', dueAt: day(21) },
      decision: { decisionId: 'dec-1', stage: 'MEDIATION', final: false },
    });
  });

  it('is final at once when no appeal is allowed', () => {
    given(taken(definePolicy({ maxAppeals: 0 })))
      .when(decide(mediator, SELLER_FAVOUR))
      .thenMatch([
        { type: 'DisputeDecided', data: { final: true, appealDueAt: null } },
        { type: 'DisputeResolved', data: { outcome: 'SELLER_FAVOUR', reachedBy: 'MEDIATION' } },
        { type: 'DisputeClosed', data: { outcome: 'SELLER_FAVOUR', reachedBy: 'MEDIATION' } },
      ]);
  });

  it('waits for an open evidence request, not for a lapsed one', () => {
    const asked = taken().then(request());
    given(asked).when(decide()).thenFails('EVIDENCE_REQUEST_PENDING');
    const lapsed = asked.then(
      cmd('FireDeadline', { id: 's', role: 'system' }, day(14), {
        kind: 'EVIDENCE_REQUEST',
        dueAt: day(13.5),
        requestId: 'r-1',
      }),
    );
    given(lapsed)
      .when(decide())
      .thenMatch([{ type: 'DisputeDecided' }]);
  });

  it('refuses others, other states and invalid rulings', () => {
    given(taken()).when(decide(mediator2)).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(taken()).when(decide(seller)).thenFails('FORBIDDEN_FOR_ROLE');
    given(escalated()).when(decide()).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(countered()).when(decide()).thenFails('DISPUTE_NOT_IN_MEDIATION');
    given(taken())
      .when(decide(mediator, partial(20_000)))
      .thenFails('REFUND_EXCEEDS_ORDER_TOTAL');
    given(taken())
      .when(
        cmd('DecideDispute', mediator, day(11), {
          decisionId: 'dec-1',
          ruling: SELLER_FAVOUR,
          rationale: '',
        }),
      )
      .thenFails('INVALID_COMMAND');
  });
});

describe('answering a decision', () => {
  it('one acceptance waits for the other party; both settle by MEDIATION', () => {
    given(decided())
      .when(acceptDecision())
      .thenMatch([{ type: 'DecisionAccepted', data: { acceptedBy: 'buyer' } }]);
    const one = decided().then(acceptDecision());
    given(one).when(acceptDecision()).thenFails('DECISION_ALREADY_ACCEPTED');
    given(one)
      .when(acceptDecision(seller))
      .thenMatch([
        { type: 'DecisionAccepted' },
        { type: 'DisputeResolved', data: { reachedBy: 'MEDIATION', refundAmount: eur(5000) } },
      ]);
  });

  it('refuses a stale decision id, other states and strangers', () => {
    given(decided()).when(acceptDecision(buyer, 'dec-0')).thenFails('DECISION_NOT_FOUND');
    given(taken()).when(acceptDecision()).thenFails('DISPUTE_NOT_DECIDED');
    given(decided()).when(acceptDecision(otherBuyer)).thenFails('NOT_A_PARTY');
  });

  it('a party appeals within the window with new information', () => {
    given(decided())
      .when(appeal())
      .thenMatch([
        {
          type: 'DecisionAppealed',
          data: { appellant: 'seller', appealNumber: 1, decisionId: 'dec-1' },
        },
      ]);
    expect(appealed().state).toMatchObject({
      status: 'IN_APPEAL',
      appealsUsed: 1,
      mediatorId: null,
      deadline: null,
    });
  });

  it('refuses an appeal after the window, without new information, beyond maxAppeals, or after accepting', () => {
    given(decided())
      .when(appeal(seller, day(21)))
      .thenFails('APPEAL_WINDOW_CLOSED');
    given(decided())
      .when(appeal(seller, day(12), ' '))
      .thenFails('NEW_INFORMATION_REQUIRED');
    // the deployment lowered maxAppeals after the decision was taken
    given(decided(), definePolicy({ maxAppeals: 0 }))
      .when(appeal())
      .thenFails('APPEAL_LIMIT_REACHED');
    given(decided().then(acceptDecision(seller)))
      .when(appeal())
      .thenFails('DECISION_ALREADY_ACCEPTED');
    given(taken()).when(appeal()).thenFails('DISPUTE_NOT_DECIDED');
  });

  it('the senior decision on appeal is final and settles by APPEAL', () => {
    given(appealTaken())
      .when(
        cmd('DecideAppeal', senior, day(14), {
          decisionId: 'dec-2',
          ruling: partial(2000),
          rationale: 'Report',
        }),
      )
      .thenMatch([
        { type: 'DisputeDecided', data: { stage: 'APPEAL', final: true } },
        {
          type: 'DisputeResolved',
          data: { reachedBy: 'APPEAL', outcome: 'BUYER_PARTIAL_REFUND', refundAmount: eur(2000) },
        },
      ]);
  });

  it('with more appeals allowed, the senior decision opens a new window', () => {
    const policy = definePolicy({ maxAppeals: 2 });
    const state = given(appealTaken(policy))
      .when(
        cmd('DecideAppeal', senior, day(14), {
          decisionId: 'dec-2',
          ruling: SELLER_FAVOUR,
          rationale: 'Report',
        }),
      )
      .thenState();
    expect(state).toMatchObject({ status: 'DECIDED', decision: { stage: 'APPEAL', final: false } });
  });

  it('both parties accepting a non-final senior decision settle by APPEAL', () => {
    const policy = definePolicy({ maxAppeals: 2 });
    const reDecided = appealTaken(policy)
      .then(
        cmd('DecideAppeal', senior, day(14), {
          decisionId: 'dec-2',
          ruling: partial(1000),
          rationale: 'r',
        }),
      )
      .then(acceptDecision(buyer, 'dec-2'));
    given(reDecided)
      .when(acceptDecision(seller, 'dec-2'))
      .thenMatch([
        { type: 'DecisionAccepted' },
        { type: 'DisputeResolved', data: { reachedBy: 'APPEAL' } },
      ]);
  });

  it('only an assigned senior mediator decides an appeal, only in appeal', () => {
    const decideAppeal = (actor = senior) =>
      cmd('DecideAppeal', actor, day(14), {
        decisionId: 'dec-2',
        ruling: SELLER_FAVOUR,
        rationale: 'r',
      });
    given(appealTaken()).when(decideAppeal(mediator)).thenFails('FORBIDDEN_FOR_ROLE');
    given(appealed()).when(decideAppeal()).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(taken()).when(decideAppeal()).thenFails('DISPUTE_NOT_IN_APPEAL');
  });
});
