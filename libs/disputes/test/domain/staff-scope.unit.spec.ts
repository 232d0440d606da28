import type { Actor, DisputeCommand, DomainErrorCode } from '../../src/domain';
import {
  appealed,
  appealTaken,
  buyer,
  cmd,
  codeOf,
  countered,
  day,
  decided,
  escalated,
  given,
  mediator,
  mediator2,
  partial,
  platform,
  refundPending,
  seller,
  senior,
  type Story,
  taken,
} from '../../test-support/fixtures';
import { decide } from '../../src/domain';

/**
 * The staff-scope matrix (docs/domain.md#staff-scope): who may speak on a case and who may steer
 * it, on a dispute before escalation, escalated but untaken, taken, decided, appealed and with the
 * appeal taken. `mediator` is the one who takes the case in `taken()`; `mediator2` another
 * mediator; `senior` a senior mediator who does not hold the case (except in `appealTaken()`).
 *
 * - speak (PostMessage, AddInternalNote): the holder, or a senior while the case is before the
 *   mediators (IN_MEDIATION, DECIDED, IN_APPEAL);
 * - steer (RequestEvidence, SubmitProposal, DecideDispute, DecideAppeal): the holder only — a
 *   senior takes the case over first (TakeCase), so one accountable person steers it;
 * - the platform records order facts and payouts: none of these.
 */

const OK = 'ok';
const ROLE = 'FORBIDDEN_FOR_ROLE';
const NA = 'NOT_ASSIGNED_MEDIATOR';
const NIM = 'DISPUTE_NOT_IN_MEDIATION';
const NIA = 'DISPUTE_NOT_IN_APPEAL';
const NIN = 'DISPUTE_NOT_IN_NEGOTIATION';
const HELD = 'CASE_ALREADY_ASSIGNED';
type Cell = typeof OK | DomainErrorCode;

const ACTORS = { buyer, seller, mediator, mediator2, senior, platform } as const;
type Who = keyof typeof ACTORS;
const COLUMNS = Object.keys(ACTORS) as Who[];

const COMMANDS = {
  PostMessage: (a: Actor, now: string) =>
    cmd('PostMessage', a, now, { messageId: 'x-1', body: 'Hello' }),
  AddInternalNote: (a: Actor, now: string) =>
    cmd('AddInternalNote', a, now, { noteId: 'x-1', note: 'Checked the tracking' }),
  RequestEvidence: (a: Actor, now: string) =>
    cmd('RequestEvidence', a, now, { requestId: 'x-1', from: 'buyer', prompt: 'A photo?' }),
  SubmitProposal: (a: Actor, now: string) =>
    cmd('SubmitProposal', a, now, { proposalId: 'x-1', solution: partial(2000) }),
  DecideDispute: (a: Actor, now: string) =>
    cmd('DecideDispute', a, now, { decisionId: 'x-1', ruling: partial(2000), rationale: 'r' }),
  DecideAppeal: (a: Actor, now: string) =>
    cmd('DecideAppeal', a, now, { decisionId: 'x-1', ruling: partial(2000), rationale: 'r' }),
  TakeCase: (a: Actor, now: string) => cmd('TakeCase', a, now, {}),
} satisfies Record<string, (a: Actor, now: string) => DisputeCommand>;
type CommandName = keyof typeof COMMANDS;

//                                   buyer  seller  mediator  mediator2  senior  platform
type Row = [Cell, Cell, Cell, Cell, Cell, Cell];

