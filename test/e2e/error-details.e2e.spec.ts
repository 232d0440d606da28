import { DisputeQueries } from '@arbiter/read-models';
import { graphql, graphqlOverWebSocket, tokenFor } from './support/clients';
import { RunningGateway, startGateway } from './support/gateway';

/**
 * What a client learns about the server from an error answer: a stack trace (with the server's
 * file paths) only when the operator asked for it with GRAPHQL_DEBUG=true, never merely because
 * the gateway runs in development mode (NODE_ENV's default).
 */

/** Signs of a stack trace or a server path anywhere in an answer. */
function serverDetailsIn(body: unknown): string[] {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const signs = [
    /stacktrace/i,
    /node_modules/,
    /\.[cm]?[jt]s:\d+/,
    /\bat [\w.<>]+ \(/,
    new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  ];
  return signs.filter((sign) => sign.test(text)).map(String);
}

const REFUSED = 'mutation($d: ID!) { escalateDispute(input: { disputeId: $d }) { disputeId } }';
const UNKNOWN_DISPUTE = { d: '00000000-0000-4000-8000-000000000000' };

async function rawPost(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe('error answers in development mode', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({ NODE_ENV: 'development' });
  });
  afterAll(() => gateway?.close());

  it('a refused mutation carries its code and no stack trace', async () => {
    const token = await tokenFor('buyer');
    const response = await graphql(gateway.url, REFUSED, { token, variables: UNKNOWN_DISPUTE });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(serverDetailsIn(response.body)).toEqual([]);
  });

  it('a malformed or invalid query carries no stack trace', async () => {
    const token = await tokenFor('buyer');
    const parse = await graphql(gateway.url, '{ me { id ', { token });
    expect(parse.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(serverDetailsIn(parse.body)).toEqual([]);
    const invalid = await graphql(gateway.url, '{ me { nope } }', { token });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(serverDetailsIn(invalid.body)).toEqual([]);
    const badVariable = await graphql(gateway.url, REFUSED, { token, variables: { d: 5.5 } });
    expect(badVariable.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(serverDetailsIn(badVariable.body)).toEqual([]);
  });

  it('an unexpected server error is masked and carries no stack trace', async () => {
    // A bug behind a resolver.
    const bug = jest
      .spyOn(gateway.app.get(DisputeQueries), 'buyerDisputes')
      .mockRejectedValue(new TypeError("Cannot read properties of undefined (reading 'id')"));
    const response = await graphql(gateway.url, '{ myDisputes { totalCount } }', {
      token: await tokenFor('buyer'),
    }).finally(() => bug.mockRestore());
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(serverDetailsIn(response.body)).toEqual([]);
  });

  it('a malformed HTTP body, to GraphQL or to the evidence upload, carries no stack trace', async () => {
    const token = await tokenFor('buyer');
    const json = await rawPost(`${gateway.url}/graphql`, '{"query": "{ me', {
      authorization: `Bearer ${token}`,
    });
    expect(json.status).toBe(400);
    expect(serverDetailsIn(json.text)).toEqual([]);
    const evidence = await rawPost(`${gateway.url}/evidence`, '{"disputeId": 1', {
      authorization: `Bearer ${token}`,
    });
    expect(evidence.status).toBeGreaterThanOrEqual(400);
    expect(evidence.status).toBeLessThan(500);
    expect(serverDetailsIn(evidence.text)).toEqual([]);
    const anonymous = await fetch(`${gateway.url}/evidence`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(serverDetailsIn(await anonymous.text())).toEqual([]);
  });

  it('a refused or failing operation over graphql-ws carries no stack trace', async () => {
    const token = await tokenFor('buyer');
    for (const query of [
      'subscription($d: ID!) { disputeUpdated(id: $d) { disputeId } }',
      'subscription { disputeUpdated(id: ',
      '{ me { id } }',
    ]) {
      const outcome = await graphqlOverWebSocket(gateway.wsUrl, query, token, UNKNOWN_DISPUTE);
      expect(outcome.kind).not.toBe('closed');
      expect(serverDetailsIn(outcome)).toEqual([]);
    }
  });
});

describe('error answers with GRAPHQL_DEBUG=true', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({ NODE_ENV: 'development', GRAPHQL_DEBUG: 'true' });
  });
  afterAll(() => gateway?.close());

  it('carry the stack trace, for the operator who asked for it', async () => {
    const token = await tokenFor('buyer');
    const refused = await graphql(gateway.url, REFUSED, { token, variables: UNKNOWN_DISPUTE });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.extensions?.stacktrace).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\s*at /)]),
    );
    const parse = await graphql(gateway.url, '{ me { id ', { token });
    expect(parse.body.errors?.[0]?.extensions?.stacktrace).toEqual(expect.any(Array));
  });

  it('show where an unexpected error arose, not where it was mapped', async () => {
    const bug = jest
      .spyOn(gateway.app.get(DisputeQueries), 'buyerDisputes')
      .mockRejectedValue(new TypeError("Cannot read properties of undefined (reading 'id')"));
    const response = await graphql(gateway.url, '{ myDisputes { totalCount } }', {
      token: await tokenFor('buyer'),
    }).finally(() => bug.mockRestore());
    const error = response.body.errors?.[0];
    expect(error).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const stack = error?.extensions?.stacktrace as string[];
    expect(stack[0]).toBe("TypeError: Cannot read properties of undefined (reading 'id')");
    expect(stack.some((line) => line.includes('error-details.e2e.spec'))).toBe(true);
  });
});
