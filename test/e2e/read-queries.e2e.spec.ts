import { TimelineLoader } from '../../apps/gateway/src/read/timeline.loader';
import type { Caller } from './disputes-helpers';
import { describeOnAllStores } from './support/gateway';
import {
  act,
  Answer,
  ask,
  eventually,
  openDispute,
  people,
  ReadGateway,
  startReadGateway,
} from './read-helpers';
import { caller, eur } from './disputes-helpers';
import { graphql } from './support/clients';

const LIST = `disputeId status reason openedAt internalNotes { note } mediatorId`;
const PAGE = `totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${LIST} } }`;
type Node = {
  disputeId: string;
  status: string;
  reason: string;
  openedAt: string;
  internalNotes: { note: string }[];
  mediatorId: string | null;
};
type Connection = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: Node }[];
};

const MY = `query My($first: Int, $after: String, $filter: DisputeFilter) { myDisputes(first: $first, after: $after, filter: $filter) { ${PAGE} } }`;
const SELLER = `query Seller($first: Int, $after: String, $filter: DisputeFilter) { sellerDisputes(first: $first, after: $after, filter: $filter) { ${PAGE} } }`;
const QUEUE = `query Queue($filter: MediationQueueFilter) { mediationQueue(filter: $filter) {
  totalCount edges { node { dispute { disputeId status mediatorId internalNotes { note } } abuseSignal { flagged disputes orders } amount { amountMinor currency } queuedAt } } } }`;
const ONE = `query One($id: ID!) { dispute(id: $id) { ${LIST} description messages { body } } }`;
const TIMELINE = `query Timeline($id: ID!, $first: Int, $after: String) { disputeTimeline(id: $id, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { sequence revision type actorRole actorId summary } } } }`;

const ids = (connection: Connection | undefined) =>
  connection?.edges.map((edge) => edge.node.disputeId);
const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  body.errors?.[0]?.extensions?.code;

