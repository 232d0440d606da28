import fc from 'fast-check';
import {
  type Actor,
  decide,
  DEFAULT_POLICY,
  definePolicy,
  DISPUTE_EVENT_TYPES,
  type DisputeCommand,
  type DisputeEvent,
  type DisputePolicy,
  type Dispute,
  type DisputeState,
  DomainError,
  evolve,
  expectedActions,
  type ExpectedActionKind,
  DISPUTE_STATUSES,
  fromEpochMs,
  initialState,
  pendingDeadlines,
  replay,
  type Role,
  type Ruling,
  toEpochMs,
  visibleEventFor,
} from '../../src/domain';
import {
  analyst,
  buyer,
  day,
  eur,
  mediator,
  mediator2,
  openCmd,
  otherBuyer,
  otherSeller,
  platform,
  seller,
  senior,
  system,
  TOTAL,
} from '../../test-support/fixtures';
import { expectEveryoneToldWhatNext, expectViewAgrees } from '../../test-support/view-agreement';

/**
 * Random sequences of valid and invalid commands from every role. Each step is an "intent"
 * (random numbers) that is turned into a command against the current state, so that most
 * commands are plausible and the walk reaches every phase, while some are deliberately wrong.
 */

const ACTORS: readonly Actor[] = [
  buyer,
  seller,
  otherBuyer,
  otherSeller,
  mediator,
  mediator2,
  senior,
  platform,
  system,
  analyst,
];
const KINDS = [
  'RespondToDispute',
  'SubmitProposal',
  'WithdrawProposal',
  'AcceptProposal',
  'AddEvidence',
  'PostMessage',
  'EscalateDispute',
  'CancelDispute',
  'TakeCase',
  'RequestEvidence',
  'AddInternalNote',
  'DecideDispute',
  'AcceptDecision',
  'AppealDecision',
  'DecideAppeal',
  'ProvideReturnAddress',
  'ShipReturn',
  'RecordReturnDelivery',
  'ConfirmReturnReceived',
  'DisputeReturnCondition',
  'MarkRefundSent',
  'ConfirmRefundPayout',
  'ShipReplacement',
  'ConfirmReplacementReceived',
  'ReportReplacementProblem',
  'FireDeadline',
  'FireDeadline',
  'FireDeadline',
  'OpenDispute',
] as const;

type Kind = (typeof KINDS)[number];

/** The commands that make sense in each status; a walk mostly picks among these. */
const PLAUSIBLE: Record<DisputeState['status'], readonly Kind[]> = {
  NONE: ['OpenDispute'],
  AWAITING_SELLER: [
    'RespondToDispute',
    'SubmitProposal',
    'AddEvidence',
    'PostMessage',
    'FireDeadline',
  ],
  NEGOTIATING: [
    'SubmitProposal',
    'WithdrawProposal',
    'AcceptProposal',
    'AddEvidence',
    'EscalateDispute',
    'FireDeadline',
    'CancelDispute',
  ],
  IN_MEDIATION: [
    'TakeCase',
    'RequestEvidence',
    'AddInternalNote',
    'DecideDispute',
    'SubmitProposal',
    'AcceptProposal',
    'AddEvidence',
  ],
  DECIDED: ['AcceptDecision', 'AppealDecision', 'FireDeadline', 'AddInternalNote'],
  IN_APPEAL: ['TakeCase', 'DecideAppeal', 'RequestEvidence', 'AddEvidence', 'AddInternalNote'],
  RETURN_REQUESTED: ['ProvideReturnAddress', 'ProvideReturnAddress', 'FireDeadline'],
  RETURN_AWAITING_SHIPMENT: ['ShipReturn', 'ShipReturn', 'FireDeadline'],
  RETURN_IN_TRANSIT: [
    'ConfirmReturnReceived',
    'DisputeReturnCondition',
    'RecordReturnDelivery',
    'FireDeadline',
  ],
  REPLACEMENT_AWAITING_SHIPMENT: ['ShipReplacement', 'ShipReplacement', 'FireDeadline'],
  REPLACEMENT_IN_TRANSIT: [
    'ConfirmReplacementReceived',
    'ReportReplacementProblem',
    'AddEvidence',
    'FireDeadline',
  ],
  REFUND_PENDING: ['ConfirmRefundPayout', 'PostMessage', 'MarkRefundSent'],
  CLOSED: KINDS,
  CANCELLED: KINDS,
};