const STAGES: Record<string, { story: () => Story; now: string; rows: Record<CommandName, Row> }> =
  {
    'negotiating, never escalated': {
      story: () => countered(),
      now: day(8),
      rows: {
        PostMessage: [OK, OK, NIM, NIM, NIM, ROLE],
        AddInternalNote: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        RequestEvidence: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        SubmitProposal: [OK, OK, NIM, NIM, NIM, ROLE],
        DecideDispute: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, NIA, ROLE],
        TakeCase: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
      },
    },
    'escalated, nobody took it': {
      story: () => escalated(),
      now: day(10),
      rows: {
        PostMessage: [OK, OK, NA, NA, OK, ROLE],
        AddInternalNote: [ROLE, ROLE, NA, NA, OK, ROLE],
        RequestEvidence: [ROLE, ROLE, NA, NA, NA, ROLE],
        SubmitProposal: [OK, OK, NA, NA, NA, ROLE],
        DecideDispute: [ROLE, ROLE, NA, NA, NA, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, NIA, ROLE],
        TakeCase: [ROLE, ROLE, OK, OK, OK, ROLE],
      },
    },
    'taken by mediator': {
      story: () => taken(),
      now: day(10.5),
      rows: {
        PostMessage: [OK, OK, OK, NA, OK, ROLE],
        AddInternalNote: [ROLE, ROLE, OK, NA, OK, ROLE],
        RequestEvidence: [ROLE, ROLE, OK, NA, NA, ROLE],
        SubmitProposal: [OK, OK, OK, NA, NA, ROLE],
        DecideDispute: [ROLE, ROLE, OK, NA, NA, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, NIA, ROLE],
        TakeCase: [ROLE, ROLE, OK, HELD, OK, ROLE],
      },
    },
    'decided by mediator, appeal window open': {
      story: () => decided(),
      now: day(11.5),
      rows: {
        PostMessage: [OK, OK, OK, NA, OK, ROLE],
        AddInternalNote: [ROLE, ROLE, OK, NA, OK, ROLE],
        RequestEvidence: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        SubmitProposal: [NIN, NIN, NIM, NIM, NIM, ROLE],
        DecideDispute: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, NIA, ROLE],
        TakeCase: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
      },
    },
    'appealed, no senior took it': {
      story: () => appealed(),
      now: day(12.5),
      rows: {
        PostMessage: [OK, OK, NA, NA, OK, ROLE],
        AddInternalNote: [ROLE, ROLE, NA, NA, OK, ROLE],
        RequestEvidence: [ROLE, ROLE, NA, NA, NA, ROLE],
        SubmitProposal: [NIN, NIN, NIM, NIM, NIM, ROLE],
        DecideDispute: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, NA, ROLE],
        TakeCase: [ROLE, ROLE, ROLE, ROLE, OK, ROLE],
      },
    },
    'appeal taken by senior': {
      story: () => appealTaken(),
      now: day(13.5),
      rows: {
        PostMessage: [OK, OK, NA, NA, OK, ROLE],
        AddInternalNote: [ROLE, ROLE, NA, NA, OK, ROLE],
        RequestEvidence: [ROLE, ROLE, NA, NA, OK, ROLE],
        SubmitProposal: [NIN, NIN, NIM, NIM, NIM, ROLE],
        DecideDispute: [ROLE, ROLE, NIM, NIM, NIM, ROLE],
        DecideAppeal: [ROLE, ROLE, ROLE, ROLE, OK, ROLE],
        TakeCase: [ROLE, ROLE, ROLE, ROLE, OK, ROLE],
      },
    },
  };

const CASES = Object.entries(STAGES).flatMap(([stage, { story, now, rows }]) =>
  (Object.entries(rows) as [CommandName, Row][]).flatMap(([command, row]) =>
    COLUMNS.map((who, i) => ({ stage, story, now, command, who, expected: row[i] })),
  ),
);

describe('staff scope: roles × commands × stages', () => {
  it.each(CASES)(
    '$stage: $command by $who → $expected',
    ({ story, now, command, who, expected }) => {
      const history = story();
      const run = () => decide(COMMANDS[command](ACTORS[who], now), history.state, history.policy);
      expect(codeOf(run) ?? OK).toBe(expected);
    },
  );
});

describe('staff scope: beyond mediation', () => {
  const post = (actor: Actor, now: string) =>
    cmd('PostMessage', actor, now, { messageId: 'x-1', body: 'Your refund is on its way' });
  const note = (actor: Actor, now: string) =>
    cmd('AddInternalNote', actor, now, { noteId: 'x-1', note: 'Refund confirmed by phone' });

  it('the holder still speaks once the decision is final and the refund pending', () => {
    const final = taken().then(
      cmd('DecideDispute', mediator, day(11), {
        decisionId: 'd-final',
        ruling: partial(2000),
        rationale: 'r',
      }),
    );
    // One appeal allowed by default: accept on both sides to make it final.
    const settled = final
      .then(cmd('AcceptDecision', buyer, day(11.2), { decisionId: 'd-final' }))
      .then(cmd('AcceptDecision', seller, day(11.3), { decisionId: 'd-final' }));
    expect(settled.state.status).toBe('REFUND_PENDING');
    given(settled)
      .when(post(mediator, day(12)))
      .thenMatch([{ type: 'MessagePosted', data: { by: mediator } }]);
    given(settled)
      .when(note(mediator, day(12)))
      .thenMatch([{ type: 'InternalNoteAdded' }]);
    // Past mediation a senior who never held it has no say, nor has another mediator.
    given(settled)
      .when(post(senior, day(12)))
      .thenFails('DISPUTE_NOT_IN_MEDIATION');
    given(settled)
      .when(note(mediator2, day(12)))
      .thenFails('DISPUTE_NOT_IN_MEDIATION');
  });

  it('no staff member speaks on a dispute settled without mediation', () => {
    for (const actor of [mediator, senior]) {
      given(refundPending())
        .when(post(actor, day(9)))
        .thenFails('DISPUTE_NOT_IN_MEDIATION');
      given(refundPending())
        .when(note(actor, day(9)))
        .thenFails('DISPUTE_NOT_IN_MEDIATION');
    }
  });

  it('a senior who takes a case over steers it from then on; the former holder only reads', () => {
    const takenOver = taken().then(cmd('TakeCase', senior, day(10.4), {}));
    given(takenOver)
      .when(
        cmd('RequestEvidence', senior, day(10.5), {
          requestId: 'x-1',
          from: 'seller',
          prompt: 'Courier receipt?',
        }),
      )
      .thenMatch([{ type: 'EvidenceRequested', data: { by: senior } }]);
    given(takenOver)
      .when(post(mediator, day(10.5)))
      .thenFails('NOT_ASSIGNED_MEDIATOR');
  });
});
