import {
  DEFAULT_POLICY,
  type DisputeEvent,
  evolveView,
  fireDeadlineCommand,
  forViewer,
  initialView,
  nextActionFor,
  pendingDeadlines,
  REDACTED,
  replay,
  replayView,
  returnShippedV1ToV2,
} from '../../src/domain';
import {
  appealTaken,
  buyer,
  cmd,
  countered,
  day,
  decided,
  FULL,
  mediator,
  opened,
  returnDelivered,
  seller,
  senior,
  type Story,
  taken,
} from '../../test-support/fixtures';
import { expectViewAgrees } from '../../test-support/view-agreement';

/**
 * `evolveView`: the one fold every dispute view is built by (read models, mutation answers,
 * audit replays). Its facts follow the decider's state (see also the decider properties, which
 * check every random walk); its words and documents follow the visibility rules.
 */

const agrees = (story: Story) => expectViewAgrees(story.events, story.state, DEFAULT_POLICY);

const requested = () =>
  taken().then(
    cmd('RequestEvidence', mediator, day(10), {
      requestId: 'req-1',
      from: 'seller',
      prompt: 'Photos of the packaging, please',
    }),
  );
const answered = () =>
  requested().then(
    cmd('AddEvidence', seller, day(11), {
      evidenceId: 'ev-1',
      kind: 'TEXT',
      content: { text: 'It was wrapped twice' },
      description: 'Packaging',
      answersRequestId: 'req-1',
    }),
  );
const lapsed = () => {
  const story = requested();
  const [request] = pendingDeadlines(story.state, DEFAULT_POLICY);
  return story.then(fireDeadlineCommand(request, request.dueAt));
};
const noted = () =>
  taken().then(cmd('AddInternalNote', mediator, day(10), { noteId: 'n-1', note: 'Seen before' }));

