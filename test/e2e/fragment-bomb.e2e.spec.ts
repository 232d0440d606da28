import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql, tokenFor } from './support/clients';
import { type RunningGateway, startGateway } from './support/gateway';

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

describe('GraphQL cost control: fragment fan-out', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({ WORKERS: 'off' });
  });
  afterAll(() => gateway?.close());

  // Without a linear measure, 40 fragments walk 2^39 spreads: the request (and the process) would
  // never answer, and the test would run out of time.
  it.each([20, 40, 200])(
    'refuses a bomb of %i fragments over HTTP, anonymous or not',
    async (fragments) => {
      const query = fragmentBomb(fragments);
      for (const token of [undefined, await tokenFor('buyer')]) {
        const response = await graphql(gateway.url, query, { token });
        expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      }
      // The process still answers at once.
      const health = await fetch(`${gateway.url}/health`);
      expect(health.status).toBe(200);
    },
  );

  it('refuses it over graphql-ws with the same code', async () => {
    const client = createClient({
      url: gateway.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${await tokenFor('buyer')}` },
      retryAttempts: 0,
    });
    try {
      const errors: unknown[] = [];
      await new Promise<void>((resolve) => {
        client.subscribe(
          { query: fragmentBomb(40) },
          {
            next: () => undefined,
            error: (error) => {
              errors.push(error);
              resolve();
            },
            complete: resolve,
          },
        );
      });
      expect(JSON.stringify(errors)).toContain('QUERY_TOO_COMPLEX');
    } finally {
      await client.dispose();
    }
  });
});
