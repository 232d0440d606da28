import { definePolicy, type DeadlineKind } from '../../src/domain';
import {
  buyer,
  cmd,
  countered,
  day,
  decided,
  eur,
  given,
  mediator,
  opened,
  partial,
  rejected,
  returnAddressGiven,
  returnRequested,
  returnDelivered,
  returnShipped,
  seller,
  system,
  taken,
  appealTaken,
  senior,
} from '../../test-support/fixtures';

const fire = (kind: DeadlineKind, dueAt: string, now = dueAt, requestId?: string | null) =>
  cmd('FireDeadline', system, now, { kind, dueAt, requestId });

describe('seller response deadline', () => {
  it('accepts the buyer proposal on the seller behalf by default (SELLER_TIMEOUT)', () => {
    given(opened())
      .when(fire('SELLER_RESPONSE', day(11)))
      .thenMatch([
        {
          type: 'DeadlinePassed',
          data: { kind: 'SELLER_RESPONSE', dueAt: day(11), requestId: null, by: system },
        },
        {
          type: 'ProposalAccepted',
          data: { proposalId: 'p-buyer-1', acceptedBy: 'seller', onBehalf: true },
        },
        {
          type: 'DisputeResolved',
          data: { reachedBy: 'SELLER_TIMEOUT', outcome: 'BUYER_FULL_REFUND' },
        },
      ]);
  });

  it('escalates instead when the policy says so', () => {
    const policy = definePolicy({ onSellerSilence: 'escalate' });
    given(opened(policy))
      .when(fire('SELLER_RESPONSE', day(11)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'DisputeEscalated', data: { trigger: 'SELLER_SILENCE' } },
      ]);
  });

  it('does nothing once the seller answered, or for another dueAt, and refuses to fire early', () => {
    given(countered())
      .when(fire('SELLER_RESPONSE', day(11)))
      .thenNothing();
    given(opened())
      .when(fire('SELLER_RESPONSE', day(12)))
      .thenNothing();
    given(opened())
      .when(fire('NEGOTIATION', day(11)))
      .thenNothing();
    given(opened())
      .when(fire('SELLER_RESPONSE', day(11), day(10)))
      .thenFails('DEADLINE_NOT_DUE');
  });

  it('is fired by the system only', () => {
    given(opened())
      .when(cmd('FireDeadline', buyer, day(11), { kind: 'SELLER_RESPONSE', dueAt: day(11) }))
      .thenFails('FORBIDDEN_FOR_ROLE');
  });

  it('fires once: a second firing does nothing', () => {
    const fired = opened().then(fire('SELLER_RESPONSE', day(11)));
    given(fired)
      .when(fire('SELLER_RESPONSE', day(11), day(12)))
      .thenNothing();
  });
});

describe('negotiation deadline', () => {
  it('escalates to mediation by itself', () => {
    given(rejected())
      .when(fire('NEGOTIATION', day(22)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        {
          type: 'DisputeEscalated',
          data: { trigger: 'NEGOTIATION_TIMEOUT', sellerRejected: true },
        },
      ]);
  });
});

describe('evidence request deadline', () => {
  const asked = () =>
    taken().then(
      cmd('RequestEvidence', mediator, day(10.5), {
        requestId: 'r-1',
        from: 'buyer',
        prompt: 'label?',
      }),
    );

  it('marks the request lapsed', () => {
    const state = given(asked())
      .when(fire('EVIDENCE_REQUEST', day(13.5), day(14), 'r-1'))
      .thenState();
    expect(state).toMatchObject({
      status: 'IN_MEDIATION',
      evidenceRequests: [{ status: 'LAPSED' }],
    });
  });

  it('does nothing for an answered or unknown request, or once the case left mediation', () => {
    const answered = asked().then(
      cmd('AddEvidence', buyer, day(11), {
        evidenceId: 'e',
        kind: 'TEXT',
        content: { text: 'x' },
        description: '',
        answersRequestId: 'r-1',
      }),
    );
    given(answered)
      .when(fire('EVIDENCE_REQUEST', day(13.5), day(14), 'r-1'))
      .thenNothing();
    given(asked())
      .when(fire('EVIDENCE_REQUEST', day(13.5), day(14), 'r-2'))
      .thenNothing();
    given(asked())
      .when(fire('EVIDENCE_REQUEST', day(13.5), day(14)))
      .thenNothing();
    const cancelled = asked().then(cmd('CancelDispute', buyer, day(11), { comment: '' }));
    given(cancelled)
      .when(fire('EVIDENCE_REQUEST', day(13.5), day(14), 'r-1'))
      .thenNothing();
  });
});

