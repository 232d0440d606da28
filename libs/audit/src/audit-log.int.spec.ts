import { generateKeyPairSync } from 'node:crypto';
import { type Actor, addDays } from '@arbiter/disputes';
import { chainHash, verifyChain } from '@arbiter/disputes/application/audit-chain';
import { createSqlEventStore, type EventStore } from '@arbiter/event-store';
import { FakeClock, type SqlConnection } from '@arbiter/platform';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import {
  type ReadTestDatabase,
  readTestDatabases,
} from '@arbiter/read-models/testing/read-databases';
import { AuditLog, type AuditVerification } from './audit-log';
import { type AuditDigest, signDigest } from './digest';
import { AuditError } from './errors';
import { AuditKeyring } from './keys';
import { leafHashOf } from './leaf';
import { verifyAuditPath } from './merkle';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const T0 = '2026-03-01T00:00:00.000Z';

jest.setTimeout(120_000);

interface Row {
  position: string;
  transaction_id: string;
  stream_id: string;
  revision: string;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

async function sql<T = Row>(connection: SqlConnection, text: string, params: unknown[] = []) {
  if (connection.kind === 'pglite') return (await connection.db.query<T>(text, params)).rows;
  return (await connection.pool.query(text, params)).rows as T[];
}

const rows = (connection: SqlConnection) =>
  sql(
    connection,
    `SELECT position::text, transaction_id::text, stream_id, revision::text, event_id, type, data, metadata
       FROM arbiter.events ORDER BY position`,
  );

async function refusal(work: Promise<unknown>): Promise<AuditError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof AuditError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const kinds = (result: AuditVerification) => result.findings.map((finding) => finding.kind);

// Every way someone with write access to the database might rewrite history, against a digest
// an auditor saved before: each is caught and named, on PostgreSQL and on PGlite.
describe.each(readTestDatabases())('the audit log on %s', (_kind, openDatabase) => {
  let database: ReadTestDatabase;
  let connection: SqlConnection;
  let store: EventStore;
  let keyring: AuditKeyring;
  let log: AuditLog;
  let digest: AuditDigest;
  let scenario: DisputeScenario;
  const clock = new FakeClock('2026-04-01T00:00:00.000Z');

  beforeEach(async () => {
    database = await openDatabase();
    connection = database.connection;
    await migrateReadModels(connection);
    store = await createSqlEventStore(connection);
    keyring = new AuditKeyring(generateKeyPairSync('ed25519').privateKey);
    // Small batches and pages, so that reading the log and the leaf record takes several of each.
    log = new AuditLog({
      connection,
      eventStore: store,
      keyring,
      clock,
      batchSize: 7,
      leafPageSize: 5,
    });
    scenario = new DisputeScenario(store);
    for (const n of [1, 2]) {
      await scenario.placeShippedOrder({
        orderId: `o-${n}`,
        buyerId: buyer.id,
        sellerId: seller.id,
        total: { amountMinor: 10_000, currency: 'EUR' },
        at: T0,
      });
      await mediatedStory(
        scenario,
        { disputeId: `d-${n}`, orderId: `o-${n}` },
        { buyer, seller, mediator },
        addDays(T0, 6),
        'escalated',
      );
    }
    digest = await log.publish();
  });

  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  it('publishes a digest of the whole log, again only when it grew, and verifies it intact', async () => {
    const events = await rows(connection);
    expect(digest).toMatchObject({
      version: 1,
      epoch: 0,
      count: events.length,
      position: events.at(-1)?.position,
      keyId: keyring.keyId,
    });
    expect(await log.publish()).toEqual(digest);
    expect(await log.behind()).toBe(false);
    const result = await log.verify(JSON.parse(JSON.stringify(digest)));
    expect(result).toMatchObject({ intact: true, findings: [], recordAltered: false });
    expect(result.checkedEvents).toBe(events.length);

    await scenario.run('d-1', buyer, addDays(T0, 7), 'PostMessage', {
      messageId: 'late',
      body: 'x',
    });
    expect(await log.behind()).toBe(true);
    const next = await log.publish();
    expect(next.count).toBe(digest.count + 1);
    // The older digest still holds: events after it are simply not covered.
    expect((await log.verify(digest)).intact).toBe(true);
    expect((await log.verify(next)).intact).toBe(true);
  });

  it('gives inclusion proofs for one dispute that verify against the digest’s root', async () => {
    const result = await log.verify(digest, { disputeId: 'd-1' });
    const streamEvents = (await rows(connection)).filter((r) => r.stream_id === 'dispute-d-1');
    expect(result.intact).toBe(true);
    expect(result.proofs.map((p) => p.record.eventId)).toEqual(streamEvents.map((r) => r.event_id));
    for (const proof of result.proofs) {
      expect(leafHashOf(proof.record).toString('hex')).toBe(proof.leafHash);
      expect(
        verifyAuditPath(
          proof.leafIndex,
          digest.count,
          Buffer.from(proof.leafHash, 'hex'),
          proof.auditPath.map((h) => Buffer.from(h, 'hex')),
          Buffer.from(digest.root, 'hex'),
        ),
      ).toBe(true);
    }
  });

  it('names an event whose data was edited', async () => {
    const target = (await rows(connection)).find(
      (r) => r.stream_id === 'dispute-d-1' && r.revision === '1',
    );
    await sql(
      connection,
      `UPDATE arbiter.events SET data = data || '{"comment":"forged"}' WHERE event_id = $1`,
      [target?.event_id],
    );
    const result = await log.verify(digest);
    expect(result.intact).toBe(false);
    expect(result.findings).toEqual([
      {
        kind: 'changed',
        position: target?.position,
        streamId: 'dispute-d-1',
        revision: '1',
        eventId: target?.event_id,
        parts: ['data'],
      },
    ]);
    // Only that dispute is touched.
    expect((await log.verify(digest, { disputeId: 'd-2' })).intact).toBe(true);
    expect((await log.verify(digest, { disputeId: 'd-1' })).findings).toHaveLength(1);
  });

  it('names an event whose metadata was edited', async () => {
    const target = (await rows(connection)).find(
      (r) => r.stream_id === 'dispute-d-2' && r.revision === '2',
    );
    await sql(
      connection,
      `UPDATE arbiter.events SET metadata = jsonb_set(metadata, '{actor,id}', '"someone-else"') WHERE event_id = $1`,
      [target?.event_id],
    );
    const result = await log.verify(digest);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind: 'changed', eventId: target?.event_id, parts: ['metadata'] }),
    ]);
  });

  it('names a removed last event as a truncation, and a removed middle event as removed', async () => {
    const events = await rows(connection);
    const last = events.at(-1) as Row;
    const middle = events.find((r) => r.stream_id === 'dispute-d-1' && r.revision === '2') as Row;
    await sql(connection, 'DELETE FROM arbiter.events WHERE event_id = ANY($1)', [
      [last.event_id, middle.event_id],
    ]);
    const result = await log.verify(digest);
    expect(result.intact).toBe(false);
    expect(result.findings).toEqual([
      {
        kind: 'removed',
        position: middle.position,
        streamId: 'dispute-d-1',
        revision: '2',
        eventId: middle.event_id,
      },
      {
        kind: 'truncated',
        afterPosition: events.at(-2)?.position,
        missing: 1,
        events: [
          {
            position: last.position,
            streamId: last.stream_id,
            revision: last.revision,
            eventId: last.event_id,
          },
        ],
      },
    ]);
  });

  it('names a truncated log: where it now ends and how many events are missing', async () => {
    const events = await rows(connection);
    const cut = events[Math.floor(events.length / 2)];
    await sql(connection, 'DELETE FROM arbiter.events WHERE position > $1', [cut.position]);
    const result = await log.verify(digest);
    expect(result.findings).toEqual([
      expect.objectContaining({
        kind: 'truncated',
        afterPosition: cut.position,
        missing: events.length - Math.floor(events.length / 2) - 1,
      }),
    ]);
  });

  it('names a forged event inserted with a recomputed hash chain, which the chain alone misses', async () => {
    const events = await rows(connection);
    const stream = events.filter((r) => r.stream_id === 'dispute-d-1');
    const previous = stream.at(-1) as Row;
    const forged = {
      streamId: 'dispute-d-1',
      revision: BigInt(previous.revision) + 1n,
      type: 'MessagePosted',
      data: {
        messageId: 'forged',
        body: 'I agree to everything',
        author: { id: 'seller-1', role: 'seller' },
      },
      metadata: { actor: seller } as Record<string, unknown>,
    };
    forged.metadata.hash = chainHash(previous.metadata.hash as string, forged);
    // Between two covered events, in the transaction of the one before.
    const position = (BigInt(previous.position) + 500n).toString();
    await sql(
      connection,
      `INSERT INTO arbiter.events (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
       VALUES ($1, $2::xid8, $3, $4, 'forged-event', $5, $6, $7)`,
      [
        position,
        previous.transaction_id,
        forged.streamId,
        forged.revision.toString(),
        forged.type,
        forged.data,
        forged.metadata,
      ],
    );
    // The stream's own hash chain still holds: that is what the digest adds.
    expect(verifyChain(await store.readStream('dispute-d-1')).intact).toBe(true);
    const result = await log.verify(digest, { disputeId: 'd-1' });
    expect(result.intact).toBe(false);
    expect(result.findings).toEqual([
      {
        kind: 'inserted',
        position,
        streamId: 'dispute-d-1',
        revision: forged.revision.toString(),
        eventId: 'forged-event',
      },
    ]);
  });

  it('names two events whose places in the log were swapped', async () => {
    const events = await rows(connection);
    const [a, b] = [events[3], events[8]];
    await sql(connection, 'UPDATE arbiter.events SET position = -5 WHERE position = $1', [
      a.position,
    ]);
    await sql(connection, 'UPDATE arbiter.events SET position = $1 WHERE position = $2', [
      a.position,
      b.position,
    ]);
    await sql(connection, 'UPDATE arbiter.events SET position = $1 WHERE position = -5', [
      b.position,
    ]);
    const result = await log.verify(digest);
    expect(result.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'reordered',
          eventId: a.event_id,
          fromPosition: a.position,
          toPosition: b.position,
        }),
        expect.objectContaining({
          kind: 'reordered',
          eventId: b.event_id,
          fromPosition: b.position,
          toPosition: a.position,
        }),
      ]),
    );
    expect(kinds(result)).toEqual(['reordered', 'reordered']);
  });

  it('refuses a digest of another key, saying the signing key changed; trusts a retired key', async () => {
    const replaced = new AuditKeyring(generateKeyPairSync('ed25519').privateKey);
    const elsewhere = new AuditLog({ connection, eventStore: store, keyring: replaced, clock });
    const refused = await refusal(elsewhere.verify(digest));
    expect(refused.code).toBe('AUDIT_DIGEST_UNKNOWN_KEY');
    expect(refused.message).toMatch(/the signing key changed/);
    // A digest another deployment signed is refused the same way.
    const foreign = signDigest({ ...digest, keyId: replaced.keyId }, replaced);
    expect((await refusal(log.verify(foreign))).code).toBe('AUDIT_DIGEST_UNKNOWN_KEY');
    // After a rotation that keeps the old key trusted, the old digest still checks.
    const rotated = new AuditKeyring(replaced.privateKey, [keyring.publicKey]);
    const afterRotation = new AuditLog({ connection, eventStore: store, keyring: rotated, clock });
    expect((await afterRotation.verify(digest)).intact).toBe(true);
  });

  it('refuses a digest changed after signing, a malformed one, and one beyond this log', async () => {
    expect((await refusal(log.verify({ ...digest, count: digest.count - 1 }))).code).toBe(
      'AUDIT_DIGEST_SIGNATURE_INVALID',
    );
    expect((await refusal(log.verify({ root: 'x' }))).code).toBe('AUDIT_DIGEST_MALFORMED');
    const beyond = signDigest(
      {
        ...digest,
        position: (BigInt(digest.position) + 10_000_000n).toString(),
        count: digest.count + 3,
      },
      keyring,
    );
    const refused = await refusal(log.verify(beyond));
    expect(refused.code).toBe('AUDIT_DIGEST_BEYOND_LOG');
    expect(refused.message).toMatch(/this log ends at position \d+/);
  });

  it('refuses to sign when the leaf record was altered, and then localises by the hash chains', async () => {
    await sql(
      connection,
      `UPDATE read_models.audit_leaves SET data_hash = repeat('0', 64) WHERE index = 4`,
    );
    expect((await refusal(log.publish())).code).toBe('AUDIT_RECORD_ALTERED');
    // The log is untouched: the digest still verifies (it never trusted the record).
    expect((await log.verify(digest)).intact).toBe(true);
    // Both altered: not intact, "record altered too", and the chains name the stream.
    const target = (await rows(connection)).find(
      (r) => r.stream_id === 'dispute-d-2' && r.revision === '3',
    );
    await sql(
      connection,
      `UPDATE arbiter.events SET data = data || '{"x":1}' WHERE event_id = $1`,
      [target?.event_id],
    );
    const result = await log.verify(digest);
    expect(result).toMatchObject({ intact: false, recordAltered: true });
    expect(result.findings).toEqual([
      { kind: 'chainBroken', streamId: 'dispute-d-2', revision: '3' },
    ]);
    expect(result.notes.join(' ')).toMatch(/record altered too/);
  });

  it('carries an older epoch’s digest across a rewrite by the signed transition', async () => {
    const target = (await rows(connection)).find(
      (r) => r.stream_id === 'dispute-d-1' && r.revision === '1',
    );
    const { closing, opening } = await log.beginEpoch(async () => {
      await sql(
        connection,
        `UPDATE arbiter.events SET data = data || '{"comment":"[encrypted]"}' WHERE event_id = $1`,
        [target?.event_id],
      );
    });
    expect(closing).toEqual(digest);
    expect(opening).toMatchObject({
      epoch: 1,
      count: digest.count,
      previousEpoch: {
        epoch: 0,
        position: digest.position,
        count: digest.count,
        root: digest.root,
      },
    });
    expect(opening.root).not.toBe(digest.root);
    const old = await log.verify(digest, { disputeId: 'd-1' });
    expect(old.intact).toBe(true);
    expect(old.notes.join(' ')).toMatch(/rests on the signed transition/);
    expect(old.proofs.length).toBeGreaterThan(0);
    expect((await log.verify(opening)).intact).toBe(true);
    // Later digests extend the new epoch; an edit after the rewrite is caught in both views.
    await scenario.run('d-2', buyer, addDays(T0, 7), 'PostMessage', {
      messageId: 'after',
      body: 'x',
    });
    const later = await log.publish();
    expect(later).toMatchObject({ epoch: 1, count: digest.count + 1 });
    expect(later.previousEpoch).toBeUndefined();
    await sql(
      connection,
      `UPDATE arbiter.events SET data = data || '{"x":2}' WHERE event_id = $1`,
      [target?.event_id],
    );
    expect((await log.verify(later)).findings).toEqual([
      expect.objectContaining({ kind: 'changed', eventId: target?.event_id }),
    ]);
    expect((await log.verify(digest)).intact).toBe(false);
  });

  it('refuses a digest of an epoch it has no record of, and an unsigned transition', async () => {
    const future = signDigest({ ...digest, epoch: 3 }, keyring);
    expect((await refusal(log.verify(future))).code).toBe('AUDIT_EPOCH_UNKNOWN');
    const target = (await rows(connection)).find((r) => r.stream_id === 'dispute-d-1');
    await log.beginEpoch(async () => {
      await sql(
        connection,
        `UPDATE arbiter.events SET data = data || '{"x":1}' WHERE event_id = $1`,
        [target?.event_id],
      );
    });
    expect((await log.verify(digest)).intact).toBe(true);
    // Without the closing mark, no signed transition leads out of epoch 0.
    await sql(connection, 'UPDATE read_models.audit_digests SET closing = false WHERE epoch = 0');
    const unlinked = await log.verify(digest);
    expect(unlinked.intact).toBe(false);
    expect(unlinked.notes.join(' ')).toMatch(/No signed transition out of epoch 0/);
    // Without the next epoch's digests, the rewrite is what it looks like: a changed event.
    await sql(connection, 'DELETE FROM read_models.audit_digests WHERE epoch = 1');
    expect((await log.verify(digest)).findings).toEqual([
      expect.objectContaining({ kind: 'changed', eventId: target?.event_id, parts: ['data'] }),
    ]);
  });

  it('lets one publisher sign at a time', async () => {
    await scenario.run('d-1', buyer, addDays(T0, 7), 'PostMessage', {
      messageId: 'late',
      body: 'x',
    });
    const other = new AuditLog({
      connection: await database.connectAgain(),
      eventStore: store,
      keyring,
      clock,
    });
    const results = await Promise.allSettled([
      log.publish(),
      other.publish({ noWait: true }),
      log.publish(),
    ]);
    const published = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.count] : []));
    const refused = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as AuditError).code] : [],
    );
    // Whoever got the lock signed the one new digest; the no-wait publisher may have been turned away.
    expect(new Set(published)).toEqual(new Set([digest.count + 1]));
    expect(refused.every((code) => code === 'AUDIT_PUBLISHER_BUSY')).toBe(true);
    const [{ n }] = await sql<{ n: number }>(
      connection,
      'SELECT count(*)::int AS n FROM read_models.audit_digests',
    );
    expect(n).toBe(2);
  });
});
