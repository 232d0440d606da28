import fc from 'fast-check';
import {
  describeWithPostgres,
  openPostgresTestSchema,
  PostgresTestSchema,
} from '@arbiter/event-store/testing';
import {
  type Actor,
  type Dispute,
  type DisputePolicy,
  type DisputeState,
  DomainError,
  disputeStreamId,
  replayView,
  type DisputeEvent,
  AUDIENCE_OF_ROLE,
} from '../domain';
import { AddEvidenceCommand } from './add-evidence/add-evidence';
import { commandIdFor } from './command-handling';
import { DisputeCommandHandler, DisputeCommandMessage } from './dispute-command';
import {
  DISPUTE_POLICY,
  DisputeOutcome,
  DisputeStreams,
  fingerprinted,
  type Issued,
} from './dispute-streams';
import { OpenDisputeCommand } from './open-dispute/open-dispute';
import {
  DisputesUnderTest,
  eur,
  PLATFORM,
  shippedOrder,
  startDisputes,
  StoreUnderTest,
} from './testing';

/**
 * A cache-assisted command decides exactly as a full replay would: random sequences of valid and
 * invalid commands on several disputes, each run through two processes on two stores of the same
 * kind — one with a small state cache (so entries are also evicted and read again), one without
 * any — must append the same events, refuse with the same codes, and answer with the same states
 * and views. Some commands reach the cached process's store through another handler without its
 * cache (another process), and some repeat an earlier idempotency key, with the same request (a
 * replay) or another one (refused).
 */

const T0 = '2026-03-01T00:00:00.000Z';
const DISPUTES = 3;
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const senior: Actor = { id: 'senior-1', role: 'senior_mediator' };
const analyst: Actor = { id: 'analyst-1', role: 'analyst' };
const stranger: Actor = { id: 'buyer-stranger', role: 'buyer' };

const KINDS = [
  'PostMessage',
  'PostMessage',
  'SubmitProposal',
  'SubmitProposal',
  'WithdrawProposal',
  'AcceptProposal',
  'RespondToDispute',
  'AddEvidence',
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
  'MarkRefundSent',
] as const;
type Kind = (typeof KINDS)[number];

/** What makes sense in each status: most steps pick among these, the rest anything at all. */
const PLAUSIBLE: Partial<Record<DisputeState['status'], readonly Kind[]>> = {
  AWAITING_SELLER: ['RespondToDispute', 'RespondToDispute', 'PostMessage', 'AddEvidence'],
  NEGOTIATING: [
    'SubmitProposal',
    'WithdrawProposal',
    'AcceptProposal',
    'PostMessage',
    'AddEvidence',
    'EscalateDispute',
    'CancelDispute',
  ],
  IN_MEDIATION: ['TakeCase', 'RequestEvidence', 'AddInternalNote', 'DecideDispute', 'AddEvidence'],
  DECIDED: ['AcceptDecision', 'AppealDecision', 'PostMessage'],
  IN_APPEAL: ['TakeCase', 'DecideAppeal', 'AddInternalNote', 'AddEvidence'],
  RETURN_REQUESTED: ['ProvideReturnAddress'],
  RETURN_AWAITING_SHIPMENT: ['ShipReturn'],
  REFUND_PENDING: ['MarkRefundSent', 'PostMessage'],
};

/** Who would send each command (the holder of the case for staff commands). */
function naturalActor(kind: Kind, state: DisputeState, party: Party, pick: number): Actor {
  const either = pick % 2 ? party.seller : party.buyer;
  const staff = state.status === 'IN_APPEAL' ? senior : mediator;
  switch (kind) {
    case 'RespondToDispute':
    case 'ProvideReturnAddress':
    case 'MarkRefundSent':
      return party.seller;
    case 'CancelDispute':
    case 'ShipReturn':
      return party.buyer;
    case 'TakeCase':
    case 'RequestEvidence':
    case 'AddInternalNote':
    case 'DecideDispute':
    case 'DecideAppeal':
      return staff;
    default:
      return either;
  }
}