describe('appeal window', () => {
  it('makes the mediator decision final (MEDIATION)', () => {
    given(decided())
      .when(fire('APPEAL_WINDOW', day(21)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'DisputeResolved', data: { reachedBy: 'MEDIATION', refundAmount: eur(5000) } },
      ]);
  });

  it('makes a senior decision final (APPEAL) when more appeals were allowed', () => {
    const policy = definePolicy({ maxAppeals: 2 });
    const reDecided = appealTaken(policy).then(
      cmd('DecideAppeal', senior, day(14), {
        decisionId: 'dec-2',
        ruling: partial(100),
        rationale: 'r',
      }),
    );
    given(reDecided)
      .when(fire('APPEAL_WINDOW', day(24)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'DisputeResolved', data: { reachedBy: 'APPEAL' } },
      ]);
  });
});

describe('return deadlines', () => {
  it('no return address: refund without return (RETURN_TIMEOUT)', () => {
    given(returnRequested())
      .when(fire('RETURN_ADDRESS', day(13)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'RefundReleased', data: { cause: 'NO_RETURN_ADDRESS', amount: eur(6000) } },
      ]);
    const state = returnRequested().then(fire('RETURN_ADDRESS', day(13))).state;
    expect(state).toMatchObject({ status: 'REFUND_PENDING', refundReachedBy: 'RETURN_TIMEOUT' });
  });

  it('no return shipped: closes in the seller favour (RETURN_TIMEOUT)', () => {
    given(returnAddressGiven())
      .when(fire('RETURN_SHIPMENT', day(19)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        {
          type: 'DisputeClosed',
          data: { outcome: 'SELLER_FAVOUR', reachedBy: 'RETURN_TIMEOUT', refunded: null },
        },
      ]);
  });

  it('receipt of a delivered return not confirmed: refund (RETURN_TIMEOUT)', () => {
    given(returnDelivered())
      .when(fire('RETURN_RECEIPT', day(22)))
      .thenMatch([
        { type: 'DeadlinePassed' },
        { type: 'RefundReleased', data: { cause: 'RECEIPT_NOT_CONFIRMED', amount: eur(6000) } },
      ]);
    const state = returnDelivered().then(fire('RETURN_RECEIPT', day(22))).state;
    expect(state).toMatchObject({ status: 'REFUND_PENDING', refundReachedBy: 'RETURN_TIMEOUT' });
  });

  it('a return in transit that never arrives is never refunded by a timer', () => {
    // What shipping used to arm (ship day 10 + returnReceiptDays), and any later instant.
    given(returnShipped())
      .when(fire('RETURN_RECEIPT', day(20)))
      .thenNothing();
    given(returnShipped())
      .when(fire('RETURN_RECEIPT', day(20), day(400)))
      .thenNothing();
    // What runs instead is the platform's delivery record (returns-and-deadlines.unit.spec.ts).
    expect(returnShipped().state).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_DELIVERY', dueAt: day(30) },
    });
  });

  it('the receipt deadline runs from delivery, not shipment: not before it is due', () => {
    given(returnDelivered())
      .when(fire('RETURN_RECEIPT', day(20)))
      .thenNothing();
    given(returnDelivered())
      .when(fire('RETURN_RECEIPT', day(22), day(21)))
      .thenFails('DEADLINE_NOT_DUE');
  });

  it('once the seller confirmed or disputed the return, the receipt deadline does nothing', () => {
    const received = returnDelivered().then(cmd('ConfirmReturnReceived', seller, day(13), {}));
    given(received)
      .when(fire('RETURN_RECEIPT', day(22)))
      .thenNothing();
    const disputed = returnDelivered().then(
      cmd('DisputeReturnCondition', seller, day(13), { statement: 'Scratched' }),
    );
    given(disputed)
      .when(fire('RETURN_RECEIPT', day(22)))
      .thenNothing();
  });

  it('a timer on a closed dispute does nothing', () => {
    const closed = returnAddressGiven().then(fire('RETURN_SHIPMENT', day(19)));
    expect(closed.state.status).toBe('CLOSED');
    given(closed)
      .when(fire('RETURN_SHIPMENT', day(19), day(30)))
      .thenNothing();
  });

  it('refuses a malformed dueAt', () => {
    given(returnDelivered()).when(fire('RETURN_RECEIPT', 'tomorrow')).thenFails('INVALID_INSTANT');
  });
});
