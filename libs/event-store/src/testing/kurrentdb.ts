import { existsSync } from 'node:fs';

/**
 * Where the KurrentDB suites find a real server: `KURRENTDB_URL`, or a container started through
 * testcontainers when a Docker engine is reachable. Without either they print why they skip;
 * `REQUIRE_KURRENTDB=1` turns that skip into a failure. The stand-in runs everywhere instead
 * (`startKurrentDbStandIn`), and the same suites run against both.
 */

/** The KurrentDB LTS image the container path starts (`KURRENTDB_IMAGE` overrides it). */
export const KURRENTDB_IMAGE =
  process.env.KURRENTDB_IMAGE || 'docker.kurrent.io/kurrent-lts/kurrentdb:26.0.3';

export interface RealKurrentDb {
  url: string;
  /** What it is, for the test names: "KURRENTDB_URL" or the container image. */
  source: string;
  stop(): Promise<void>;
}

function dockerEngineReachable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** Why no real server can be used here, or undefined when one can. */
export function realKurrentDbUnavailable(): string | undefined {
  if (process.env.KURRENTDB_URL) return undefined;
  if (dockerEngineReachable()) return undefined;
  return 'no real KurrentDB: KURRENTDB_URL is not set and no Docker engine is reachable (DOCKER_HOST or /var/run/docker.sock)';
}

/** The real server of `KURRENTDB_URL`, or a fresh container of the LTS image. */
export async function startRealKurrentDb(): Promise<RealKurrentDb> {
  const url = process.env.KURRENTDB_URL;
  if (url) return { url, source: 'KURRENTDB_URL', stop: async () => undefined };
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(KURRENTDB_IMAGE)
    .withEnvironment({ KURRENTDB_INSECURE: 'true', KURRENTDB_RUN_PROJECTIONS: 'None' })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    source: KURRENTDB_IMAGE,
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * `describe` when a real KurrentDB can be used; otherwise one test that prints the reason and
 * passes, or fails under `REQUIRE_KURRENTDB=1`.
 */
export function describeWithRealKurrentDb(
  name: string,
  body: (server: () => RealKurrentDb) => void,
): void {
  const reason = realKurrentDbUnavailable();
  if (reason) {
    describe(name, () => {
      it(`skipped: ${reason}`, () => {
        if (process.env.REQUIRE_KURRENTDB === '1') throw new Error(reason);
        console.warn(`${name}: ${reason}`);
      });
    });
    return;
  }
  describe(name, () => {
    let server: RealKurrentDb | undefined;
    beforeAll(async () => {
      server = await startRealKurrentDb();
    }, 180_000);
    afterAll(async () => {
      await server?.stop();
    });
    body(() => {
      if (!server) throw new Error('KurrentDB did not start');
      return server;
    });
  });
}