interface Step {
  dispute: number;
  kind: number;
  /** 0-7: the command's natural sender; 8-11 someone else (a stranger, the platform). */
  actor: number;
  pick: number;
  amount: number;
  /** Hours the clock moves on before the step. */
  hours: number;
  /** Sent by another process to the cached side's store, past its cache. */
  elsewhere: boolean;
  /** Repeats the key of an earlier step: with its request (a replay) or with this one. */
  again: 'no' | 'same' | 'other';
}

const step: fc.Arbitrary<Step> = fc.record({
  dispute: fc.nat(DISPUTES - 1),
  kind: fc.nat(KINDS.length - 1),
  actor: fc.nat(11),
  pick: fc.nat(9),
  amount: fc.integer({ min: 0, max: 12_000 }),
  hours: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(12), fc.nat(80)),
  elsewhere: fc.nat(4).map((n) => n === 0),
  again: fc.constantFrom('no', 'no', 'no', 'no', 'same', 'other'),
});

interface Party {
  disputeId: string;
  buyer: Actor;
  seller: Actor;
}

/** What a command made of a step is, built against one process's issuer. */
type Sent = (issued: Issued) => DisputeCommandMessage | AddEvidenceCommand;

function actorOf(party: Party, n: number): Actor {
  return [
    party.buyer,
    party.seller,
    party.buyer,
    party.seller,
    mediator,
    senior,
    stranger,
    PLATFORM,
  ][n];
}

/** The command a step makes against the dispute's state (mostly plausible, some nonsense). */
function commandOf(kind: Kind, s: Step, state: DisputeState, party: Party): Sent {
  const dispute = state.status === 'NONE' ? null : (state as Dispute);
  const proposals = dispute
    ? Object.values(dispute.proposals).flatMap((p) => (p ? [p.proposalId] : []))
    : [];
  const proposalId = proposals[s.pick % Math.max(proposals.length, 1)] ?? 'p-none';
  const decisionId = dispute?.decision?.decisionId ?? 'no-decision';
  const solutions = [
    { kind: 'FULL_REFUND' },
    { kind: 'PARTIAL_REFUND', amount: eur(s.amount) },
    { kind: 'REPLACEMENT' },
    { kind: 'SELLER_FAVOUR' },
    { kind: 'RETURN_AND_REFUND', amount: eur(s.amount), returnShippingPaidBy: 'buyer' },
  ] as const;
  const solution = solutions[s.pick % solutions.length] as never;
  const table = <T extends DisputeCommandMessage['type']>(type: T, input: unknown): Sent => {
    const build = (issued: Issued) =>
      new DisputeCommandMessage(type, party.disputeId, input as never, issued);
    return (issued) => fingerprinted(build, issued);
  };
  switch (kind) {
    case 'PostMessage':
      return table(kind, { body: `message ${s.amount}` });
    case 'SubmitProposal':
      return table(kind, { solution });
    case 'WithdrawProposal':
    case 'AcceptProposal':
      return table(kind, { proposalId });
    case 'RespondToDispute':
      return table(
        kind,
        [
          { response: 'ACCEPT', comment: 'ok', proposalId },
          { response: 'REJECT', comment: 'no' },
          { response: 'COUNTER', comment: 'half?', solution },
        ][s.pick % 3],
      );
    case 'AddEvidence': {
      const open = dispute?.evidenceRequests.filter((r) => r.status === 'OPEN') ?? [];
      const input = {
        kind: 'TEXT' as const,
        text: `evidence ${s.amount}`,
        description: 'a statement',
        ...(s.pick % 2 && open[0] ? { answersRequestId: open[0].requestId } : {}),
      };
      return (issued) =>
        fingerprinted((i) => new AddEvidenceCommand(party.disputeId, input, i), issued);
    }
    case 'EscalateDispute':
    case 'TakeCase':
      return table(kind, {});
    case 'CancelDispute':
      return table(kind, { comment: 'never mind' });
    case 'RequestEvidence':
      return table(kind, { from: s.pick % 2 ? 'buyer' : 'seller', prompt: 'more please' });
    case 'AddInternalNote':
      return table(kind, { note: `note ${s.amount}` });
    case 'DecideDispute':
    case 'DecideAppeal':
      return table(kind, { ruling: solution, rationale: 'reasons' });
    case 'AcceptDecision':
      return table(kind, { decisionId });
    case 'AppealDecision':
      return table(kind, { decisionId, newInformation: s.pick % 4 ? 'new facts' : '' });
    case 'ProvideReturnAddress':
      return table(kind, {
        address: { name: 'Shop', lines: ['1 Main'], postalCode: '1', country: 'BE' },
      });
    case 'ShipReturn':
      return table(kind, { carrier: 'post', trackingNumber: `T${s.amount}` });
    case 'MarkRefundSent':
      return table(kind, {
        reference: `tr-${s.amount}`,
        amount: dispute?.refundDue && s.pick % 3 ? dispute.refundDue : eur(s.amount),
      });
  }
}

