import { graphql, graphqlOverWebSocket, tokenFor } from './support/clients';
import { type RunningGateway, startGateway } from './support/gateway';

/** How a graphql-ws operation on a buyer's socket ends, as text. */
async function overWebSocket(
  wsUrl: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<string> {
  return JSON.stringify(
    await graphqlOverWebSocket(wsUrl, query, await tokenFor('buyer'), variables),
  );
}

/**
 * `{ ...F0 } fragment F0 on Query { ...F1 ...F1 } … fragment Fn on Query { __typename }`: each
 * fragment doubles what a naive walk visits. Refused with a code, without a token too, over HTTP
 * and WebSocket, however many fragments; and the gateway stays responsive.
 */
function fragmentBomb(fragments: number): string {
  const parts = ['query Bomb { ...F0 }'];
  for (let i = 0; i < fragments - 1; i++)
    parts.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  parts.push(`fragment F${fragments - 1} on Query { __typename me { id } }`);
  return parts.join(' ');
}

describe('GraphQL cost control', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({ WORKERS: 'off' });
  });
  afterAll(() => gateway?.close());

  /** The same document over HTTP (anonymous and as a buyer) and over graphql-ws. */
  async function expectRefused(
    query: string,
    message: RegExp,
    variables?: Record<string, unknown>,
  ) {
    for (const token of [undefined, await tokenFor('buyer')]) {
      const response = await graphql(gateway.url, query, { token, variables });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(response.body.errors?.[0]?.message).toMatch(message);
      expect(response.body.data).toBeUndefined();
    }
    const ws = await overWebSocket(gateway.wsUrl, query, variables);
    expect(ws).toContain('QUERY_TOO_COMPLEX');
    expect(ws).toMatch(new RegExp(message.source.replace(/^\^|\$$/g, '')));
  }

  describe('fragment fan-out', () => {
    // Without a linear measure, 40 fragments walk 2^39 spreads: the request (and the process)
    // would never answer, and the test would run out of time.
    it.each([20, 40, 200])(
      'refuses a bomb of %i fragments, anonymous or not',
      async (fragments) => {
        await expectRefused(fragmentBomb(fragments), /^Query complexity/);
        // The process still answers at once.
        const health = await fetch(`${gateway.url}/health/live`);
        expect(health.status).toBe(200);
      },
    );
  });

  describe('aliases and directives (GRAPHQL_MAX_ALIASES 15, GRAPHQL_MAX_DIRECTIVES 20)', () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;

    it('answers 15 aliases and refuses 16, also when they come through fragments', async () => {
      const ok = await graphql(gateway.url, aliases(15), { token: await tokenFor('buyer') });
      expect(ok.body.errors).toBeUndefined();
      await expectRefused(aliases(16), /^Aliases limit of 15 exceeded, found 16\.$/);
      // `__typename` counts like any field.
      const typenames = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ');
      await expectRefused(`{ ${typenames} }`, /^Aliases limit of 15 exceeded, found 16\.$/);
      // Eight aliases in a fragment spread twice count sixteen.
      const eight = Array.from({ length: 8 }, (_, i) => `b${i}: me { id }`).join(' ');
      await expectRefused(
        `{ ...A ...B } fragment A on Query { ...C } fragment B on Query { ...C } fragment C on Query { ${eight} }`,
        /found 16/,
      );
    });

    it('refuses more than 20 directives', async () => {
      const spreads = (n: number) =>
        Array.from({ length: n }, () => '... on Actor @include(if: true) { id }').join(' ');
      const ok = await graphql(gateway.url, `{ me { ${spreads(20)} } }`, {
        token: await tokenFor('buyer'),
      });
      expect(ok.body.errors).toBeUndefined();
      await expectRefused(
        `{ me { ${spreads(21)} } }`,
        /^Directives limit of 20 exceeded, found 21\.$/,
      );
    });
  });

  describe('page sizes multiply the cost of what is selected in a page', () => {
    let small: RunningGateway;
    beforeAll(async () => {
      small = await startGateway({ WORKERS: 'off', GRAPHQL_MAX_COMPLEXITY: '50' });
    });
    afterAll(() => small?.close());

    // Per item: the edge and the node (objects, 1 each) and pageInfo (1); scalars cost nothing.
    const LIST =
      'query($n: Int) { myDisputes(first: $n) { edges { node { disputeId status } } pageInfo { hasNextPage } } }';

    it('counts `first` from variables and the default page of 20 when it is absent', async () => {
      const token = await tokenFor('buyer');
      const ten = await graphql(small.url, LIST, { token, variables: { n: 10 } });
      expect(ten.body.errors).toBeUndefined();
      for (const variables of [{ n: 20 }, {}]) {
        const refused = await graphql(small.url, LIST, { token, variables });
        expect(refused.body.errors?.[0]).toMatchObject({
          message: 'Query complexity 60 exceeds the limit of 50',
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        });
      }
      const ws = await overWebSocket(small.wsUrl, LIST, { n: 20 });
      expect(ws).toContain('Query complexity 60 exceeds the limit of 50');
    });

    it('counts `last` as it counts `first`: a backward page costs its size too', async () => {
      const token = await tokenFor('buyer');
      const backward = (n: number) =>
        graphql(
          small.url,
          `{ myDisputes(last: ${n}) { edges { node { disputeId } } pageInfo { hasPreviousPage } } }`,
          { token },
        );
      expect((await backward(10)).body.errors).toBeUndefined();
      expect((await backward(20)).body.errors?.[0]).toMatchObject({
        message: 'Query complexity 60 exceeds the limit of 50',
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      });
    });

    it('uses a paged field’s own default: the event feed’s page of 100', async () => {
      const refused = await graphql(small.url, '{ disputeEventsPage { events { id } } }', {
        token: await tokenFor('analyst'),
      });
      expect(refused.body.errors?.[0]?.message).toBe(
        'Query complexity 100 exceeds the limit of 50',
      );
    });
  });
});
