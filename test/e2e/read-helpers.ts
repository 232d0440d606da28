import { randomBytes } from 'node:crypto';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import {
  Caller,
  caller,
  DISPUTE_FIELDS,
  DisputeResult,
  eur,
  INPUT_TYPES,
} from './disputes-helpers';
import { graphql, GraphQLResponse } from './support/clients';
import { Database, RunningGateway, startGateway } from './support/gateway';

/**
 * Shared by the read-*.e2e suites: one gateway per suite with the projections running in
 * process (WORKERS=inline), on PGlite in memory or on a PostgreSQL database of its own (the
 * read-model assertions count rows: other runs' disputes must not show), dropped on close.
 */
export interface ReadGateway {
  gateway: RunningGateway;
  url: string;
  id(prefix: string): string;
  close(): Promise<void>;
}

export async function startReadGateway(
  database: Database,
  settings: Record<string, string> = {},
): Promise<ReadGateway> {
  const own =
    database === 'postgres'
      ? await createPostgresTestDatabase(requiredUrl(), 'e2e_read')
      : undefined;
  let gateway: RunningGateway;
  try {
    gateway = await startGateway(
      {
        WORKERS: 'inline',
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...(own ? { DATABASE_URL: own.url } : {}),
        ...(database === 'pglite' ? { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: 'memory://' } : {}),
        ...settings,
      },
      database,
    );
  } catch (error) {
    await own?.drop();
    throw error;
  }
  const run = randomBytes(4).toString('hex');
  let counter = 0;
  return {
    gateway,
    url: gateway.url,
    id: (prefix) => `${prefix}-${run}-${++counter}`,
    close: async () => {
      await gateway.close();
      await own?.drop();
    },
  };
}

function requiredUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  return url;
}

export interface ReadYourWritesNote {
  disputeId: string;
  sequence: number;
  revision: number | null;
  consistent: boolean;
}

export interface Answer {
  dispute: DisputeResult & { openedAt: string };
  readYourWrites: ReadYourWritesNote[];
}

/** A dispute mutation that must succeed, with what the response's extensions said about it. */
export async function act(
  url: string,
  who: Caller,
  name: string,
  input: Record<string, unknown>,
): Promise<Answer> {
  const type = INPUT_TYPES[name] ?? `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const response = await graphql<{ result: Answer['dispute'] }>(
    url,
    `mutation Run($input: ${type}!) { result: ${name}(input: $input) { ${DISPUTE_FIELDS} } }`,
    {
      token: who.token,
      variables: { input },
    },
  );
  const body = response.body as GraphQLResponse<{ result: Answer['dispute'] }>['body'] & {
    extensions?: { readYourWrites?: ReadYourWritesNote[] };
  };
  if (!body.data?.result)
    throw new Error(`${name} as ${who.role} failed: ${JSON.stringify(body.errors)}`);
  return { dispute: body.data.result, readYourWrites: body.extensions?.readYourWrites ?? [] };
}

/** A query as `who`; fails the test on errors unless `allowErrors`. */
export async function ask<T = Record<string, unknown>>(
  url: string,
  who: Caller,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>['body']> {
  const response = await graphql<T>(url, query, { token: who.token, variables });
  return response.body;
}

export async function people(r: ReadGateway) {
  return {
    platform: await caller('platform', 'marketplace'),
    buyer: await caller('buyer', r.id('buyer')),
    seller: await caller('seller', r.id('seller')),
    mediator: await caller('mediator', r.id('mediator')),
    analyst: await caller('analyst', r.id('analyst')),
  };
}

/** A placed and shipped order of `who.buyer` and `who.seller` (delivery due in 10 days). */
export async function shippedOrder(
  r: ReadGateway,
  who: { platform: Caller; buyer: Caller; seller: Caller },
  amountMinor = 10_000,
): Promise<string> {
  const orderId = r.id('order');
  const total = eur(amountMinor);
  await graphql(
    r.url,
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }',
    {
      token: who.platform.token,
      variables: {
        input: {
          orderId,
          buyerId: who.buyer.id,
          sellerId: who.seller.id,
          total,
          items: [{ sku: 's', title: 'Lamp', quantity: 1, unitPrice: total }],
        },
      },
    },
  );
  await graphql(
    r.url,
    'mutation($input: ShipOrderInput!) { shipOrder(input: $input) { orderId } }',
    {
      token: who.platform.token,
      variables: {
        input: {
          orderId,
          carrier: 'DHL',
          trackingNumber: 'T1',
          deliveryDeadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
        },
      },
    },
  );
  return orderId;
}

/** A placed and shipped order (delivery due in 10 days), then a dispute the buyer opens on it. */
export async function openDispute(
  r: ReadGateway,
  who: { platform: Caller; buyer: Caller; seller: Caller },
  reason = 'NOT_AS_DESCRIBED',
  amountMinor = 10_000,
): Promise<Answer> {
  const orderId = await shippedOrder(r, who, amountMinor);
  return act(r.url, who.buyer, 'openDispute', {
    orderId,
    reason,
    description: 'Not what the listing showed',
    claim: { kind: 'FULL_REFUND' },
  });
}

/** Retries `check` until it passes or `timeoutMs` ran out (then throws its last failure). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
