import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as connectTcp } from 'node:net';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NatsForwarderSettings } from '../nats-settings';

/**
 * "NATS or skip" for the forwarder's suites. Test code, so it may read the environment:
 * `NATS_TEST_URL` names a server with JetStream; without it the suites skip with a printed
 * reason, unless `REQUIRE_NATS=1` (CI), where they fail.
 */
export function natsTestUrl(): string | undefined {
  const url = process.env.NATS_TEST_URL;
  if (url) return url;
  if (process.env.REQUIRE_NATS === '1') {
    throw new Error('REQUIRE_NATS=1 but NATS_TEST_URL is not set: NATS suites cannot run');
  }
  console.warn(
    'Skipping NATS suites: NATS_TEST_URL is not set (set REQUIRE_NATS=1 to fail instead)',
  );
  return undefined;
}

/** `describe` when NATS is available, `describe.skip` otherwise (see natsTestUrl). */
export function describeWithNats(name: string, body: (url: string) => void): void {
  const url = natsTestUrl();
  if (url) describe(name, () => body(url));
  else describe.skip(`${name} (no NATS_TEST_URL)`, () => it('skipped', () => undefined));
}

/** A stream name and subject prefix no other test run uses: runs share one server. */
export function uniqueNatsNames(): { stream: string; subjectPrefix: string } {
  const id = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  return { stream: `T_${id.toUpperCase()}`, subjectPrefix: `t${id}.events` };
}

/** Forwarder settings for a test: quick timeouts, the given stream and prefix. */
export function testForwarderSettings(
  url: string,
  names: { stream: string; subjectPrefix: string },
  overrides: Partial<NatsForwarderSettings> = {},
): NatsForwarderSettings {
  return {
    servers: [url],
    ...names,
    maxAgeHours: 1,
    maxBytes: -1,
    replicas: 1,
    duplicateWindowSeconds: 120,
    publishTimeoutMs: 1_000,
    connectTimeoutMs: 1_000,
    reconnectWaitMs: 100,
    ...overrides,
  };
}

/** The test's own view of the server: what a stream holds, and cleaning up after itself. */
export class NatsAdmin {
  private constructor(
    readonly connection: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async open(url: string): Promise<NatsAdmin> {
    const connection = await connect({ servers: url, name: 'arbiter-test-admin' });
    return new NatsAdmin(connection, await jetstreamManager(connection));
  }

  /** Every message of the stream, in stream order (none when it does not exist). */
  async messages(stream: string): Promise<StoredMsg[]> {
    let first: number;
    let last: number;
    try {
      ({ first_seq: first, last_seq: last } = (await this.jsm.streams.info(stream)).state);
    } catch {
      return [];
    }
    const messages: StoredMsg[] = [];
    for (let seq = Math.max(first, 1); seq <= last; seq++) {
      const message = await this.jsm.streams.getMessage(stream, { seq });
      if (message) messages.push(message);
    }
    return messages;
  }

  async deleteStream(stream: string): Promise<void> {
    await this.jsm.streams.delete(stream).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

/**
 * A TCP proxy in front of the NATS server: stopping it is a broker outage for whoever connects
 * through it (connections cut, new ones refused), without touching the server other tests share.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static toNats(url: string): TcpProxy {
    const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
    return new TcpProxy({ host: parsed.hostname, port: Number(parsed.port || 4222) });
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Listens (on the same port as before, after a stop). */
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connectTcp(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Cuts every connection and refuses new ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
