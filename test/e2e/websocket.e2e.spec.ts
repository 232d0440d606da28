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
});