type Result = { ok: true; outcome: DisputeOutcome } | { ok: false; code: string };

async function attempt(run: () => Promise<DisputeOutcome>): Promise<Result> {
  try {
    return { ok: true, outcome: await run() };
  } catch (error) {
    // Anything but a refusal is a bug of the test or of the code: let it fail the property.
    if (!(error instanceof DomainError)) throw error;
    return { ok: false, code: error.code };
  }
}

const eventsOf = (events: readonly { type: string; data: unknown }[]) =>
  events.map(({ type, data }) => ({ type, data }));

/** Runs random steps on both sides and compares every answer. */
function equivalenceSuite(
  stores: () => Promise<{ cached: StoreUnderTest; plain: StoreUnderTest }>,
) {
  let cached: DisputesUnderTest;
  let plain: DisputesUnderTest;
  let elsewhere: DisputeCommandHandler;
  let runs = 0;

  beforeAll(async () => {
    const { cached: c, plain: p } = await stores();
    // Two streams at most: with three disputes and their orders, entries are evicted and read
    // again all the time.
    cached = await startDisputes(c, { stateCache: { maxStreams: 2, maxEvents: 10_000 } });
    plain = await startDisputes(p, { stateCache: { maxStreams: 0, maxEvents: 0 } });
    // Another process on the cached side's store: the same handler, no cache.
    elsewhere = new DisputeCommandHandler(
      new DisputeStreams(cached.store, cached.clock, cached.app.get<DisputePolicy>(DISPUTE_POLICY)),
    );
  });
  afterAll(async () => {
    await cached?.close();
    await plain?.close();
  });

  async function opened(run: number): Promise<Party[]> {
    const parties: Party[] = [];
    for (let i = 0; i < DISPUTES; i++) {
      const buyer: Actor = { id: `buyer-${run}-${i}`, role: 'buyer' };
      const seller: Actor = { id: `seller-${run}-${i}`, role: 'seller' };
      const orderId = `order-${run}-${i}`;
      const issued = { actor: buyer, commandId: commandIdFor(buyer, `open-${orderId}`) };
      const ids: string[] = [];
      for (const d of [cached, plain]) {
        await shippedOrder(d, orderId, { buyerId: buyer.id, sellerId: seller.id });
        const outcome = await d.bus.execute(
          new OpenDisputeCommand(
            orderId,
            { reason: 'QUALITY_ISSUE', description: 'It broke', claim: { kind: 'FULL_REFUND' } },
            issued,
          ),
        );
        ids.push(outcome.disputeId);
      }
      expect(ids[0]).toBe(ids[1]);
      parties.push({ disputeId: ids[0], buyer, seller });
    }
    return parties;
  }

  it('decides, refuses, replays and answers as a full replay does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 45 }), async (steps) => {
        const run = ++runs;
        for (const d of [cached, plain]) d.clock.set(T0);
        const parties = await opened(run);
        const keys: { key: string; actor: Actor; sent: Sent }[] = [];
        for (const [n, s] of steps.entries()) {
          const party = parties[s.dispute];
          for (const d of [cached, plain]) d.clock.advance(s.hours * 3_600_000);
          const { state } = await plain.app.get(DisputeStreams).loadDispute(party.disputeId);
          const earlier = keys[s.pick % Math.max(keys.length, 1)];
          const plausible = PLAUSIBLE[state.status] ?? KINDS;
          const kind = s.pick < 8 ? plausible[s.kind % plausible.length] : KINDS[s.kind];
          const fresh = {
            key: `k-${run}-${n}`,
            actor:
              s.actor < 8 ? naturalActor(kind, state, party, s.actor) : actorOf(party, s.actor - 4),
            sent: commandOf(kind, s, state, party),
          };
          const chosen =
            s.again === 'same' && earlier
              ? earlier
              : s.again === 'other' && earlier
                ? { ...fresh, key: earlier.key, actor: earlier.actor }
                : fresh;
          keys.push(chosen);
          const issued: Issued = {
            actor: chosen.actor,
            commandId: commandIdFor(chosen.actor, chosen.key),
            correlationId: `corr-${n}`,
          };
          const message = chosen.sent(issued);
          const viaElsewhere = s.elsewhere && message instanceof DisputeCommandMessage;
          const [a, b] = [
            await attempt(() =>
              viaElsewhere
                ? elsewhere.execute(message)
                : (cached.bus.execute(message) as Promise<DisputeOutcome>),
            ),
            await attempt(() => plain.bus.execute(message) as Promise<DisputeOutcome>),
          ];
          const where = `step ${n} (${kind} by ${chosen.actor.id}, again ${s.again})`;
          expect({ where, ok: a.ok, code: a.ok ? null : a.code }).toEqual({
            where,
            ok: b.ok,
            code: b.ok ? null : b.code,
          });
          if (!a.ok || !b.ok) continue;
          const [x, y] = [a.outcome, b.outcome];
          expect({ where, replayed: x.replayed, revision: x.revision }).toEqual({
            where,
            replayed: y.replayed,
            revision: y.revision,
          });
          expect(eventsOf(x.appended)).toEqual(eventsOf(y.appended));
          expect(eventsOf(x.history)).toEqual(eventsOf(y.history));
          expect(x.state).toEqual(y.state);
          for (const viewer of [party.buyer, party.seller, mediator, senior, analyst, PLATFORM]) {
            expect(cached.reader.viewOf(viewer, x)).toEqual(plain.reader.viewOf(viewer, y));
          }
        }
        // The views each side loads now equal a full replay of the cached side's own stream.
        for (const party of parties) {
          const stream = (await cached.store.readStream(
            disputeStreamId(party.disputeId),
          )) as unknown as DisputeEvent[];
          for (const viewer of [party.buyer, party.seller, mediator, analyst, PLATFORM]) {
            const view = await cached.reader.view(viewer, party.disputeId);
            expect(view).toEqual(await plain.reader.view(viewer, party.disputeId));
            if (view) {
              const { nextAction: _n, nextActions: _a, ...folded } = view;
              expect(folded).toEqual(replayView(stream, AUDIENCE_OF_ROLE[viewer.role]));
            }
          }
        }
      }),
      { numRuns: Number(process.env.STATE_CACHE_RUNS ?? 6), endOnFailure: true },
    );
  });
}

describe('state cache equivalence (memory)', () => {
  equivalenceSuite(async () => ({ cached: 'memory', plain: 'memory' }));
});

describe('state cache equivalence (PGlite)', () => {
  equivalenceSuite(async () => ({ cached: 'pglite', plain: 'pglite' }));
});

describeWithPostgres('state cache equivalence (PostgreSQL)', (url) => {
  const schemas: PostgresTestSchema[] = [];
  equivalenceSuite(async () => {
    for (let i = 0; i < 2; i++) schemas.push(await openPostgresTestSchema(url, { prefix: 'sce' }));
    const [cached, plain] = schemas.map((s) => ({ connection: s.connection, schema: s.schema }));
    return { cached, plain };
  });
  // After the processes closed (hooks run in the order they are declared).
  afterAll(async () => {
    for (const schema of schemas) await schema.cleanup();
  });
});
