import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy between a client and a server (the gateway and PostgreSQL) whose link a test can cut:
 * `blackhole()` keeps every socket open but drops all bytes both ways, as a network partition does
 * (nobody learns the peer is gone until a timeout); `reset()` destroys every connection at once (a
 * restarted server or proxy); `restore()` forwards again. While blackholed, new connections are
 * accepted and hang too.
 */
export interface TcpProxy {
  /** e.g. `127.0.0.1:43817` */
  readonly host: string;
  readonly port: number;
  /** Connections open through the proxy. */
  readonly connections: number;
  blackhole(): void;
  reset(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'blackhole' = 'forward';
  const pairs = new Set<[Socket, Socket]>();

  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Bytes go through only while forwarding; in a partition they vanish.
    client.on('data', (chunk) => {
      if (mode === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'forward') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy did not listen');

  const reset = () => {
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };

  return {
    host: '127.0.0.1',
    port: address.port,
    get connections() {
      return pairs.size;
    },
    blackhole() {
      mode = 'blackhole';
    },
    reset,
    restore() {
      mode = 'forward';
    },
    async close() {
      reset();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
