import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDevelopmentToken } from '@arbiter/auth';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import { tail } from '../../examples/analytics-consumer/graphql-tail';
import { type RunningGateway, startGateway, TEST_JWT_SECRET } from './support/gateway';

/** The README's graphql-ws example against the real gateway: it resumes from its saved cursor. */
describe('example: graphql-ws tail from a saved cursor', () => {
  let gateway: RunningGateway;
  let store: EventStore;
  let dir: string;

  beforeAll(async () => {
    gateway = await startGateway({ WORKERS: 'off', ANALYTICS_SUBSCRIPTION_STALL_MS: '200' });
    store = gateway.app.get<EventStore>(EVENT_STORE, { strict: false });
    dir = await mkdtemp(join(tmpdir(), 'arbiter-tail-'));
  });
  afterAll(async () => {
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const message = (disputeId: string, n: number) => ({
    id: randomUUID(),
    type: 'MessagePosted',
    data: {
      disputeId,
      at: new Date().toISOString(),
      by: { id: 'buyer-9', role: 'buyer' },
      messageId: randomUUID(),
      body: `private message ${n}`,
    },
  });

  it('prints analyst-form JSON lines and carries on after the last one printed', async () => {
    const disputeId = randomUUID();
    await store.append(
      `dispute-${disputeId}`,
      Array.from({ length: 5 }, (_, n) => message(disputeId, n)),
    );
    const token = await signDevelopmentToken({
      sub: 'analyst-1',
      role: 'analyst',
      secret: TEST_JWT_SECRET,
    });
    const options = { url: gateway.wsUrl, token, cursorFile: join(dir, 'cursor.txt') };
    const lines: string[] = [];
    const print = (line: string) => lines.push(line);

    expect(await tail({ ...options, limit: 3, print })).toBe(3);
    await store.append(
      `dispute-${disputeId}`,
      Array.from({ length: 2 }, (_, n) => message(disputeId, 5 + n)),
    );
    expect(await tail({ ...options, limit: 4, print })).toBe(4);

    const events = lines.map((line) => JSON.parse(line) as { id: string; data: object });
    const log = (await store.readAll()).filter(
      (event) => event.streamId === `dispute-${disputeId}`,
    );
    expect(events.map((event) => event.id)).toEqual(log.map((event) => event.id));
    expect(lines.join('\n')).not.toMatch(/private message|buyer-9/);
  });
});
