import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { Pseudonyms } from '../pseudonyms';
import { runEventsCli } from './events';

const at = '2026-03-05T10:00:00.000Z';
const message = (disputeId: string, body: string) => ({
  id: randomUUID(),
  type: 'MessagePosted',
  data: { disputeId, at, by: { id: 'buyer-7', role: 'buyer' }, messageId: randomUUID(), body },
});

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text, lines: () => text.split('\n').filter(Boolean) };
}

describe('npm run events -- tail', () => {
  let db: PGlite;
  let store: EventStore;
  const pseudonyms = new Pseudonyms('cli-test-pseudonym-key-of-32-characters');
  const run = async (...argv: string[]) => {
    const out = capture();
    const err = capture();
    const code = await runEventsCli(argv, {
      eventStore: store,
      pseudonyms,
      out: out.stream,
      err: err.stream,
    });
    return { code, lines: out.lines().map((line) => JSON.parse(line)), err: err.text() };
  };

  beforeEach(async () => {
    db = await PGlite.create('memory://');
    store = await createSqlEventStore({ kind: 'pglite', db, close: () => db.close() });
  });
  afterEach(async () => {
    await db.close();
  });

  it('prints the log as JSON lines, redacted unless --full, and resumes after a cursor', async () => {
    const id = randomUUID();
    await store.append(`dispute-${id}`, [message(id, 'hello there'), message(id, 'second')]);
    const redacted = await run('tail');
    expect(redacted.code).toBe(0);
    expect(redacted.lines).toHaveLength(2);
    expect(JSON.stringify(redacted.lines)).not.toMatch(/hello there|buyer-7/);
    expect(redacted.lines[0]).toMatchObject({
      type: 'MessagePosted',
      disputeId: id,
      actorRole: 'buyer',
    });

    const full = await run('tail', '--full', '--limit', '1');
    expect(full.lines).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ body: 'hello there' }) }),
    ]);
    const rest = await run('tail', '--full', '--after', full.lines[0].cursor);
    expect(rest.lines.map((line) => line.data.body)).toEqual(['second']);
    expect((await run('tail', '--type', 'DisputeOpened')).lines).toEqual([]);
  });

  it('follows new events until stopped', async () => {
    const id = randomUUID();
    await store.append(`dispute-${id}`, [message(id, 'before')]);
    const out = capture();
    const abort = new AbortController();
    const running = runEventsCli(['tail', '-f', '--full'], {
      eventStore: store,
      pseudonyms,
      out: out.stream,
      signal: abort.signal,
    });
    await store.append(`dispute-${id}`, [message(id, 'live')]);
    for (let i = 0; i < 100 && out.lines().length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    expect(await running).toBe(0);
    expect(out.lines().map((line) => JSON.parse(line).data.body)).toEqual(['before', 'live']);
  });

  it('refuses bad arguments with the usage and exit code 2', async () => {
    for (const argv of [
      ['tail', '--type', 'Nope'],
      ['tail', '--after', 'bogus'],
      ['tail', '--limit', 'x'],
      ['tail', '--bogus'],
      ['nope'],
    ]) {
      const result = await run(...argv);
      expect(result.code).toBe(2);
    }
    expect((await run('tail', '--after', 'bogus')).err).toMatch(/cursor/);
    const out = capture();
    expect(await runEventsCli(['help'], { eventStore: store, pseudonyms, out: out.stream })).toBe(
      0,
    );
    expect(out.text()).toMatch(/^Usage: npm run events -- tail/);
  });
});
