import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import { connect } from 'node:net';
import { handleShutdownSignals, SQL_CONNECTION, type SqlConnection } from '@arbiter/platform';
import WebSocket from 'ws';
import { tokenFor } from './support/clients';
import { describeOnDatabases, RunningGateway, startGateway } from './support/gateway';

interface Health {
  status: string;
  info?: Record<string, { status: string; [detail: string]: unknown }>;
  error?: Record<string, { status: string; [detail: string]: unknown }>;
}

async function probe(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Health };
}

async function run(connection: SqlConnection, text: string): Promise<Record<string, unknown>[]> {
  const result =
    connection.kind === 'postgres'
      ? await connection.pool.query(text)
      : await connection.db.query(text);
  return result.rows as Record<string, unknown>[];
}

const MIGRATIONS = 'drizzle.__read_models_migrations';

describeOnDatabases('readiness and liveness', (database) => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({}, database);
  });
  afterAll(() => gateway?.close());

  it('is live and ready with the database up, the schema current and the projections running', async () => {
    expect((await probe(`${gateway.url}/health/live`)).status).toBe(200);
    const ready = await probe(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({
      database: { status: 'up' },
      migrations: { status: 'up', applied: expect.any(String) },
      projections: { status: 'up' },
    });
    expect(ready.body.info?.migrations.applied).toBe(ready.body.info?.migrations.expected);
  });

  it('turns unready while the read-model schema is behind this version, and stays live', async () => {
    const connection = gateway.app.get<SqlConnection>(SQL_CONNECTION);
    // As after restoring an older backup: the newest migration is no longer recorded.
    const [newest] = await run(
      connection,
      `delete from ${MIGRATIONS} where created_at = (select max(created_at) from ${MIGRATIONS}) returning id, hash, created_at::text as created_at`,
    );
    try {
      const ready = await probe(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.error?.migrations).toMatchObject({
        status: 'down',
        expected: expect.any(String),
        applied: expect.any(String),
        message: expect.stringMatching(/^read-model schema at \S+, this version needs \S+$/),
      });
      expect(ready.body.error?.migrations.applied).not.toBe(ready.body.error?.migrations.expected);
      expect((await probe(`${gateway.url}/health`)).status).toBe(503);
      expect((await probe(`${gateway.url}/health/live`)).status).toBe(200);
    } finally {
      await run(
        connection,
        `insert into ${MIGRATIONS} (id, hash, created_at) values (${Number(newest.id)}, '${String(newest.hash)}', ${String(newest.created_at)})`,
      );
    }
    expect((await probe(`${gateway.url}/health/ready`)).status).toBe(200);
  });

  it('turns unready when the migrations table is gone, naming why', async () => {
    const connection = gateway.app.get<SqlConnection>(SQL_CONNECTION);
    await run(connection, `alter table ${MIGRATIONS} rename to moved_away`);
    try {
      const ready = await probe(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.error?.migrations).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^not applied: /),
      });
    } finally {
      await run(connection, `alter table drizzle.moved_away rename to __read_models_migrations`);
    }
    expect((await probe(`${gateway.url}/health/ready`)).status).toBe(200);
  });
});

/** Opens a graphql-ws connection and resolves once the server acknowledged it. */
async function subscriber(wsUrl: string, token: string) {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  await once(socket, 'open');
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
  );
  const [message] = (await once(socket, 'message')) as [Buffer];
  expect(JSON.parse(message.toString())).toMatchObject({ type: 'connection_ack' });
  const closed = once(socket, 'close').then(([code, reason]) => ({
    code: code as number,
    reason: String(reason),
  }));
  return { closed };
}

const PLACE_ORDER =
  'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }';

/** An order as the marketplace places it: a mutation that appends to the event store. */
function placeOrderBody(orderId: string): string {
  const total = { amountMinor: 2_500, currency: 'EUR' };
  return JSON.stringify({
    query: PLACE_ORDER,
    variables: {
      input: {
        orderId,
        buyerId: 'b-shutdown',
        sellerId: 's-shutdown',
        total,
        items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: total }],
        idempotencyKey: `place-${orderId}`,
      },
    },
  });
}