interface Intent {
  plausible: boolean;
  kind: number;
  natural: boolean;
  actor: number;
  pick: number;
  amount: number;
  hours: number;
}

const intent: fc.Arbitrary<Intent> = fc.record({
  plausible: fc.boolean(),
  kind: fc.nat(KINDS.length - 1),
  natural: fc.boolean(),
  actor: fc.nat(ACTORS.length - 1),
  pick: fc.nat(9),
  amount: fc.integer({ min: 0, max: 12_000 }),
  hours: fc.nat(100),
});

const SECRET = 'MEDIATOR-ONLY-SECRET';

function pickOf<T>(items: readonly T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

function solutionOf(i: Intent): Ruling {
  return pickOf<Ruling>(
    [
      { kind: 'FULL_REFUND' },
      { kind: 'PARTIAL_REFUND', amount: eur(i.amount) },
      { kind: 'RETURN_AND_REFUND', amount: eur(i.amount), returnShippingPaidBy: 'buyer' },
      { kind: 'REPLACEMENT' },
      { kind: 'RESEND' },
      { kind: 'SELLER_FAVOUR' },
    ],
    i.pick,
  ) as Ruling;
}

function staffFor(state: DisputeState): Actor {
  const id = state.status === 'NONE' ? null : state.mediatorId;
  return (
    [mediator, mediator2, senior].find((a) => a.id === id) ??
    (state.status === 'IN_APPEAL' ? senior : mediator)
  );
}

const NATURAL: Record<Kind, (s: DisputeState, i: Intent) => Actor> = {
  RespondToDispute: () => seller,
  SubmitProposal: (s, i) => pickOf([buyer, seller, staffFor(s)], i.pick) as Actor,
  WithdrawProposal: (s, i) => pickOf([buyer, seller, staffFor(s)], i.pick) as Actor,
  AcceptProposal: (_s, i) => pickOf([buyer, seller], i.pick) as Actor,
  AddEvidence: (_s, i) => pickOf([buyer, seller], i.pick) as Actor,
  PostMessage: (s, i) => pickOf([buyer, seller, staffFor(s)], i.pick) as Actor,
  EscalateDispute: (_s, i) => pickOf([buyer, seller], i.pick) as Actor,
  CancelDispute: () => buyer,
  TakeCase: (s, i) =>
    s.status === 'IN_APPEAL' ? senior : (pickOf([mediator, mediator2, senior], i.pick) as Actor),
  RequestEvidence: staffFor,
  AddInternalNote: staffFor,
  DecideDispute: staffFor,
  AcceptDecision: (_s, i) => pickOf([buyer, seller], i.pick) as Actor,
  AppealDecision: (_s, i) => pickOf([buyer, seller], i.pick) as Actor,
  DecideAppeal: staffFor,
  ProvideReturnAddress: () => seller,
  ShipReturn: () => buyer,
  RecordReturnDelivery: () => platform,
  ConfirmReturnReceived: () => seller,
  DisputeReturnCondition: () => seller,
  MarkRefundSent: () => seller,
  ConfirmRefundPayout: () => platform,
  ShipReplacement: () => seller,
  ConfirmReplacementReceived: () => buyer,
  ReportReplacementProblem: () => buyer,
  FireDeadline: () => system,
  OpenDispute: () => buyer,
};

/** Turns an intent into a command against `state` at `now` (step `n` makes ids unique). */
function commandFor(state: DisputeState, i: Intent, now: string, n: number): DisputeCommand {
  const kind = i.plausible ? (pickOf(PLAUSIBLE[state.status], i.kind) as Kind) : KINDS[i.kind];
  const actor = i.natural ? NATURAL[kind](state, i) : ACTORS[i.actor];
  const metadata = { actor, now };
  const dispute = state.status === 'NONE' ? null : state;
  // Mostly fresh ids, sometimes one already used (refused as DUPLICATE_ID).
  const id = (prefix: string) =>
    i.pick === 9 && dispute ? (pickOf(dispute.usedIds, i.amount) as string) : `${prefix}-${n}`;
  const proposalIds = dispute
    ? Object.values(dispute.proposals).flatMap((p) => (p ? [p.proposalId] : []))
    : [];
  const decisionId = dispute?.decision?.decisionId ?? 'no-decision';
  const solution = solutionOf(i);
  switch (kind) {
    case 'RespondToDispute': {
      const response = pickOf(['ACCEPT', 'REJECT', 'COUNTER'] as const, i.pick + n) as
        'ACCEPT' | 'REJECT' | 'COUNTER';
      const data =
        response === 'COUNTER'
          ? { response, comment: 'counter', proposalId: id('p'), solution: solution as never }
          : response === 'ACCEPT'
            ? { response, comment: 'because', proposalId: pickOf(proposalIds, i.pick) ?? 'p-none' }
            : { response, comment: 'because' };
      return { type: kind, data, metadata };
    }
    case 'SubmitProposal':
      return { type: kind, data: { proposalId: id('p'), solution: solution as never }, metadata };
    case 'WithdrawProposal':
    case 'AcceptProposal':
      return {
        type: kind,
        data: { proposalId: pickOf(proposalIds, i.pick) ?? 'p-none' },
        metadata,
      };
    case 'AddEvidence': {
      const open = dispute?.evidenceRequests.filter((r) => r.status === 'OPEN') ?? [];
      const answers = i.amount % 2 === 0 ? (pickOf(open, i.pick)?.requestId ?? null) : null;
      return {
        type: kind,
        data: {
          evidenceId: id('e'),
          kind: 'TEXT',
          content: { text: `evidence ${n}` },
          description: 'd',
          answersRequestId: answers,
        },
        metadata,
      };
    }
    case 'PostMessage':
      return { type: kind, data: { messageId: id('m'), body: `message ${n}` }, metadata };
    case 'EscalateDispute':
    case 'TakeCase':
    case 'RecordReturnDelivery':
    case 'ConfirmReturnReceived':
    case 'ConfirmReplacementReceived':
      return { type: kind, data: {}, metadata };
    case 'CancelDispute':
      return { type: kind, data: { comment: 'never mind' }, metadata };
    case 'RequestEvidence':
      return {
        type: kind,
        data: {
          requestId: id('r'),
          from: i.amount % 2 ? 'buyer' : 'seller',
          prompt: 'more please',
        },
        metadata,
      };
    case 'AddInternalNote':
      return { type: kind, data: { noteId: id('n'), note: `${SECRET} ${n}` }, metadata };
    case 'DecideDispute':
    case 'DecideAppeal':
      return {
        type: kind,
        data: { decisionId: id('dec'), ruling: solution, rationale: 'reasons' },
        metadata,
      };
    case 'AcceptDecision':
      return { type: kind, data: { decisionId }, metadata };
    case 'AppealDecision':
      return {
        type: kind,
        data: { appealId: id('a'), decisionId, newInformation: i.pick % 5 ? 'new facts' : '' },
        metadata,
      };
    case 'ProvideReturnAddress':
      return {
        type: kind,
        data: { address: { name: 'Shop', lines: ['1 Main'], postalCode: '1', country: 'BE' } },
        metadata,
      };
    case 'ShipReturn':
      return { type: kind, data: { carrier: 'post', trackingNumber: `T${n}` }, metadata };
    case 'DisputeReturnCondition':
      return { type: kind, data: { statement: 'scratched' }, metadata };
    case 'ShipReplacement':
      return { type: kind, data: { carrier: 'post', trackingNumber: `R${n}` }, metadata };
    case 'ReportReplacementProblem':
      return { type: kind, data: { statement: 'never came' }, metadata };
    case 'MarkRefundSent': {
      const amount = dispute?.refundDue && i.pick % 4 ? dispute.refundDue : eur(i.amount);
      return { type: kind, data: { reference: `tr-${n}`, amount }, metadata };
    }
    case 'ConfirmRefundPayout': {
      const amount = dispute?.refundDue && i.pick % 4 ? dispute.refundDue : eur(i.amount);
      return { type: kind, data: { payoutReference: `po-${n}`, amount }, metadata };
    }
    case 'FireDeadline': {
      const armed = pickOf(pendingDeadlines(state, DEFAULT_POLICY), i.pick);
      const data = armed ?? { kind: 'NEGOTIATION' as const, dueAt: now, requestId: null };
      return { type: kind, data, metadata };
    }
    case 'OpenDispute':
      return openCmd({ disputeId: 'd-1' }, now, actor);
  }
}

interface Run {
  events: DisputeEvent[];
  state: DisputeState;
}

function step(
  run: Run,
  command: DisputeCommand,
  policy: DisputePolicy,
): { produced: DisputeEvent[] | null; error?: DomainError } {
  try {
    return { produced: decide(command, run.state, policy) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error; // anything else is a bug
    return { produced: null, error };
  }
}

const policies = fc.constantFrom(
  DEFAULT_POLICY,
  definePolicy({ onSellerSilence: 'escalate', maxAppeals: 2 }),
  definePolicy({ maxAppeals: 0, minDaysBeforeEscalation: 0 }),
);

/** The commands each expected action's deadline governs (ConfirmReplacementReceived is taken late on purpose: it ends the dispute as the timer would). */
const GOVERNED: Partial<Record<ExpectedActionKind, readonly DisputeCommand['type'][]>> = {
  RESPOND_TO_DISPUTE: ['RespondToDispute'],
  NEGOTIATE: ['SubmitProposal', 'WithdrawProposal', 'AcceptProposal', 'EscalateDispute'],
  ANSWER_PROPOSAL: ['SubmitProposal', 'WithdrawProposal', 'AcceptProposal', 'EscalateDispute'],
  ACCEPT_OR_APPEAL_DECISION: ['AcceptDecision', 'AppealDecision'],
  PROVIDE_RETURN_ADDRESS: ['ProvideReturnAddress'],
  SHIP_RETURN: ['ShipReturn'],
  RECORD_RETURN_DELIVERY: ['RecordReturnDelivery'],
  CONFIRM_RETURN_RECEIVED: ['ConfirmReturnReceived', 'DisputeReturnCondition'],
  SHIP_REPLACEMENT: ['ShipReplacement'],
  REPORT_REPLACEMENT_PROBLEM: ['ReportReplacementProblem'],
};

/** The passed deadline that should have refused `command`, if any (null: none did). */
function governedAndLate(
  state: DisputeState,
  command: DisputeCommand,
  policy: DisputePolicy,
): string | null {
  if (state.status === 'NONE' || command.type === 'FireDeadline') return null;
  const now = toEpochMs(command.metadata.now);
  for (const action of expectedActions(state, policy)) {
    if (action.dueAt === null || now < toEpochMs(action.dueAt)) continue;
    if (action.role !== command.metadata.actor.role) continue;
    if (GOVERNED[action.action]?.includes(command.type)) {
      return `${command.type} by the ${action.role} after ${action.action}'s deadline ${action.dueAt}`;
    }
  }
  if (command.type === 'AddEvidence' && command.data.answersRequestId) {
    const request = state.evidenceRequests.find(
      (r) => r.requestId === command.data.answersRequestId,
    );
    if (request?.status === 'OPEN' && now >= toEpochMs(request.dueAt)) {
      return `AddEvidence answering ${request.requestId} after its deadline ${request.dueAt}`;
    }
  }
  return null;
}

/** Where nobody can move a dispute on: a state that is not final with no one to act. */
function strandedIn(state: DisputeState, policy: DisputePolicy): string | null {
  if (state.status === 'NONE' || state.status === 'CLOSED' || state.status === 'CANCELLED')
    return null;
  const actions = expectedActions(state, policy);
  // A deadline moves it on; or mediators, who work a queue; or, for a refund owed, the platform
  // that pays it. A return in transit waiting only for someone's record would be stranded.
  const movesOn =
    actions.some((action) => action.dueAt !== null) ||
    actions.some((action) => action.role === 'mediator' || action.role === 'senior_mediator') ||
    (state.status === 'REFUND_PENDING' && actions.some((action) => action.role === 'platform'));
  return movesOn ? null : `${state.status}: ${JSON.stringify(actions)}`;
}

describe('decider properties', () => {
  it('random command sequences from all roles never break the invariants', () => {
    fc.assert(
      fc.property(
        fc.array(intent, { minLength: 1, maxLength: 40 }),
        policies,
        fc.constantFrom<Solution0>(...CLAIMS),
        (intents, policy, claim) => {
          let clock = toEpochMs(day(6));
          const first = decide(
            openCmd({ claim }, fromEpochMs(clock)),
            { status: 'NONE', revision: -1 },
            policy,
          );
          const run: Run = { events: [...first], state: replay(first) };
          intents.forEach((i, n) => {
            clock += i.hours * 3_600_000;
            let now = fromEpochMs(clock);
            const command = commandFor(run.state, i, now, n);
            if (
              command.type === 'FireDeadline' &&
              i.pick % 3 !== 0 &&
              toEpochMs(command.data.dueAt) > clock
            ) {
              // Usually wait for the deadline, as the scheduler would.
              clock = toEpochMs(command.data.dueAt);
              now = fromEpochMs(clock);
              Object.assign(command, { metadata: { ...command.metadata, now } });
            }
            const before = run.state;
            const { produced } = step(run, command, policy);

            // (c) No command is accepted once a deadline that governs it has passed, whether or
            // not its timer fired.
            if (produced !== null && produced.length > 0) {
              expect(governedAndLate(before, command, policy)).toBeNull();
            }

            // A closed or cancelled dispute accepts nothing but no-op timers.
            if (before.status === 'CLOSED' || before.status === 'CANCELLED') {
              expect(produced ?? []).toEqual([]);
              if (command.type !== 'FireDeadline') expect(produced).toBeNull();
            }
            if (produced === null) return;

            for (const event of produced) {
              expect(DISPUTE_EVENT_TYPES).toContain(event.type);
              run.state = evolve(run.state, event);
            }
            run.events.push(...produced);

            // Revisions only grow, one per event.
            expect(run.state.revision).toBe(before.revision + produced.length);

            // (b) Nobody is stranded: every state that is not final has a next action with a
            // deadline that moves it on, or one for the mediators or (a refund owed) the platform.
            expect(strandedIn(run.state, policy)).toBeNull();

            // Every audience's view shows what the state holds, and the same next actions.
            expectViewAgrees(run.events, run.state, policy);
            // Every role is told what is next, theirs or whom they wait for, until it is over.
            expectEveryoneToldWhatNext(run.state, policy);
          });

          // Replaying the decided events through evolve gives the same state.
          expect(replay(run.events)).toEqual(run.state);

          // Refunds never exceed the order total.
          for (const event of run.events) {
            const amount =
              event.type === 'DisputeResolved'
                ? event.data.refundAmount
                : event.type === 'RefundReleased' || event.type === 'RefundPaidOut'
                  ? event.data.amount
                  : null;
            if (amount) {
              expect(amount.currency).toBe(TOTAL.currency);
              expect(Number.isInteger(amount.amountMinor)).toBe(true);
              expect(amount.amountMinor).toBeGreaterThan(0);
              expect(amount.amountMinor).toBeLessThanOrEqual(TOTAL.amountMinor);
            }
          }
          const paid = run.events.filter((e) => e.type === 'RefundPaidOut').length;
          expect(paid).toBeLessThanOrEqual(1);
          // (a) No money moves twice: what is paid out, all payouts together, stays within the
          // order total.
          const paidOut = run.events
            .filter((e) => e.type === 'RefundPaidOut')
            .reduce((sum, e) => sum + e.data.amount.amountMinor, 0);
          expect(paidOut).toBeLessThanOrEqual(TOTAL.amountMinor);
          const marked = run.events.filter((e) => e.type === 'RefundMarkedSent').length;
          expect(marked).toBeLessThanOrEqual(1);

          // Event times never decrease within the stream (docs/domain.md#commands).
          const times = run.events.map((e) => toEpochMs(e.data.at));
          expect(times.filter((at, k) => k > 0 && at < times[k - 1])).toEqual([]);

          // Mediator-only data never reaches a party-visible (or analyst-visible) event field.
          for (const role of ['buyer', 'seller', 'platform', 'analyst'] satisfies Role[]) {
            for (const event of run.events) {
              const seen = visibleEventFor(role, event);
              if (seen) expect(JSON.stringify(seen)).not.toContain(SECRET);
            }
          }
          // ...nor any event but the note itself.
          for (const event of run.events.filter((e) => e.type !== 'InternalNoteAdded')) {
            expect(JSON.stringify(event)).not.toContain(SECRET);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('the walk reaches every phase (the generator is not vacuous)', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(fc.array(intent, { minLength: 20, maxLength: 40 }), (intents) => {
        let clock = toEpochMs(day(6));
        let state = replay(
          decide(openCmd({}, fromEpochMs(clock)), { status: 'NONE', revision: -1 }),
        );
        intents.forEach((i, n) => {
          clock += i.hours * 3_600_000;
          const command = commandFor(
            state,
            { ...i, natural: true, plausible: i.kind % 4 !== 0 },
            fromEpochMs(clock),
            n,
          );
          if (command.type === 'FireDeadline') {
            clock = Math.max(clock, toEpochMs(command.data.dueAt));
            Object.assign(command, { metadata: { ...command.metadata, now: fromEpochMs(clock) } });
          }
          try {
            state = replay(decide(command, state), state);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
          reached.add(state.status);
        });
      }),
      { numRuns: 1_000, seed: 20_260_301 },
    );
    // Every status the domain lists is reachable, so a new one comes with a way to reach it.
    expect([...reached].sort()).toEqual([...DISPUTE_STATUSES].sort());
  });
});

type Solution0 = Parameters<typeof openCmd>[0] extends infer O
  ? O extends { claim?: infer C }
    ? C
    : never
  : never;
const CLAIMS: Solution0[] = [
  { kind: 'FULL_REFUND' },
  { kind: 'PARTIAL_REFUND', amount: eur(2500) },
  { kind: 'RETURN_AND_REFUND', amount: eur(9000), returnShippingPaidBy: 'platform' },
  { kind: 'REPLACEMENT' },
];

describe('replacement and resend properties', () => {
  it('a replacement closes only once shipped; shipments and complaints are taken only in time', () => {
    const claims: Solution0[] = [{ kind: 'REPLACEMENT' }, { kind: 'RESEND' }];
    let followedThrough = 0;
    fc.assert(
      fc.property(
        fc.array(intent, { minLength: 1, maxLength: 40 }),
        policies,
        fc.constantFrom(...claims),
        (intents, policy, claim) => {
          let clock = toEpochMs(day(6));
          const first = decide(openCmd({ claim }, fromEpochMs(clock)), initialState, policy);
          const run: Run = { events: [...first], state: replay(first) };
          intents.forEach((i, n) => {
            clock += i.hours * 3_600_000;
            const command = commandFor(run.state, i, fromEpochMs(clock), n);
            if (command.type === 'FireDeadline' && toEpochMs(command.data.dueAt) > clock) {
              clock = toEpochMs(command.data.dueAt);
              Object.assign(command, {
                metadata: { ...command.metadata, now: fromEpochMs(clock) },
              });
            }
            const before = run.state;
            const { produced } = step(run, command, policy);
            if (produced === null) return;
            if (command.type === 'ShipReplacement' || command.type === 'ReportReplacementProblem') {
              // Never after the deadline that governs it, fired or not.
              const dueAt = (before as Dispute).deadline?.dueAt as string;
              expect(toEpochMs(command.metadata.now)).toBeLessThan(toEpochMs(dueAt));
            }
            for (const event of produced) {
              if (
                event.type === 'DisputeClosed' &&
                (event.data.outcome === 'REPLACEMENT' || event.data.outcome === 'RESEND')
              ) {
                // Made good only after the seller shipped since the last resolution.
                const sinceResolved = [...run.events, ...produced].slice(
                  run.events.map((e) => e.type).lastIndexOf('DisputeResolved'),
                );
                expect(sinceResolved.map((e) => e.type)).toContain('ReplacementShipped');
                followedThrough += 1;
              }
              run.state = evolve(run.state, event);
            }
            run.events.push(...produced);
            expectViewAgrees(run.events, run.state, policy);
            expectEveryoneToldWhatNext(run.state, policy);
            // While it is followed through someone always has something to do, by a deadline.
            if (run.state.status.startsWith('REPLACEMENT_')) {
              const next = expectedActions(run.state, policy);
              expect(next.length).toBeGreaterThan(0);
              expect(next.every((a) => a.dueAt !== null && a.ifMissed !== null)).toBe(true);
            }
          });
        },
      ),
      { numRuns: 1_000 },
    );
    expect(followedThrough).toBeGreaterThan(0);
  });
});
