import { disputeStreamId } from '@arbiter/disputes';
import { describeOnDatabases } from './support/gateway';
import {
  Caller,
  caller,
  cast,
  DisputesGateway,
  eur,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

/**
 * The staff-scope matrix (docs/domain.md#staff-scope), over HTTP: roles × commands on a dispute
 * before escalation, escalated but untaken, and taken — which succeed, and the stable code of each
 * refusal. `mediator` takes the case; `mediator2` is another mediator; `senior` a senior mediator
 * who does not hold it. The rule (libs/disputes/README.md, "Staff scope"): the holder speaks and
 * steers; a senior speaks on any case in mediation and steers after taking it over; other mediators
 * read; the platform records order facts and payouts only.
 */

type Stage = 'negotiating' | 'escalated' | 'taken';
type Who = 'buyer' | 'seller' | 'mediator' | 'mediator2' | 'senior' | 'platform';
const WHO: Who[] = ['buyer', 'seller', 'mediator', 'mediator2', 'senior', 'platform'];

const OK = 'ok';
// FORBIDDEN_FOR_ROLE and NOT_A_PARTY reach callers as FORBIDDEN (error-mapping.ts conceals them).
const NO = 'FORBIDDEN';
const NA = 'NOT_ASSIGNED_MEDIATOR';
const NIM = 'DISPUTE_NOT_IN_MEDIATION';

const COMMANDS: Record<string, (disputeId: string) => Record<string, unknown>> = {
  postMessage: (disputeId) => ({ disputeId, body: 'Hello' }),
  addInternalNote: (disputeId) => ({ disputeId, note: 'Checked the tracking' }),
  requestEvidence: (disputeId) => ({ disputeId, from: 'buyer', prompt: 'A photo?' }),
  submitProposal: (disputeId) => ({
    disputeId,
    solution: { kind: 'PARTIAL_REFUND', amount: eur(2_000) },
  }),
  decideDispute: (disputeId) => ({
    disputeId,
    ruling: { kind: 'SELLER_FAVOUR' },
    rationale: 'r',
  }),
  takeCase: (disputeId) => ({ disputeId }),
};

//              buyer seller mediator mediator2 senior platform
const MATRIX: Record<Stage, Record<keyof typeof COMMANDS, string[]>> = {
  negotiating: {
    postMessage: [OK, OK, NIM, NIM, NIM, NO],
    addInternalNote: [NO, NO, NIM, NIM, NIM, NO],
    requestEvidence: [NO, NO, NIM, NIM, NIM, NO],
    submitProposal: [OK, OK, NIM, NIM, NIM, NO],
    decideDispute: [NO, NO, NIM, NIM, NIM, NO],
    takeCase: [NO, NO, NIM, NIM, NIM, NO],
  },
  escalated: {
    postMessage: [OK, OK, NA, NA, OK, NO],
    addInternalNote: [NO, NO, NA, NA, OK, NO],
    requestEvidence: [NO, NO, NA, NA, NA, NO],
    submitProposal: [OK, OK, NA, NA, NA, NO],
    decideDispute: [NO, NO, NA, NA, NA, NO],
    takeCase: [NO, NO, OK, OK, OK, NO],
  },
  taken: {
    postMessage: [OK, OK, OK, NA, OK, NO],
    addInternalNote: [NO, NO, OK, NA, OK, NO],
    requestEvidence: [NO, NO, OK, NA, NA, NO],
    submitProposal: [OK, OK, OK, NA, NA, NO],
    decideDispute: [NO, NO, OK, NA, NA, NO],
    takeCase: [NO, NO, OK, 'CASE_ALREADY_ASSIGNED', OK, NO],
  },
};

/** Successes that change who holds the case or what may follow get a dispute of their own. */
const CHANGES_THE_CASE = new Set(['requestEvidence', 'decideDispute', 'takeCase']);

const CELLS = (Object.keys(MATRIX) as Stage[]).flatMap((stage) =>
  Object.entries(MATRIX[stage]).flatMap(([command, row]) =>
    WHO.map((who, i) => ({ stage, command, who, expected: row[i] })),
  ),
);

describeOnDatabases('staff scope matrix', (database) => {
  let d: DisputesGateway;
  let people: Awaited<ReturnType<typeof cast>> & { mediator2: Caller };
  const shared = new Map<Stage, string>();

  async function disputeAt(stage: Stage): Promise<string> {
    const url = d.gateway.url;
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    const { disputeId } = await ok(url, people.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Dented',
      claim: { kind: 'FULL_REFUND' },
    });
    await ok(url, people.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'No',
    });
    if (stage === 'negotiating') return disputeId;
    await ok(url, people.buyer, 'escalateDispute', { disputeId });
    if (stage === 'escalated') return disputeId;
    await ok(url, people.mediator, 'takeCase', { disputeId });
    return disputeId;
  }

  beforeAll(async () => {
    d = await startDisputesGateway(database);
    const four = await cast(d);
    people = { ...four, mediator2: await caller('mediator', d.id('mediator')) };
    for (const stage of Object.keys(MATRIX) as Stage[]) shared.set(stage, await disputeAt(stage));
  });
  afterAll(() => d?.close());

  it.each(CELLS)(
    '$stage: $command as $who → $expected',
    async ({ stage, command, who, expected }) => {
      const disputeId =
        expected === OK && CHANGES_THE_CASE.has(command)
          ? await disputeAt(stage)
          : (shared.get(stage) as string);
      const stream = disputeStreamId(disputeId);
      const before = (await d.store.readStream(stream)).length;
      const result = await mutate(
        d.gateway.url,
        people[who],
        command,
        COMMANDS[command](disputeId),
      );
      if (expected === OK) {
        expect(result.errors).toBeUndefined();
        expect(result.data).toMatchObject({ disputeId });
      } else {
        expect(result.code).toBe(expected);
        expect(result.data).toBeNull();
        expect((await d.store.readStream(stream)).length).toBe(before);
      }
    },
  );
});
