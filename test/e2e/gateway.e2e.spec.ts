import { graphql, tokenFor } from './support/clients';
import {
  describeOnDatabases,
  RunningGateway,
  startGateway,
  TEST_JWT_SECRET,
} from './support/gateway';

describeOnDatabases('the gateway', (database) => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({}, database);
  });
  afterAll(() => gateway?.close());

  it('answers /health without authentication, with the database up', async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up', kind: database === 'postgres' ? 'postgres' : 'pglite' } },
    });
  });

  it('tells an authenticated caller who they are', async () => {
    const response = await graphql(gateway.url, '{ me { id role } }', {
      token: await tokenFor('seller', 's-42'),
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { me: { id: 's-42', role: 'seller' } } });
  });

  it('answers UNAUTHENTICATED without a token', async () => {
    const response = await graphql(gateway.url, '{ me { id } }');
    expect(response.body.data).toBeNull();
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'Authentication required',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it.each([
    [
      'a token signed with another secret',
      () => tokenFor('buyer', 'b-1', { secret: `${TEST_JWT_SECRET}-other` }),
      'Token is not valid',
    ],
    ['an expired token', () => tokenFor('buyer', 'b-1', { ttl: -120 }), 'Token expired'],
    [
      'a token claiming the system role',
      () => tokenFor('system', 'clock'),
      'Token claim "role" is missing or not allowed',
    ],
    [
      'something that is not a JWT',
      async () => 'not-a-jwt',
      'Expected "Authorization: Bearer <jwt>"',
    ],
  ])('answers UNAUTHENTICATED for %s', async (_case, token, message) => {
    const response = await graphql(gateway.url, '{ me { id } }', { token: await token() });
    expect(response.body.errors?.[0]).toMatchObject({
      message,
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/stack|at \w+ \(/);
  });

  it('echoes the correlation id, or makes one up', async () => {
    const token = await tokenFor('buyer');
    const given = await graphql(gateway.url, '{ me { id } }', {
      token,
      headers: { 'x-correlation-id': 'corr-123' },
    });
    expect(given.headers.get('x-correlation-id')).toBe('corr-123');
    const made = await graphql(gateway.url, '{ me { id } }', { token });
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a GraphQL syntax error with its code', async () => {
    const response = await graphql(gateway.url, '{ me { id ', { token: await tokenFor('buyer') });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('serves Prometheus metrics without authentication', async () => {
    await graphql(gateway.url, 'query Me { me { id } }', { token: await tokenFor('buyer') });
    const response = await fetch(`${gateway.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(
      /arbiter_graphql_operations_total\{type="query",name="me",outcome="ok"\} \d+/,
    );
    expect(text).toMatch(
      /arbiter_http_request_duration_seconds_count\{route="\/graphql",method="POST",status="200"\} \d+/,
    );
  });

  it('keeps the operation series as few as the schema’s root fields after 3,000 names clients made up', async () => {
    const token = await tokenFor('buyer');
    const before = (await (await fetch(`${gateway.url}/metrics`)).text()).length;
    // 3,000 distinct names, 20 at a time.
    for (let batch = 0; batch < 150; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) => {
          const i = batch * 20 + j;
          const name = `Op${i}_${Math.random().toString(36).slice(2)}`;
          const query =
            i % 3 === 0
              ? `query ${name} { me { id } }`
              : i % 3 === 1
                ? `query ${name} { field${i} }`
                : `mutation ${name} { __typename }`;
          return graphql(gateway.url, query, { token: i % 2 ? token : undefined });
        }),
      );
    }
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    // The exposition grows by a few series, not by thousands (it was 38 KB → 4.1 MB).
    expect(text.length - before).toBeLessThan(20_000);
    const names = new Set(
      [...text.matchAll(/^arbiter_graphql_operations_total\{[^}]*name="([^"]*)"/gm)].map(
        (match) => match[1],
      ),
    );
    expect([...names].filter((name) => /^Op\d/.test(name))).toEqual([]);
    expect(names.size).toBeLessThanOrEqual(5);
  });

  it('serves metrics only to scrapers with METRICS_TOKEN when one is set', async () => {
    const guarded = await startGateway({ METRICS_TOKEN: 'scrape-token-0123456789' });
    try {
      const anonymous = await fetch(`${guarded.url}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      const wrong = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-token-0123456788' },
      });
      expect(wrong.status).toBe(401);
      const scraper = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-token-0123456789' },
      });
      expect(scraper.status).toBe(200);
      expect(await scraper.text()).toContain('arbiter_http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${gateway.url}/nowhere`, {
      headers: { authorization: `Bearer ${await tokenFor('buyer')}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });
});