/**
 * A mutation whose body arrives in two parts, so it is in flight for as long as the test says.
 */
async function slowRequest(port: number, token: string, body: string) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 10),
  );
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const ended = once(socket, 'close').then(() => received);
  return {
    finish: () => socket.write(body.slice(10)),
    /** The whole answer, once the server closed the connection. */
    ended,
    received: () => received,
  };
}

describeOnDatabases('shutdown', (database) => {
  let gateway: RunningGateway;
  afterAll(() => gateway?.close());

  it('turns unready at once, refuses new connections, answers the request in flight, closes WebSockets with 1001, then exits 0', async () => {
    gateway = await startGateway({}, database);
    const port = Number(new URL(gateway.url).port);
    const token = await tokenFor('seller', 's-shutdown');
    const marketplace = await tokenFor('platform', 'marketplace');
    let shutdown: (reason: string) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      const handle = handleShutdownSignals(gateway.app, {
        timeoutMs: 20_000,
        delayMs: 300,
        signals: [],
        exit: resolve,
      });
      shutdown = handle.shutdown;
    });
    const socket = await subscriber(gateway.wsUrl, token);
    const inFlight = await slowRequest(port, marketplace, placeOrderBody('order-in-flight'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A keep-alive connection that has been answered once and is idle when the drain begins.
    expect((await probe(`${gateway.url}/health/ready`)).status).toBe(200);

    shutdown('SIGTERM');
    // During the delay: still serving, but unready, and every answer closes its connection.
    const unready = await fetch(`${gateway.url}/health/ready`);
    expect(unready.status).toBe(503);
    expect(unready.headers.get('connection')).toBe('close');
    expect(await unready.json()).toMatchObject({
      status: 'error',
      error: { shutdown: { status: 'down', message: expect.stringMatching(/SIGTERM/) } },
    });
    expect((await probe(`${gateway.url}/health/live`)).status).toBe(200);

    // After it: new connections are refused, and nothing more happens until the answer owed.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(fetch(`${gateway.url}/health/live`)).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    let exitCode: number | undefined;
    void exited.then((code) => (exitCode = code));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(exitCode).toBeUndefined();
    expect(inFlight.received()).toBe('');

    inFlight.finish();
    const answer = await inFlight.ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    // Appended while the event store was still open: the app closes only after the answer.
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      data: { placeOrder: { orderId: 'order-in-flight' } },
    });
    expect(await socket.closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(await exited).toBe(0);
  });
});

describe('shutdown past its time [pglite]', () => {
  let gateway: RunningGateway;
  afterAll(() => gateway?.close());

  it('exits 1 past SHUTDOWN_TIMEOUT_MS naming what still runs, and at once on a second signal', async () => {
    gateway = await startGateway({}, 'pglite');
    const port = Number(new URL(gateway.url).port);
    const errors = jest.spyOn(Logger.prototype, 'error');
    const exits: number[] = [];
    const { shutdown } = handleShutdownSignals(gateway.app, {
      timeoutMs: 1_500,
      delayMs: 0,
      signals: [],
      exit: (code) => exits.push(code),
    });
    const stuck = await slowRequest(
      port,
      await tokenFor('platform', 'marketplace'),
      placeOrderBody('order-stuck'),
    );
    // Until the server has read the request's head, it is not in flight yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      shutdown('SIGTERM');
      shutdown('SIGINT');
      expect(exits).toEqual([1]);
      expect(errors).toHaveBeenLastCalledWith(
        expect.stringMatching(
          /^SIGINT again: exiting 1 now\. Still running: HTTP listener and requests in flight \(for \d+ ms\); HTTP POST \/graphql \(in flight for \d+ ms\)$/,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(exits).toEqual([1, 1]);
      expect(errors).toHaveBeenLastCalledWith(
        expect.stringMatching(
          /^Shutdown did not finish within SHUTDOWN_TIMEOUT_MS \(1500 ms\); exiting 1\. Still running: .*HTTP POST \/graphql \(in flight for \d+ ms\)$/,
        ),
      );
    } finally {
      // Lets the drain end, so the app closes as usual.
      stuck.finish();
      await stuck.ended;
      errors.mockRestore();
    }
  });
});