// The read side's queries over HTTP, against disputes made through the mutations: lists with
// cursors and filters, each role's shape of a dispute, timeline, statistics, audit, refusals.
describeOnAllStores('read queries', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>>;
  let stranger: Caller;
  let senior: Caller;
  let waiting: Answer; // AWAITING_SELLER, NOT_AS_DESCRIBED
  let taken: Answer; // IN_MEDIATION, DAMAGED, taken, with an internal note
  let queued: Answer; // IN_MEDIATION, WRONG_ITEM, nobody took it

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = await people(r);
    stranger = await caller('buyer', r.id('stranger'));
    senior = await caller('senior_mediator', r.id('senior'));
    waiting = await openDispute(r, who, 'NOT_AS_DESCRIBED', 10_000);
    taken = await openDispute(r, who, 'DAMAGED', 20_000);
    const id = taken.dispute.disputeId;
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: id,
      response: 'REJECT',
      comment: 'It left here intact',
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId: id });
    await act(r.url, who.mediator, 'takeCase', { disputeId: id });
    taken = await act(r.url, who.mediator, 'addInternalNote', {
      disputeId: id,
      note: 'Photos look genuine',
    });
    queued = await openDispute(r, who, 'WRONG_ITEM', 30_000);
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: queued.dispute.disputeId,
      response: 'REJECT',
      comment: 'Right item',
    });
    queued = await act(r.url, who.buyer, 'escalateDispute', {
      disputeId: queued.dispute.disputeId,
    });
  });
  afterAll(() => r?.close());

  it('pages the buyer’s disputes newest first with cursors', async () => {
    const first = (await ask<{ myDisputes: Connection }>(r.url, who.buyer, MY, { first: 2 })).data
      ?.myDisputes;
    expect(first?.totalCount).toBe(3);
    expect(ids(first)).toEqual([queued.dispute.disputeId, taken.dispute.disputeId]);
    expect(first?.pageInfo).toEqual({ hasNextPage: true, endCursor: first?.edges[1].cursor });
    const second = (
      await ask<{ myDisputes: Connection }>(r.url, who.buyer, MY, {
        first: 2,
        after: first?.pageInfo.endCursor,
      })
    ).data?.myDisputes;
    expect(ids(second)).toEqual([waiting.dispute.disputeId]);
    expect(second?.pageInfo.hasNextPage).toBe(false);
    // Another buyer has none of them.
    expect(
      (await ask<{ myDisputes: Connection }>(r.url, stranger, MY)).data?.myDisputes,
    ).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('filters by status, reason and opening dates', async () => {
    const list = async (who_: Caller, query: string, filter: Record<string, unknown>) => {
      const body = await ask<Record<string, Connection>>(r.url, who_, query, { filter });
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return ids(Object.values(body.data ?? {})[0]);
    };
    expect(await list(who.buyer, MY, { status: ['IN_MEDIATION'] })).toEqual([
      queued.dispute.disputeId,
      taken.dispute.disputeId,
    ]);
    expect(await list(who.buyer, MY, { reason: ['DAMAGED', 'NOT_AS_DESCRIBED'] })).toEqual([
      taken.dispute.disputeId,
      waiting.dispute.disputeId,
    ]);
    expect(await list(who.buyer, MY, { openedFrom: taken.dispute.openedAt })).toEqual([
      queued.dispute.disputeId,
      taken.dispute.disputeId,
    ]);
    expect(await list(who.buyer, MY, { openedTo: taken.dispute.openedAt })).toEqual([
      waiting.dispute.disputeId,
    ]);
    expect(
      await list(who.buyer, MY, {
        status: ['IN_MEDIATION'],
        reason: ['WRONG_ITEM'],
        openedFrom: waiting.dispute.openedAt,
      }),
    ).toEqual([queued.dispute.disputeId]);
    expect(await list(who.seller, SELLER, { status: ['AWAITING_SELLER'] })).toEqual([
      waiting.dispute.disputeId,
    ]);
    const bad = await ask(
      r.url,
      who.buyer,
      `{ myDisputes(filter: { status: [NOT_A_STATUS] }) { totalCount } }`,
    );
    expect(codeOf(bad)).toBe('GRAPHQL_VALIDATION_FAILED');
    const tooMany = await ask(r.url, who.buyer, MY, { first: 500 });
    expect(tooMany.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', fields: [{ path: 'first' }] },
    });
    const badCursor = await ask(r.url, who.buyer, MY, { after: 'not-a-cursor' });
    expect(codeOf(badCursor)).toBe('BAD_USER_INPUT');
  });

  it('pages the seller’s disputes, never another seller’s', async () => {
    const page = (
      await ask<{ sellerDisputes: Connection }>(r.url, who.seller, SELLER, { first: 1 })
    ).data?.sellerDisputes;
    expect(page).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(ids(page)).toEqual([queued.dispute.disputeId]);
    const other = await caller('seller', r.id('other-seller'));
    expect(
      (await ask<{ sellerDisputes: Connection }>(r.url, other, SELLER)).data?.sellerDisputes
        .totalCount,
    ).toBe(0);
    expect(codeOf(await ask(r.url, who.buyer, SELLER))).toBe('FORBIDDEN');
  });

  it('lists escalated cases for mediators, with flags and the unassigned filter; FORBIDDEN for others', async () => {
    type Queue = {
      mediationQueue: {
        totalCount: number;
        edges: {
          node: {
            dispute: {
              disputeId: string;
              mediatorId: string | null;
              internalNotes: { note: string }[];
            };
            amount: { amountMinor: number };
            abuseSignal: { flagged: boolean };
          };
        }[];
      };
    };
    const all = (await ask<Queue>(r.url, who.mediator, QUEUE)).data?.mediationQueue;
    expect(all?.totalCount).toBe(2);
    const byId = new Map(all?.edges.map((edge) => [edge.node.dispute.disputeId, edge.node]));
    expect(byId.get(taken.dispute.disputeId)).toMatchObject({
      dispute: { mediatorId: who.mediator.id, internalNotes: [{ note: 'Photos look genuine' }] },
      amount: { amountMinor: 20_000 },
      abuseSignal: { flagged: false },
    });
    const unassignedBody = await ask<Queue>(r.url, senior, QUEUE, { filter: { unassigned: true } });
    if (unassignedBody.errors) throw new Error(JSON.stringify(unassignedBody.errors));
    const unassigned = unassignedBody.data?.mediationQueue;
    expect(unassigned?.edges.map((edge) => edge.node.dispute.disputeId)).toEqual([
      queued.dispute.disputeId,
    ]);
    for (const refused of [who.buyer, who.seller, who.analyst, who.platform]) {
      expect(codeOf(await ask(r.url, refused, QUEUE))).toBe('FORBIDDEN');
    }
  });

  it('shapes dispute(id) by role: parties never see internal notes or staff ids; strangers are FORBIDDEN', async () => {
    const id = taken.dispute.disputeId;
    const as = async (viewer: Caller) =>
      await ask<{ dispute: Node & { description: string } }>(r.url, viewer, ONE, { id });
    expect((await as(who.mediator)).data?.dispute).toMatchObject({
      internalNotes: [{ note: 'Photos look genuine' }],
      mediatorId: who.mediator.id,
    });
    for (const party of [who.buyer, who.seller, who.platform]) {
      expect((await as(party)).data?.dispute).toMatchObject({
        status: 'IN_MEDIATION',
        internalNotes: [],
        mediatorId: null,
      });
    }
    const analyst = (await as(who.analyst)).data?.dispute;
    expect(analyst).toMatchObject({ status: 'IN_MEDIATION', internalNotes: [], mediatorId: null });
    expect(JSON.stringify(analyst)).not.toContain('Photos look genuine');
    expect(codeOf(await as(stranger))).toBe('FORBIDDEN');
    expect(codeOf(await as(await caller('seller', r.id('other-seller'))))).toBe('FORBIDDEN');
    // Missing reads exactly like not yours.
    expect(codeOf(await ask(r.url, who.buyer, ONE, { id: 'no-such-dispute' }))).toBe('FORBIDDEN');
  });

  it('gives the platform every dispute’s facts but none of the parties’ words; any mediator reads the case to take it', async () => {
    const id = taken.dispute.disputeId;
    const words = ['Not what the listing showed', 'It left here intact', 'Photos look genuine'];
    const platform = await ask<{ dispute: Node & { description: string } }>(
      r.url,
      who.platform,
      ONE,
      { id },
    );
    expect(platform.errors).toBeUndefined();
    expect(platform.data?.dispute).toMatchObject({
      disputeId: id,
      status: 'IN_MEDIATION',
      reason: 'DAMAGED',
      description: '[redacted]',
      internalNotes: [],
      mediatorId: null,
    });
    const timeline = await ask<{ disputeTimeline: { edges: { node: { type: string } }[] } }>(
      r.url,
      who.platform,
      TIMELINE,
      { id, first: 50 },
    );
    expect(timeline.data?.disputeTimeline.edges.map((e) => e.node.type)).toContain(
      'SellerResponded',
    );
    for (const text of words) {
      expect(JSON.stringify(platform)).not.toContain(text);
      expect(JSON.stringify(timeline)).not.toContain(text);
    }
    // A mediator who does not hold the case may not speak on it, but reads all of it.
    const other = await caller('mediator', r.id('other-mediator'));
    const asOther = await ask<{ dispute: Node & { description: string } }>(r.url, other, ONE, {
      id,
    });
    expect(asOther.data?.dispute).toMatchObject({
      description: 'Not what the listing showed',
      internalNotes: [{ note: 'Photos look genuine' }],
    });
  });

  it('tells the timeline in plain words, filtered by role and paged', async () => {
    type Timeline = {
      disputeTimeline: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: {
          node: {
            sequence: number;
            revision: number | null;
            type: string;
            actorRole: string;
            actorId: string;
            summary: string;
          };
        }[];
      };
    };
    const id = taken.dispute.disputeId;
    const staffBody = await ask<Timeline>(r.url, who.mediator, TIMELINE, { id });
    if (staffBody.errors) throw new Error(JSON.stringify(staffBody.errors));
    const staff = staffBody.data?.disputeTimeline;
    expect(staff?.edges.map((edge) => edge.node.type)).toEqual([
      'DisputeOpened',
      'SellerResponded',
      'DisputeEscalated',
      'CaseTaken',
      'InternalNoteAdded',
    ]);
    const buyer = (await ask<Timeline>(r.url, who.buyer, TIMELINE, { id, first: 2 })).data
      ?.disputeTimeline;
    expect(buyer?.totalCount).toBe(4);
    expect(buyer?.edges.map((edge) => edge.node.type)).toEqual([
      'DisputeOpened',
      'SellerResponded',
    ]);
    expect(buyer?.edges[0].node.summary).toMatch(/^You opened a dispute \(damaged\)/);
    expect(buyer?.edges.map((edge) => [edge.node.sequence, edge.node.revision])).toEqual([
      [1, null],
      [2, null],
    ]);
    const rest = (
      await ask<Timeline>(r.url, who.buyer, TIMELINE, { id, after: buyer?.pageInfo.endCursor })
    ).data?.disputeTimeline;
    expect(rest?.edges.map((edge) => edge.node.type)).toEqual(['DisputeEscalated', 'CaseTaken']);
    expect(rest?.edges[1].node).toMatchObject({
      sequence: 4,
      actorRole: 'mediator',
      actorId: '[redacted]',
    });
    expect(staff?.edges.map((edge) => edge.node.revision)).toEqual([0, 1, 2, 3, 4]);
    expect(codeOf(await ask(r.url, stranger, TIMELINE, { id }))).toBe('FORBIDDEN');
  });

  it('resolves each listed dispute’s timeline with one batched query (DataLoader)', async () => {
    const loader = r.gateway.app.get(TimelineLoader, { strict: false });
    const batch = jest.spyOn(loader, 'batch');
    try {
      const body = await ask<{
        myDisputes: { edges: { node: { disputeId: string; timeline: { type: string }[] } }[] };
      }>(r.url, who.buyer, `{ myDisputes { edges { node { disputeId timeline { type } } } } }`);
      expect(batch).toHaveBeenCalledTimes(1);
      expect([...batch.mock.calls[0][1]].sort()).toEqual(
        [waiting, taken, queued].map((a) => a.dispute.disputeId).sort(),
      );
      const timelines = Object.fromEntries(
        body.data?.myDisputes.edges.map((edge) => [
          edge.node.disputeId,
          edge.node.timeline.map((e) => e.type),
        ]) ?? [],
      );
      expect(timelines[waiting.dispute.disputeId]).toEqual(['DisputeOpened']);
      expect(timelines[taken.dispute.disputeId]).toEqual([
        'DisputeOpened',
        'SellerResponded',
        'DisputeEscalated',
        'CaseTaken',
      ]);
    } finally {
      batch.mockRestore();
    }
  });

  it('aggregates statistics for analysts and staff only', async () => {
    const STATS = `query Stats($filter: DisputeFilter) { disputeStats(filter: $filter) { total resolvedCount medianResolutionMs byStatus { key count } byReason { key count } byOutcome { key count } } }`;
    const stats = (await ask<{ disputeStats: Record<string, unknown> }>(r.url, who.analyst, STATS))
      .data?.disputeStats;
    expect(stats).toEqual({
      total: 3,
      resolvedCount: 0,
      medianResolutionMs: null,
      byStatus: [
        { key: 'AWAITING_SELLER', count: 1 },
        { key: 'IN_MEDIATION', count: 2 },
      ],
      byReason: [
        { key: 'DAMAGED', count: 1 },
        { key: 'NOT_AS_DESCRIBED', count: 1 },
        { key: 'WRONG_ITEM', count: 1 },
      ],
      byOutcome: [],
    });
    const filtered = (
      await ask<{ disputeStats: { total: number } }>(r.url, who.mediator, STATS, {
        filter: { reason: ['DAMAGED'] },
      })
    ).data;
    expect(filtered?.disputeStats.total).toBe(1);
    for (const refused of [who.buyer, who.seller, who.platform])
      expect(codeOf(await ask(r.url, refused, STATS))).toBe('FORBIDDEN');
  });

  it('replays the audit as of a revision and verifies the chain, for mediators only', async () => {
    const id = taken.dispute.disputeId;
    const AUDIT = `query Audit($id: ID!, $rev: Int) { disputeAudit(id: $id, asOfRevision: $rev) { revision state events { revision type hash } } }`;
    const VERIFY = `query Verify($id: ID!) { disputeAuditVerify(id: $id) { intact events brokenAtRevision } }`;
    const audit = (
      await ask<{
        disputeAudit: {
          revision: number;
          state: string;
          events: { type: string; hash: string | null }[];
        };
      }>(r.url, who.mediator, AUDIT, { id, rev: 1 })
    ).data?.disputeAudit;
    expect(audit?.revision).toBe(1);
    expect(JSON.parse(audit?.state ?? '{}')).toMatchObject({
      status: 'NEGOTIATING',
      sellerRejected: true,
    });
    expect(audit?.events.map((e) => e.type)).toEqual(['DisputeOpened', 'SellerResponded']);
    expect(audit?.events.every((e) => typeof e.hash === 'string')).toBe(true);
    expect((await ask(r.url, senior, VERIFY, { id })).data).toEqual({
      disputeAuditVerify: { intact: true, events: 5, brokenAtRevision: null },
    });
    for (const refused of [who.buyer, who.seller, who.analyst]) {
      expect(codeOf(await ask(r.url, refused, AUDIT, { id }))).toBe('FORBIDDEN');
      expect(codeOf(await ask(r.url, refused, VERIFY, { id }))).toBe('FORBIDDEN');
    }
  });

  // Last: it adds a dispute, which the counts and lists above do not expect.
  it('answers what is left to refund the same way from the mutation and the query; the seller marks the refund sent', async () => {
    const opened = await openDispute(r, who, 'QUALITY_ISSUE', 10_000);
    const disputeId = opened.dispute.disputeId;
    const countered = await act(r.url, who.seller, 'respondToDispute', {
      disputeId,
      response: 'COUNTER',
      comment: 'Part of it',
      counterProposal: { kind: 'PARTIAL_REFUND', amount: eur(3_000) },
    });
    const offer = countered.dispute.proposals.find((p) => p.proposer === 'seller');
    await act(r.url, who.buyer, 'acceptProposal', { disputeId, proposalId: offer?.proposalId });
    const marked = await act(r.url, who.seller, 'markRefundSent', {
      disputeId,
      reference: 'TRANSFER-7',
      amount: eur(3_000),
    });
    expect(marked.dispute).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(3_000) });
    const again = await graphql<{ markRefundSent: unknown }>(
      r.url,
      'mutation($input: MarkRefundSentInput!) { markRefundSent(input: $input) { status } }',
      {
        token: who.seller.token,
        variables: { input: { disputeId, reference: 'TRANSFER-8', amount: eur(3_000) } },
      },
    );
    expect(codeOf(again.body)).toBe('REFUND_ALREADY_MARKED_SENT');
    const paid = await act(r.url, who.platform, 'confirmRefundPayout', {
      disputeId,
      payoutReference: 'PAYOUT-7',
      amount: eur(3_000),
    });
    expect(paid.dispute).toMatchObject({ status: 'CLOSED', refundable: eur(7_000) });
    const REFUND = `query One($id: ID!) { dispute(id: $id) { status refundMarkedSentAt refundable { amountMinor currency } } }`;
    const read = await eventually(async () => {
      const body = await ask<{
        dispute: { status: string; refundMarkedSentAt: string | null; refundable: unknown };
      }>(r.url, who.buyer, REFUND, { id: disputeId });
      expect(body.data?.dispute.status).toBe('CLOSED');
      return body.data?.dispute;
    });
    expect(read).toMatchObject({ refundable: eur(7_000) });
    expect(read?.refundMarkedSentAt).toEqual(expect.any(String));
  });
});
