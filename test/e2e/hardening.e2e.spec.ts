import type { ActorRole } from '@arbiter/auth';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql, tokenFor } from './support/clients';
import { RunningGateway, startGateway } from './support/gateway';

/** The errors a graphql-ws operation ends with (a buyer's socket). */
async function wsErrors(
  wsUrl: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<unknown> {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await tokenFor('buyer')}` },
    retryAttempts: 0,
  });
  try {
    return await new Promise((resolve) => {
      client.subscribe(
        { query, variables },
        { next: (result) => resolve(result.errors), error: resolve, complete: () => resolve(null) },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('hardening', () => {
  describe('query limits', () => {
    it('refuses a query deeper than GRAPHQL_MAX_DEPTH', async () => {
      const gateway = await startGateway({ GRAPHQL_MAX_DEPTH: '1' });
      try {
        const response = await graphql(gateway.url, '{ me { id } }', {
          token: await tokenFor('buyer'),
        });
        expect(response.body.errors?.[0]).toMatchObject({
          message: 'Query depth 2 exceeds the limit of 1',
          extensions: { code: 'QUERY_TOO_DEEP' },
        });
        expect(response.body.data).toBeUndefined();
      } finally {
        await gateway.close();
      }
    });

    it('refuses a query costlier than GRAPHQL_MAX_COMPLEXITY, counting fragments', async () => {
      const gateway = await startGateway({ GRAPHQL_MAX_COMPLEXITY: '3' });
      try {
        const token = await tokenFor('buyer');
        const cheap = await graphql(gateway.url, '{ me { id role } }', { token });
        expect(cheap.body.data).toEqual({ me: { id: 'buyer-1', role: 'buyer' } });
        const costly = await graphql(
          gateway.url,
          '{ a: me { ...F } b: me { ...F } } fragment F on Actor { id role }',
          { token },
        );
        expect(costly.body.errors?.[0]).toMatchObject({
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        });
        expect(costly.body.errors?.[0].message).toMatch(
          /^Query complexity 6 exceeds the limit of 3$/,
        );
      } finally {
        await gateway.close();
      }
    });
    it('answers a variable that does not fit its type with BAD_USER_INPUT, not an internal error', async () => {
      const gateway = await startGateway();
      try {
        const response = await graphql(
          gateway.url,
          'query($s: [DisputeStatus!]) { myDisputes(first: 5, filter: { status: $s }) { edges { node { disputeId } } } }',
          { token: await tokenFor('buyer'), variables: { s: ['NO_SUCH_STATUS'] } },
        );
        expect(response.body.errors?.[0]).toMatchObject({
          extensions: { code: 'BAD_USER_INPUT' },
        });
        expect(response.body.errors?.[0].message).toMatch(/\$s/);
      } finally {
        await gateway.close();
      }
    });
  });

  describe('with default settings', () => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '5', REQUEST_BODY_LIMIT: '2kb' });
    });
    afterAll(() => gateway?.close());

    it('refuses a GET query without a CSRF preflight header', async () => {
      const response = await fetch(
        `${gateway.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`,
        {
          headers: { authorization: `Bearer ${await tokenFor('seller', 'csrf')}` },
        },
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/CSRF/);
    });

    it('refuses a simple (text/plain) POST that a browser form could send cross-site', async () => {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/CSRF/);
    });

    it('accepts a GET query with the preflight header', async () => {
      const response = await fetch(
        `${gateway.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`,
        {
          headers: {
            authorization: `Bearer ${await tokenFor('seller', 'csrf')}`,
            'apollo-require-preflight': 'true',
          },
        },
      );
      expect(await response.json()).toEqual({ data: { me: { id: 'csrf' } } });
    });

    it('refuses a body over REQUEST_BODY_LIMIT', async () => {
      const response = await graphql(gateway.url, `{ me { id } } # ${'x'.repeat(4096)}`, {
        token: await tokenFor('buyer'),
      });
      expect(response.status).toBe(413);
    });

    it('limits each actor separately, whatever its IP', async () => {
      const limited = await tokenFor('buyer', 'busy-buyer');
      const codes: unknown[] = [];
      for (let i = 0; i < 6; i += 1) {
        const response = await graphql(gateway.url, '{ me { id } }', { token: limited });
        codes.push(response.body.errors?.[0]?.extensions?.code ?? 'ok');
      }
      expect(codes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);
      const other = await graphql(gateway.url, '{ me { id } }', {
        token: await tokenFor('buyer', 'calm-buyer'),
      });
      expect(other.body.data).toEqual({ me: { id: 'calm-buyer' } });
    });
  });

  describe('per-IP limits on anonymous and refused requests, before parsing', () => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      // TRUST_PROXY: each test plays clients at its own address through X-Forwarded-For.
      gateway = await startGateway({
        WORKERS: 'off',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3',
        RATE_LIMIT_FAILED_PER_MINUTE: '3',
        TRUST_PROXY: 'loopback',
      });
    });
    afterAll(() => gateway?.close());

    const post = (ip: string, body: string, token?: string) =>
      fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': ip,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
      });
    const ME = JSON.stringify({ query: '{ me { id } }' });
    const UNPARSEABLE = JSON.stringify({ query: '{ me { id' });
    // Answered without credentials (a refused `me` would count as a refusal too).
    const TYPENAME = JSON.stringify({ query: '{ __typename }' });

    it('refuses an address’s anonymous requests past the limit, before parsing; callers with a token go on', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('203.0.113.1', TYPENAME)).status);
      expect(statuses).toEqual([200, 200, 200]);
      // Unparseable: a parse would answer 400. An invalid token is anonymous too.
      for (const token of [undefined, 'not-a-token']) {
        const refused = await post('203.0.113.1', UNPARSEABLE, token);
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await refused.json()).toMatchObject({
          errors: [{ extensions: { code: 'RATE_LIMITED' } }],
        });
      }
      const buyer = await post('203.0.113.1', ME, await tokenFor('buyer'));
      expect(buyer.status).toBe(200);
      expect(await buyer.json()).toEqual({ data: { me: { id: 'buyer-1' } } });
      // Another address has its own budget.
      expect((await post('203.0.113.2', TYPENAME)).status).toBe(200);
    });

    it('cuts off an address that keeps sending refused requests, token or not; answered ones do not count', async () => {
      const token = await tokenFor('buyer');
      for (let i = 0; i < 10; i++) expect((await post('203.0.113.3', ME, token)).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        expect((await post('203.0.113.4', UNPARSEABLE, token)).status).toBe(400);
      }
      const cut = await post('203.0.113.4', ME, token);
      expect(cut.status).toBe(429);
      expect(await cut.json()).toMatchObject({
        errors: [{ extensions: { code: 'RATE_LIMITED' } }],
      });
      // Refusals with no data count even when the status is 200 (GraphQL's own answer).
      const seller = await tokenFor('seller');
      for (let i = 0; i < 3; i++) {
        const response = await post(
          '203.0.113.5',
          JSON.stringify({ query: '{ dispute(id: "none") { status } }' }),
          seller,
        );
        expect(response.status).toBeLessThan(429);
      }
      expect((await post('203.0.113.5', ME, seller)).status).toBe(429);
      expect((await post('203.0.113.6', ME, seller)).status).toBe(200);
    });

    /** How a GraphQL WebSocket from `ip` ends after `connection_init` with `token`. */
    async function connect(ip: string, token: string): Promise<number | 'ack'> {
      const socket = new WebSocket(gateway.wsUrl, 'graphql-transport-ws', {
        headers: { 'x-forwarded-for': ip },
      });
      return new Promise((resolve, reject) => {
        socket.on('open', () =>
          socket.send(
            JSON.stringify({
              type: 'connection_init',
              payload: { authorization: `Bearer ${token}` },
            }),
          ),
        );
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') {
            socket.close();
            resolve('ack');
          }
        });
        socket.on('close', (code) => resolve(code));
        socket.on('error', reject);
      });
    }

    it('counts WebSockets refused at connection_init with the address’s refusals, and turns the address away past the limit', async () => {
      const buyer = await tokenFor('buyer');
      expect(await connect('203.0.113.7', buyer)).toBe('ack');
      for (let i = 0; i < 3; i++) expect(await connect('203.0.113.7', 'not-a-token')).toBe(4401);
      // Past the limit: turned away before the token is checked, a valid one too, and HTTP alike.
      expect(await connect('203.0.113.7', buyer)).toBe(4429);
      expect((await post('203.0.113.7', ME, buyer)).status).toBe(429);
      // An address cut off over HTTP cannot open a socket either; others can.
      for (let i = 0; i < 3; i++) await post('203.0.113.8', UNPARSEABLE, buyer);
      expect(await connect('203.0.113.8', buyer)).toBe(4429);
      expect(await connect('203.0.113.9', buyer)).toBe('ack');
    });
  });

  describe('input no transport may turn into an internal error', () => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      gateway = await startGateway({ WORKERS: 'off' });
    });
    afterAll(() => gateway?.close());

    it('refuses NUL and unpaired surrogates in query text and variables, over HTTP and graphql-ws', async () => {
      const token = await tokenFor('analyst');
      const cases: [string, Record<string, unknown> | undefined][] = [
        ['{ dispute(id: "\\u0000") { status } }', undefined],
        ['query($id: ID!) { dispute(id: $id) { status } }', { id: '\u0000' }],
        ['query($id: ID!) { dispute(id: $id) { status } }', { id: 'a\ud800b' }],
        ['query($id: ID!) { dispute(id: $id) { status } }', { id: '\udc00' }],
      ];
      for (const [query, variables] of cases) {
        const http = await graphql(gateway.url, query, { token, variables });
        expect(http.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const ws = await wsErrors(gateway.wsUrl, query, variables);
        expect(JSON.stringify(ws)).toContain('BAD_USER_INPUT');
      }
      // A proper pair (an emoji) is text like any other.
      const emoji = await graphql(gateway.url, 'query($id: ID!) { dispute(id: $id) { status } }', {
        token,
        variables: { id: 'x\ud83d\ude00' },
      });
      expect(emoji.body.errors?.[0]?.extensions?.code).not.toBe('BAD_USER_INPUT');
      expect(emoji.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    });

    it('refuses malformed instants and those outside 1970–9999, in literals and variables, on both transports', async () => {
      const token = await tokenFor('buyer');
      const list = (from: string) =>
        `{ myDisputes(first: 5, filter: { openedFrom: "${from}" }) { edges { node { disputeId } } } }`;
      for (const from of [
        '+275760-09-13T00:00:00.000Z',
        '-000001-01-01T00:00:00Z',
        '1969-12-31T23:59:59Z',
      ]) {
        // A literal is part of the document: refused by validation, as any literal of the wrong type.
        const literal = await graphql(gateway.url, list(from), { token });
        expect(literal.status).toBe(400);
        expect(literal.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(literal.body.errors?.[0]?.message).toMatch(/from 1970 to 9999/);
        const variable = await graphql(
          gateway.url,
          'query($f: DateTime) { myDisputes(first: 5, filter: { openedTo: $f }) { edges { node { disputeId } } } }',
          { token, variables: { f: from } },
        );
        expect(variable.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const ws = JSON.stringify(await wsErrors(gateway.wsUrl, list(from)));
        expect(ws).toContain('GRAPHQL_VALIDATION_FAILED');
        expect(ws).toMatch(/from 1970 to 9999/);
      }
      const sane = await graphql(gateway.url, list('2026-01-01T00:00:00Z'), { token });
      expect(sane.body.errors).toBeUndefined();
    });

    it('refuses hand-made list cursors as BAD_USER_INPUT on `after`, never as an internal error', async () => {
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const forged = [
        b64(['x', 'y']),
        b64(['+275760-09-13T00:00:00.000Z', 'c3a7bd43-f263-5685-8b14-612c790aad07']),
        b64(['2026-02-30T00:00:00.000Z', 'c3a7bd43-f263-5685-8b14-612c790aad07']),
        b64(['2026-03-01T09:30:00.000Z', 'c3\u0000a7']),
        b64(['x', 'y', 'z']),
        '',
      ];
      const lists: [ActorRole, string][] = [
        ['buyer', 'myDisputes'],
        ['seller', 'sellerDisputes'],
        ['mediator', 'mediationQueue'],
      ];
      for (const [role, list] of lists) {
        const token = await tokenFor(role);
        for (const after of forged) {
          const response = await graphql(
            gateway.url,
            `query($after: String) { ${list}(after: $after) { totalCount } }`,
            { token, variables: { after } },
          );
          expect(response.body.errors?.[0]?.extensions).toMatchObject({
            code: 'BAD_USER_INPUT',
            fields: [{ path: 'after' }],
          });
        }
      }
    });

    it('refuses a currency that is not ISO 4217 as the domain does (INVALID_MONEY), whatever its shape', async () => {
      const token = await tokenFor('platform', 'marketplace');
      const place = (currency: string) =>
        graphql(
          gateway.url,
          'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }',
          {
            token,
            variables: {
              input: {
                orderId: `order-${currency}-${Date.now()}`,
                buyerId: 'buyer-1',
                sellerId: 'seller-1',
                total: { amountMinor: 1500, currency },
                items: [
                  {
                    sku: 's',
                    title: 'Lamp',
                    quantity: 1,
                    unitPrice: { amountMinor: 1500, currency },
                  },
                ],
              },
            },
          },
        );
      for (const currency of ['ABC', 'XYZ']) {
        expect((await place(currency)).body.errors?.[0]?.extensions?.code).toBe('INVALID_MONEY');
      }
      expect((await place('eur')).body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await place('JPY')).body.errors).toBeUndefined();
    });

    it('answers a subscription sent over HTTP, and a persisted-query request, with their own codes', async () => {
      const token = await tokenFor('analyst');
      const subscription = await graphql(gateway.url, 'subscription { disputeEvents { type } }', {
        token,
      });
      expect(subscription.body.errors?.[0]?.extensions?.code).toBe('SUBSCRIPTION_OVER_HTTP');
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: '{ me { id } }',
          extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
        }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    });
  });

  describe('in production', () => {
    let gateway: RunningGateway;
    beforeAll(async () => {
      gateway = await startGateway({ NODE_ENV: 'production' });
    });
    afterAll(() => gateway?.close());

    it('switches introspection off', async () => {
      const response = await graphql(gateway.url, '{ __schema { types { name } } }', {
        token: await tokenFor('buyer'),
      });
      expect(response.body.errors?.[0].message).toMatch(/introspection/i);
      expect(response.body.data).toBeUndefined();
    });

    it('switches introspection off over graphql-ws too', async () => {
      const errors = await wsErrors(gateway.wsUrl, '{ __schema { types { name } } }');
      expect(JSON.stringify(errors)).toMatch(/introspection/i);
    });

    it('names no schema fields in suggestions, over HTTP or graphql-ws', async () => {
      const token = await tokenFor('buyer');
      const http = await graphql(gateway.url, '{ me { rol } }', { token });
      expect(http.body.errors?.[0].message).toMatch(/Cannot query field "rol"/);
      expect(JSON.stringify(http.body)).not.toMatch(/Did you mean/);
      const ws = await wsErrors(gateway.wsUrl, '{ me { rol } }');
      expect(JSON.stringify(ws)).toMatch(/Cannot query field/);
      expect(JSON.stringify(ws)).not.toMatch(/Did you mean/);
      // An unknown field in a variable's input: refused by coercion, not validation.
      const query = 'query($f: DisputeFilter) { myDisputes(filter: $f) { totalCount } }';
      const variables = { f: { statuss: ['AWAITING_SELLER'] } };
      const coerced = await graphql(gateway.url, query, { token, variables });
      expect(coerced.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/Field "statuss" is not defined by type "DisputeFilter"/),
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(JSON.stringify(coerced.body)).not.toMatch(/Did you mean/);
      expect(JSON.stringify(await wsErrors(gateway.wsUrl, query, variables))).not.toMatch(
        /Did you mean/,
      );
    });

    it('serves no landing page', async () => {
      const response = await fetch(`${gateway.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await response.text()).not.toMatch(/<html|graphiql/i);
    });

    it('still answers operations', async () => {
      const response = await graphql(gateway.url, '{ me { role } }', {
        token: await tokenFor('analyst'),
      });
      expect(response.body).toEqual({ data: { me: { role: 'analyst' } } });
    });
  });
});
