import { describeOnDatabases } from './support/gateway';
import {
  act,
  type Answer,
  ask,
  eventually,
  openDispute,
  people,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';

const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { disputeId openedAt } }`;
const MY = `query My($first: Int, $after: String, $last: Int, $before: String) {
  myDisputes(first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }`;
const SELLER = `query Seller($first: Int, $after: String, $last: Int, $before: String) {
  sellerDisputes(first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }`;
const QUEUE = `query Queue($first: Int, $after: String, $last: Int, $before: String) {
  mediationQueue(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { dispute { disputeId } } } } }`;

type QueueConnection = { edges: { node: { dispute: { disputeId: string } } }[] };
type Connection = {
  totalCount: number;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  edges: { cursor: string; node: { disputeId: string; openedAt: string } }[];
};

// Backward paging over HTTP: the same items both ways, Relay's page info, refusals with their
// argument named. The keyset itself is covered against both databases in paging.int.spec.ts.
describeOnDatabases('two-way paging over GraphQL', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>>;
  const opened: Answer[] = [];

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = await people(r);
    for (let i = 0; i < 5; i++) opened.push(await openDispute(r, who));
  });
  afterAll(() => r?.close());

  const newestFirst = () => opened.map((a) => a.dispute.disputeId as string).reverse();

  async function page(query: string, role: 'buyer' | 'seller', variables: Record<string, unknown>) {
    const body = await ask<Record<string, Connection>>(r.url, who[role], query, variables);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return Object.values(body.data ?? {})[0];
  }

  it.each([
    ['myDisputes', MY, 'buyer'],
    ['sellerDisputes', SELLER, 'seller'],
  ] as const)(
    '%s: two by two from either end, the same disputes newest first',
    async (_name, query, role) => {
      const forward: string[] = [];
      let after: string | null = null;
      do {
        const p: Connection = await page(query, role, { first: 2, after });
        forward.push(...p.edges.map((e) => e.node.disputeId));
        expect(p.pageInfo.hasPreviousPage).toBe(after !== null);
        after = p.pageInfo.hasNextPage ? p.pageInfo.endCursor : null;
      } while (after);
      const backward: string[] = [];
      let before: string | null = null;
      do {
        const p: Connection = await page(query, role, { last: 2, before });
        backward.unshift(...p.edges.map((e) => e.node.disputeId));
        expect(p.pageInfo.hasNextPage).toBe(before !== null);
        expect(p.pageInfo.startCursor).toBe(p.edges[0].cursor);
        expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor);
        before = p.pageInfo.hasPreviousPage ? p.pageInfo.startCursor : null;
      } while (before);
      expect(forward).toEqual(newestFirst());
      expect(backward).toEqual(newestFirst());
    },
  );

  it('pages the mediation queue backward', async () => {
    for (const answer of opened.slice(0, 3)) {
      const disputeId = answer.dispute.disputeId;
      await act(r.url, who.seller, 'respondToDispute', {
        disputeId,
        response: 'REJECT',
        comment: 'No',
      });
      await act(r.url, who.buyer, 'escalateDispute', { disputeId });
    }
    const queue = async (variables: Record<string, unknown>) => {
      const body = await ask<{ mediationQueue: QueueConnection }>(
        r.url,
        who.mediator,
        QUEUE,
        variables,
      );
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      return body.data.mediationQueue.edges.map((e) => e.node.dispute.disputeId);
    };
    const all = await eventually(async () => {
      const list = await queue({ first: 100 });
      expect(list).toHaveLength(3);
      return list;
    });
    expect(await queue({ last: 2 })).toEqual(all.slice(1));
    expect(await queue({ last: 100 })).toEqual(all);
  });

  it('refuses first with last (or after with before) with BAD_USER_INPUT naming the argument', async () => {
    const cursor = (await page(MY, 'buyer', { first: 1 })).pageInfo.endCursor;
    for (const [variables, path] of [
      [{ first: 2, last: 2 }, 'last'],
      [{ after: cursor, before: cursor }, 'before'],
    ] as const) {
      const refused = await ask(r.url, who.buyer, MY, variables);
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ path, constraints: { pagingDirection: expect.any(String) } }],
      });
    }
    const badBefore = await ask(r.url, who.buyer, MY, { last: 2, before: 'not-a-cursor' });
    expect(badBefore.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: 'before', constraints: { cursor: expect.any(String) } }],
    });
    const tooMany = await ask(r.url, who.buyer, MY, { last: 500 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ fields: [{ path: 'last' }] });
  });
});
