import { createClient, FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ActorRole, signDevelopmentToken } from '@arbiter/auth';
import { TEST_JWT_SECRET } from './gateway';

/** A bearer token the test gateway accepts. `ttl` may be negative for an expired token. */
export function tokenFor(
  role: ActorRole,
  sub = `${role}-1`,
  options: { ttl?: string | number; secret?: string } = {},
) {
  return signDevelopmentToken({
    sub,
    role,
    secret: options.secret ?? TEST_JWT_SECRET,
    ttl: options.ttl,
  });
}

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: Data | null;
    errors?: {
      message: string;
      path?: string[];
      extensions?: Record<string, unknown> & { code?: string };
    }[];
  };
}

/** GraphQL over HTTP, as a browser or server client would send it (POST, JSON). */
export async function graphql<Data = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  options: {
    token?: string;
    variables?: Record<string, unknown>;
    headers?: Record<string, string>;
  } = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<Data>['body'];
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: response.status, headers: response.headers, body };
}

export type WsOutcome =
  | { kind: 'result'; result: FormattedExecutionResult<Record<string, unknown>, unknown> }
  | { kind: 'closed'; code: number; reason: string }
  /** The server refused the operation itself (graphql-ws `error` message). */
  | { kind: 'errors'; errors: { message: string; extensions?: Record<string, unknown> }[] };

/**
 * Runs one operation over graphql-ws (the `graphql-transport-ws` protocol) and resolves with its
 * first result, or with the close event when the server refuses the connection.
 */
export function graphqlOverWebSocket(
  wsUrl: string,
  query: string,
  token?: string,
  variables?: Record<string, unknown>,
): Promise<WsOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: WsOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      // A refused connection is closed already; disposing it again rejects inside graphql-ws.
      if (outcome.kind !== 'closed') void client.dispose();
    };
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          settle({ kind: 'closed', code, reason: String(reason) });
        },
      },
    });
    client.subscribe(
      { query, variables },
      {
        next: (result) => settle({ kind: 'result', result }),
        error: (error) => {
          const closed = error as { code?: number; reason?: string };
          if (typeof closed?.code === 'number')
            settle({ kind: 'closed', code: closed.code, reason: String(closed.reason) });
          else if (Array.isArray(error)) settle({ kind: 'errors', errors: error });
        },
        complete: () => undefined,
      },
    );
  });
}
