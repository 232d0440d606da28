import {
  appealTaken,
  buyer,
  cmd,
  codeOf,
  decided,
  countered,
  day,
  eur,
  FULL,
  given,
  mediator,
  mediator2,
  opened,
  otherBuyer,
  partial,
  platform,
  refundPending,
  rejected,
  returnDelivered,
  returnRequested,
  returnShipped,
  seller,
  senior,
  taken,
  escalated,
} from '../../test-support/fixtures';
import { initialState, requireTakesEvidenceFrom, takesEvidenceFrom } from '../../src/domain';

const cancelled = () =>
  countered().then(cmd('CancelDispute', buyer, day(8), { comment: 'Sorted it out' }));
const closed = () =>
  refundPending().then(
    cmd('ConfirmRefundPayout', platform, day(9), {
      payoutReference: 'PAYOUT-1',
      amount: eur(3000),
    }),
  );

const propose = (actor = buyer, proposalId = 'p-new', solution = partial(5000), now = day(8)) =>
  cmd('SubmitProposal', actor, now, { proposalId, solution });

describe('proposals', () => {
  it('the buyer modifies the claim before the seller answered: it replaces the first one', () => {
    given(opened())
      .when(propose(buyer, 'p-buyer-2', partial(7000), day(6.5)))
      .thenMatch([
        {
          type: 'ProposalSubmitted',
          data: { proposer: 'buyer', replaces: 'p-buyer-1', solution: partial(7000) },
        },
      ]);
  });

  it('the seller proposes only after responding', () => {
    given(opened()).when(propose(seller)).thenFails('DISPUTE_NOT_IN_NEGOTIATION');
    given(rejected())
      .when(propose(seller, 'p-s'))
      .thenMatch([{ data: { proposer: 'seller', replaces: null } }]);
  });

  it('either party proposes while negotiating or in mediation', () => {
    given(countered())
      .when(propose(seller, 'p-s2'))
      .thenMatch([{ data: { replaces: 'p-seller-1' } }]);
    given(escalated())
      .when(propose(buyer))
      .thenMatch([{ type: 'ProposalSubmitted' }]);
  });

  it('refuses strangers, other roles, reused ids, excessive refunds and SELLER_FAVOUR', () => {
    given(countered()).when(propose(otherBuyer)).thenFails('NOT_A_PARTY');
    given(countered()).when(propose(platform)).thenFails('FORBIDDEN_FOR_ROLE');
    given(countered()).when(propose(buyer, 'p-seller-1')).thenFails('DUPLICATE_ID');
    given(countered())
      .when(propose(buyer, 'p-x', partial(10_001)))
      .thenFails('REFUND_EXCEEDS_ORDER_TOTAL');
    given(countered())
      .when(propose(buyer, 'p-x', { kind: 'SELLER_FAVOUR' } as never))
      .thenFails('INVALID_COMMAND');
  });

  it('the assigned mediator proposes a platform solution in mediation only', () => {
    given(taken())
      .when(propose(mediator, 'p-med'))
      .thenMatch([{ data: { proposer: 'mediator' } }]);
    given(taken()).when(propose(mediator2, 'p-med')).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(countered()).when(propose(mediator, 'p-med')).thenFails('DISPUTE_NOT_IN_MEDIATION');
  });

  it('a party withdraws its own current proposal while negotiating', () => {
    const withdraw = (actor = seller, proposalId = 'p-seller-1') =>
      cmd('WithdrawProposal', actor, day(8), { proposalId });
    const state = given(countered()).when(withdraw()).thenState();
    expect(state).toMatchObject({ proposals: { seller: null } });
    given(countered()).when(withdraw(buyer, 'p-seller-1')).thenFails('PROPOSAL_NOT_FOUND');
    given(rejected()).when(withdraw(seller, 'p-seller-1')).thenFails('PROPOSAL_NOT_FOUND');
    given(opened()).when(withdraw(buyer, 'p-buyer-1')).thenFails('DISPUTE_NOT_IN_NEGOTIATION');
  });

  it('accepting the other party proposal settles by AGREEMENT', () => {
    given(countered())
      .when(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .thenMatch([
        { type: 'ProposalAccepted', data: { proposer: 'seller', acceptedBy: 'buyer' } },
        {
          type: 'DisputeResolved',
          data: {
            outcome: 'BUYER_PARTIAL_REFUND',
            reachedBy: 'AGREEMENT',
            refundAmount: eur(3000),
          },
        },
      ]);
    given(countered())
      .when(cmd('AcceptProposal', seller, day(8), { proposalId: 'p-buyer-1' }))
      .thenMatch([
        { type: 'ProposalAccepted' },
        { data: { outcome: 'BUYER_FULL_REFUND', ruling: FULL } },
      ]);
  });

  it('refuses accepting one own proposal, an unknown one, or outside negotiation', () => {
    const accept = (actor = buyer, proposalId = 'p-seller-1') =>
      cmd('AcceptProposal', actor, day(8), { proposalId });
    given(countered()).when(accept(buyer, 'p-buyer-1')).thenFails('CANNOT_ACCEPT_OWN_PROPOSAL');
    given(countered()).when(accept(buyer, 'p-nope')).thenFails('PROPOSAL_NOT_FOUND');
    given(opened()).when(accept(seller, 'p-buyer-1')).thenFails('DISPUTE_NOT_IN_NEGOTIATION');
    given(countered()).when(accept(mediator)).thenFails('FORBIDDEN_FOR_ROLE');
  });

  it('the mediator proposal needs both parties; the second acceptance settles by MEDIATION', () => {
    const withProposal = taken().then(propose(mediator, 'p-med', { kind: 'RESEND' }));
    const accept = (actor: typeof buyer) =>
      cmd('AcceptProposal', actor, day(11), { proposalId: 'p-med' });
    given(withProposal)
      .when(accept(buyer))
      .thenMatch([{ type: 'ProposalAccepted', data: { proposer: 'mediator' } }]);
    const oneAccepted = withProposal.then(accept(buyer));
    given(oneAccepted).when(accept(buyer)).thenFails('PROPOSAL_ALREADY_ACCEPTED');
    given(oneAccepted)
      .when(accept(seller))
      .thenMatch([
        { type: 'ProposalAccepted' },
        {
          type: 'DisputeResolved',
          data: { outcome: 'RESEND', reachedBy: 'MEDIATION', refundAmount: null },
        },
        { type: 'ReplacementRequested', data: { kind: 'RESEND' } },
      ]);
  });
});

describe('evidence', () => {
  const photo = { file: { sha256: 'a'.repeat(64), mediaType: 'image/jpeg', sizeBytes: 2048 } };
  const add = (over: Partial<Parameters<typeof cmd<'AddEvidence'>>[3]> = {}, actor = buyer) =>
    cmd('AddEvidence', actor, day(8), {
      evidenceId: 'e-1',
      kind: 'PHOTO',
      content: photo,
      description: 'box',
      ...over,
    });

  it('either party adds text or file evidence in any open state', () => {
    given(opened())
      .when(add())
      .thenMatch([
        { type: 'EvidenceAdded', data: { submittedBy: 'buyer', answersRequestId: null } },
      ]);
    given(countered())
      .when(add({ kind: 'TEXT', content: { text: 'It arrived broken' } }, seller))
      .thenMatch([{ data: { submittedBy: 'seller', content: { text: 'It arrived broken' } } }]);
    given(countered())
      .when(add({ kind: 'TRACKING', content: { text: 'TRK' } }))
      .thenMatch([{ data: { kind: 'TRACKING' } }]);
    given(countered())
      .when(add({ kind: 'TRACKING', content: photo }))
      .thenMatch([{ data: { kind: 'TRACKING' } }]);
  });

  it('refuses malformed evidence', () => {
    const cases = [
      { kind: 'SMELL' as never },
      { kind: 'TEXT' as const },
      { kind: 'PHOTO' as const, content: { text: 'nope' } },
      { content: { text: 'x', file: photo.file } as never },
      { content: {} as never },
      { content: { file: { ...photo.file, sha256: 'xyz' } } },
      { content: { file: { ...photo.file, mediaType: 'jpeg' } } },
      { content: { file: { ...photo.file, sizeBytes: 0 } } },
      { content: { file: { ...photo.file, sizeBytes: 1.5 } } },
      { kind: 'TEXT' as const, content: { text: '' } },
    ];
    for (const over of cases) given(countered()).when(add(over)).thenFails('INVALID_EVIDENCE');
    given(countered())
      .when(add({ description: undefined as never }))
      .thenFails('INVALID_COMMAND');
    given(countered())
      .when(add({ evidenceId: 'p-seller-1' }))
      .thenFails('DUPLICATE_ID');
  });

  it('is refused to strangers and staff', () => {
    given(countered()).when(add({}, otherBuyer)).thenFails('NOT_A_PARTY');
    given(countered()).when(add({}, senior)).thenFails('FORBIDDEN_FOR_ROLE');
  });

  const notFound = { content: { file: null } };

  it('refuses a file the party did not upload to this dispute, after checking who and when', () => {
    given(countered()).when(add(notFound)).thenFails('EVIDENCE_FILE_NOT_FOUND');
    given(countered()).when(add(notFound, seller)).thenFails('EVIDENCE_FILE_NOT_FOUND');
    // Who may not add evidence hears that, whether or not the file exists.
    given(countered()).when(add(notFound, otherBuyer)).thenFails('NOT_A_PARTY');
    given(countered()).when(add(notFound, mediator)).thenFails('FORBIDDEN_FOR_ROLE');
    given(countered()).when(add(notFound, platform)).thenFails('FORBIDDEN_FOR_ROLE');
    given(refundPending()).when(add(notFound)).thenFails('DISPUTE_ALREADY_RESOLVED');
    given(cancelled()).when(add(notFound)).thenFails('DISPUTE_CLOSED');
  });

  it('is taken while argued and during a return', () => {
    for (const story of [opened(), countered(), taken(), decided(), appealTaken()]) {
      given(story)
        .when(add())
        .thenMatch([{ type: 'EvidenceAdded' }]);
    }
    // The seller's photos of the item that came back, before disputing its condition.
    for (const story of [returnRequested(), returnShipped(), returnDelivered()]) {
      given(story)
        .when(add({}, seller))
        .thenMatch([{ type: 'EvidenceAdded', data: { submittedBy: 'seller' } }]);
    }
  });

  it('tells the app who may add evidence now, before it looks a file up', () => {
    expect(takesEvidenceFrom(buyer, countered().state)).toBe(true);
    expect(takesEvidenceFrom(seller, returnDelivered().state)).toBe(true);
    expect(takesEvidenceFrom(otherBuyer, countered().state)).toBe(false);
    expect(takesEvidenceFrom(mediator, taken().state)).toBe(false);
    expect(takesEvidenceFrom(buyer, refundPending().state)).toBe(false);
    expect(takesEvidenceFrom(buyer, cancelled().state)).toBe(false);
    expect(takesEvidenceFrom(buyer, initialState)).toBe(false);
    expect(codeOf(() => requireTakesEvidenceFrom(buyer, initialState))).toBe('DISPUTE_NOT_FOUND');
  });

  it('is refused once only the refund is left, and on a cancelled or closed dispute', () => {
    given(refundPending()).when(add()).thenFails('DISPUTE_ALREADY_RESOLVED');
    given(refundPending()).when(add({}, seller)).thenFails('DISPUTE_ALREADY_RESOLVED');
    given(cancelled()).when(add()).thenFails('DISPUTE_CLOSED');
    given(closed()).when(add({}, seller)).thenFails('DISPUTE_CLOSED');
  });
});

describe('messages', () => {
  const post = (actor = buyer, messageId = 'm-1', body = 'Hello') =>
    cmd('PostMessage', actor, day(8), { messageId, body });

  it('parties post in an open dispute, the mediator on a case they took', () => {
    given(countered())
      .when(post())
      .thenMatch([{ type: 'MessagePosted', data: { body: 'Hello', by: buyer } }]);
    given(taken())
      .when(post(mediator))
      .thenMatch([{ data: { by: mediator } }]);
  });

  it('refuses strangers, empty or oversized bodies and reused ids', () => {
    given(countered()).when(post(otherBuyer)).thenFails('NOT_A_PARTY');
    given(countered()).when(post(platform)).thenFails('FORBIDDEN_FOR_ROLE');
    // Staff speak on a case in mediation only, and then only its holder or a senior.
    given(countered()).when(post(mediator)).thenFails('DISPUTE_NOT_IN_MEDIATION');
    given(taken()).when(post(mediator2)).thenFails('NOT_ASSIGNED_MEDIATOR');
    given(countered())
      .when(post(buyer, 'm-1', ' '))
      .thenFails('INVALID_COMMAND');
    given(countered())
      .when(post(buyer, 'm-1', 'x'.repeat(10_001)))
      .thenFails('INVALID_COMMAND');
    given(countered().then(post())).when(post()).thenFails('DUPLICATE_ID');
  });
});
