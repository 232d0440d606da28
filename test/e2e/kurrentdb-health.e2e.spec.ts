import { eventually, openDispute, people, ReadGateway, startReadGateway } from './read-helpers';

interface Health {
  status: string;
  info?: Record<string, { status: string; kind?: string; head?: string }>;
  error?: Record<string, { status: string; kind?: string; message?: string }>;
}

// What an operator sees when the gateway's KurrentDB goes away and comes back. The server is the
// protocol stand-in here (a real one cannot be stopped from a test), so this suite needs it.
describe('KurrentDB in /health [kurrentdb: stand-in]', () => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway('kurrentdb');
  });
  afterAll(() => r?.close());

  const health = async () => {
    const response = await fetch(`${r.url}/health`);
    return { status: response.status, body: (await response.json()) as Health };
  };

  it('reports the event store with its head; down while the server is away; up again after', async () => {
    if (!r.gateway.kurrentDb) {
      console.warn(
        'KURRENTDB_URL names a real server: the outage part of this test needs the stand-in',
      );
      return;
    }
    await openDispute(r, await people(r));
    const up = await health();
    expect(up.status).toBe(200);
    expect(up.body.info?.eventStore).toMatchObject({ status: 'up', kind: 'kurrentdb' });
    expect(BigInt(up.body.info?.eventStore?.head ?? '0')).toBeGreaterThan(0n);

    await r.gateway.kurrentDb.kill();
    const down = await eventually(async () => {
      const answer = await health();
      expect(answer.status).toBe(503);
      return answer;
    }, 30_000);
    expect(down.body.error?.eventStore).toMatchObject({ status: 'down', kind: 'kurrentdb' });

    await r.gateway.kurrentDb.restart();
    await eventually(async () => {
      const answer = await health();
      expect(answer.status).toBe(200);
      expect(answer.body.info?.eventStore?.head).toBe(up.body.info?.eventStore?.head);
    }, 30_000);
    // And the gateway takes commands again.
    await eventually(async () => {
      await openDispute(r, await people(r));
    }, 30_000);
  }, 120_000);
});
