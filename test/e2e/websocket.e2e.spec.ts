import WebSocket from 'ws';
import { graphqlOverWebSocket, tokenFor } from './support/clients';
import { RunningGateway, startGateway } from './support/gateway';

describe('GraphQL over WebSocket (graphql-ws)', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('runs operations for a connection authenticated through connectionParams', async () => {
    const outcome = await graphqlOverWebSocket(
      gateway.wsUrl,
      '{ me { id role } }',
      await tokenFor('mediator', 'm-3'),
    );
    expect(outcome).toEqual({
      kind: 'result',
      result: { data: { me: { id: 'm-3', role: 'mediator' } } },
    });
  });

  it('closes a connection without a token with 4401', async () => {
    const outcome = await graphqlOverWebSocket(gateway.wsUrl, '{ me { id } }');
    expect(outcome).toEqual({ kind: 'closed', code: 4401, reason: 'Unauthorized' });
  });

  it('closes a connection with an invalid token with 4401 and the reason', async () => {
    const outcome = await graphqlOverWebSocket(
      gateway.wsUrl,
      '{ me { id } }',
      await tokenFor('buyer', 'b', { ttl: -60 }),
    );
    expect(outcome).toEqual({ kind: 'closed', code: 4401, reason: 'Token expired' });
  });

  it('closes a session with 4401 "Token expired" once its token expires', async () => {
    const socket = new WebSocket(gateway.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    await new Promise((resolve) => socket.once('open', resolve));
    const token = await tokenFor('buyer', 'b-expiring', { ttl: 2 });
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
    );
    const acked = await new Promise((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse(String(data)).type)),
    );
    expect(acked).toBe('connection_ack');
    // The token was valid at connection_init; the session ends when the token does.
    expect(await closed).toEqual({ code: 4401, reason: 'Token expired' });
  });

  it('closes an anonymous socket that sends a frame larger than REQUEST_BODY_LIMIT, unread', async () => {
    const socket = new WebSocket(gateway.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    // 2 MiB against the default 1mb limit: ws refuses it with 1009 (message too big).
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    );
    expect(await closed).toBe(1009);
    // A normal connection still works.
    const outcome = await graphqlOverWebSocket(
      gateway.wsUrl,
      '{ me { id } }',
      await tokenFor('buyer', 'b-2'),
    );
    expect(outcome).toEqual({ kind: 'result', result: { data: { me: { id: 'b-2' } } } });
  });

  it('answers a domain error in a mutation with its code, as over HTTP', async () => {
    const outcome = await graphqlOverWebSocket(
      gateway.wsUrl,
      'mutation ($input: OrderActionInput!) { confirmDelivery(input: $input) { orderId } }',
      await tokenFor('platform', 'marketplace'),
      { input: { orderId: 'ws-no-such-order' } },
    );
    expect(outcome).toMatchObject({
      kind: 'result',
      result: { errors: [{ extensions: { code: 'ORDER_NOT_FOUND' } }] },
    });
  });

  it('refuses an invalid operation with a code, not a raw message', async () => {
    const outcome = await graphqlOverWebSocket(
      gateway.wsUrl,
      '{ me { noSuchField } }',
      await tokenFor('mediator', 'm-3'),
    );
    expect(outcome).toMatchObject({
      kind: 'errors',
      errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
    });
  });
});

describe('GraphQL over WebSocket is limited like HTTP', () => {
  const refusal = async (settings: Record<string, string>, queries: string[]) => {
    const gateway = await startGateway(settings);
    try {
      const token = await tokenFor('buyer', 'ws-limited');
      const codes: unknown[] = [];
      for (const query of queries) {
        const outcome = await graphqlOverWebSocket(gateway.wsUrl, query, token);
        codes.push(outcome.kind === 'errors' ? outcome.errors[0]?.extensions?.code : outcome.kind);
      }
      return codes;
    } finally {
      await gateway.close();
    }
  };

  it('refuses a query deeper than GRAPHQL_MAX_DEPTH', async () => {
    expect(await refusal({ GRAPHQL_MAX_DEPTH: '1' }, ['{ me { id } }'])).toEqual([
      'QUERY_TOO_DEEP',
    ]);
  });

  it('refuses a query costlier than GRAPHQL_MAX_COMPLEXITY', async () => {
    expect(await refusal({ GRAPHQL_MAX_COMPLEXITY: '2' }, ['{ me { id role } }'])).toEqual([
      'QUERY_TOO_COMPLEX',
    ]);
  });

  it('limits the operations of each actor to RATE_LIMIT_PER_MINUTE', async () => {
    expect(await refusal({ RATE_LIMIT_PER_MINUTE: '3' }, Array(4).fill('{ me { id } }'))).toEqual([
      'result',
      'result',
      'result',
      'RATE_LIMITED',
    ]);
  });
});