describe('evolveView', () => {
  it('follows the decider through decisions, appeals, evidence and a disputed return', () => {
    const stories = [
      requested(),
      answered(),
      noted(),
      decided(),
      decided().then(cmd('AcceptDecision', buyer, day(12), { decisionId: 'dec-1' })),
      decided().then(
        cmd('AppealDecision', seller, day(12), {
          appealId: 'appeal-1',
          decisionId: 'dec-1',
          newInformation: 'Courier report',
        }),
      ),
      // Open requests lapse when a resolution settles the case.
      requested()
        .then(cmd('SubmitProposal', mediator, day(11), { proposalId: 'p-med-1', solution: FULL }))
        .then(cmd('AcceptProposal', buyer, day(11), { proposalId: 'p-med-1' }))
        .then(cmd('AcceptProposal', seller, day(11), { proposalId: 'p-med-1' })),
      requested().then(
        cmd('AddEvidence', buyer, day(11), {
          evidenceId: 'ev-2',
          kind: 'TEXT',
          content: { text: 'More' },
          description: 'Unasked',
          answersRequestId: null,
        }),
      ),
      lapsed(),
      returnDelivered().then(cmd('ConfirmReturnReceived', seller, day(13), {})),
      appealTaken().then(
        cmd('DecideAppeal', senior, day(14), {
          decisionId: 'dec-2',
          ruling: FULL,
          rationale: 'Final word',
        }),
      ),
      returnDelivered().then(
        cmd('DisputeReturnCondition', seller, day(13), { statement: 'Broken' }),
      ),
    ];
    for (const story of stories) agrees(story);
  });

  it('shows each audience what it may see: no internal note nor staff id for parties, no text for analysts', () => {
    const story = noted().then(
      cmd('PostMessage', buyer, day(11), { messageId: 'm-1', body: 'Any news?' }),
    );
    const staff = replayView(story.events, 'staff');
    const party = replayView(story.events, 'party');
    const forAnalysts = replayView(story.events, 'analyst');
    expect(staff).toMatchObject({
      mediatorId: mediator.id,
      internalNotes: [{ note: 'Seen before' }],
    });
    expect(party).toMatchObject({ mediatorId: null, mediatorAssigned: true, internalNotes: [] });
    // The hidden note still counts: every audience's view has the stream's revision.
    expect(party?.revision).toBe(staff?.revision);
    // But not in the sequence a party may be shown: it counts only what the audience sees.
    expect(staff).toMatchObject({ sequence: staff!.revision + 1 });
    expect(party).toMatchObject({ sequence: staff!.sequence - 1 });
    expect(forAnalysts).toMatchObject({ sequence: party!.sequence });
    expect(forAnalysts).toMatchObject({ description: REDACTED, messages: [{ body: REDACTED }] });
    expect(party?.messages).toMatchObject([{ authorRole: 'buyer', body: 'Any news?' }]);
  });

  it('never changes the view it folds onto, nor the event (each step returns a view of its own)', () => {
    const story = noted()
      .then(cmd('PostMessage', buyer, day(11), { messageId: 'm-1', body: 'Any news?' }))
      .then(
        cmd('DecideDispute', mediator, day(12), {
          decisionId: 'dec-1',
          ruling: FULL,
          rationale: 'Clear',
        }),
      );
    const frozen = <T>(value: T): T => {
      if (value && typeof value === 'object') {
        Object.values(value).forEach(frozen);
        Object.freeze(value);
      }
      return value;
    };
    for (const audience of ['staff', 'party', 'platform', 'analyst'] as const) {
      let view = initialView() as ReturnType<typeof evolveView>;
      for (const event of story.events) {
        // Frozen: any write to either throws (the spec runs in strict mode).
        const next = evolveView(frozen(view), frozen(event), audience);
        if (view !== null) expect(next).not.toBe(view);
        view = next;
      }
      expect(view).toEqual(replayView(story.events, audience));
    }
  });

  it('answers the refundable amount after a payout (what is left on the order)', () => {
    const paid = countered()
      .then(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .then(
        cmd('ConfirmRefundPayout', { id: 'platform', role: 'platform' }, day(9), {
          payoutReference: 'po-1',
          amount: { amountMinor: 3000, currency: 'EUR' },
        }),
      );
    expect(replayView(paid.events, 'party')?.refundable).toEqual({
      amountMinor: 7000,
      currency: 'EUR',
    });
    agrees(paid);
  });

  it('gives each viewer their own next action', () => {
    const story = opened();
    const view = replayView(story.events, 'party');
    if (view === null) throw new Error('no view');
    expect(forViewer(view, seller, DEFAULT_POLICY).nextAction).toMatchObject({
      action: 'RESPOND_TO_DISPUTE',
    });
    // The buyer is told whom they wait for, and until when.
    expect(forViewer(view, buyer, DEFAULT_POLICY).nextAction).toMatchObject({
      actor: 'seller',
      action: 'RESPOND_TO_DISPUTE',
      yours: false,
    });
    expect(nextActionFor({ status: 'NONE', revision: -1 }, 'buyer', DEFAULT_POLICY)).toBeNull();
  });

  it('ignores what cannot be folded: events before an opening, unknown types, a second opening', () => {
    const [opening, response] = countered().events;
    expect(evolveView(initialView(), response, 'staff')).toBeNull();
    const view = evolveView(initialView(), opening, 'staff');
    expect(evolveView(view, opening, 'staff')).toMatchObject({
      revision: 1,
      status: 'AWAITING_SELLER',
    });
    const unknown = { type: 'SomethingNew', data: { at: day(20) } } as unknown as DisputeEvent;
    expect(evolveView(view, unknown, 'staff')).toMatchObject({ revision: 1, updatedAt: day(20) });
    const noAt = { type: 'SomethingNew', data: {} } as unknown as DisputeEvent;
    expect(evolveView(view, noAt, 'staff')?.updatedAt).toBe(view?.updatedAt);
    // A decision accepted with none on record (never written by the decider) changes nothing.
    const accepted = {
      type: 'DecisionAccepted',
      data: { decisionId: 'x', acceptedBy: 'buyer', by: buyer, at: day(7) },
    } as unknown as DisputeEvent;
    expect(evolveView(view, accepted, 'staff')?.decision).toBeNull();
  });

  it('folds the rarer shapes older streams hold as the decider does', () => {
    const base = requested().then(
      cmd('RequestEvidence', mediator, day(10), {
        requestId: 'req-2',
        from: 'buyer',
        prompt: 'And you?',
      }),
    );
    const [first, second] = pendingDeadlines(base.state, DEFAULT_POLICY);
    const at = day(12);
    const by = mediator;
    const events = (...more: object[]) => [...base.events, ...(more as DisputeEvent[])];
    const histories = [
      // A proposal accepted after a resolution superseded it.
      events({
        type: 'ProposalAccepted',
        data: { proposalId: 'gone', proposer: 'mediator', acceptedBy: 'buyer', by: buyer, at },
      }),
      // Evidence as a file; one request lapses, the other stays open, then a resolution.
      events(
        {
          type: 'EvidenceAdded',
          data: {
            evidenceId: 'ev-9',
            submittedBy: 'seller',
            kind: 'PHOTO',
            content: { file: { fileId: 'f-1' } },
            description: 'Photo',
            answersRequestId: first.requestId,
            by: seller,
            at,
          },
        },
        {
          type: 'DeadlinePassed',
          data: {
            kind: 'EVIDENCE_REQUEST',
            dueAt: second.dueAt,
            requestId: second.requestId,
            by,
            at,
          },
        },
        {
          type: 'DisputeResolved',
          data: {
            ruling: FULL,
            outcome: 'BUYER_FULL_REFUND',
            reachedBy: 'MEDIATION',
            refundAmount: { amountMinor: 10_000, currency: 'EUR' },
            returnRequired: false,
            returnShippingPaidBy: null,
            by,
            at,
          },
        },
        // A resolved case escalated again (a return never recorded as delivered).
        { type: 'DisputeEscalated', data: { trigger: 'RETURN_DELIVERY_MISSED', by, at } },
      ),
      // A return shipped before the delivery clock existed, read through its upcaster.
      [
        ...returnDelivered().events.slice(0, -2),
        {
          type: 'ReturnShipped',
          data: returnShippedV1ToV2({
            disputeId: base.events[0].data.disputeId,
            carrier: 'bpost',
            trackingNumber: 'T',
            by: buyer,
            at,
          }),
        } as DisputeEvent,
      ],
    ];
    for (const history of histories) expectViewAgrees(history, replay(history), DEFAULT_POLICY);
  });
});
