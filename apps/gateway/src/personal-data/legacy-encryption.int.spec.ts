import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { AuditKeyring, AuditLog, type AuditDigest } from '@arbiter/audit';
import { type Actor, addDays, disputeStreamId, ERASED } from '@arbiter/disputes';
import { verifyChain } from '@arbiter/disputes/application/audit-chain';
import {
  createSqlEventStore,
  type EventStore,
  PersonalDataEventStore,
  personalDataMarkOf,
} from '@arbiter/event-store';
import { FakeClock, type SqlConnection } from '@arbiter/platform';
import { SqlPersonKeys } from '@arbiter/read-models';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import {
  type ReadTestDatabase,
  readTestDatabases,
} from '@arbiter/read-models/testing/read-databases';
import {
  encryptLegacyPersonalData,
  type LegacyEncryptionResult,
  LegacyEncryptionRefused,
  planLegacyEncryption,
} from './legacy-encryption';

const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
const seller: Actor = { id: 'seller-1', role: 'seller' };
const mediator: Actor = { id: 'med-1', role: 'mediator' };
const T0 = '2026-03-01T00:00:00.000Z';
/** Personal text the story writes: the buyer's message and the mediator's rationale. */
const BUYER_TEXT = 'That is not enough';
const MEDIATOR_TEXT = 'Photos show a different colour';

jest.setTimeout(120_000);

async function rawText(connection: SqlConnection): Promise<string> {
  const sql = `SELECT string_agg(data::text, ' ') AS text FROM arbiter.events`;
  const rows =
    connection.kind === 'pglite'
      ? (await connection.db.query<{ text: string }>(sql)).rows
      : (await connection.pool.query<{ text: string }>(sql)).rows;
  return rows[0].text;
}

async function execute(connection: SqlConnection, sql: string): Promise<void> {
  if (connection.kind === 'pglite') await connection.db.query(sql);
  else await connection.pool.query(sql);
}

// Events written before personal fields were encrypted: the rewrite encrypts them, keeps every
// stream's hash chain intact, and a digest kept from before still verifies, across the signed
// epoch transition, also after the person is forgotten.
describe.each(readTestDatabases())('encrypting legacy personal data on %s', (_kind, open) => {
  let database: ReadTestDatabase;
  let connection: SqlConnection;
  let plain: EventStore;
  let keys: SqlPersonKeys;
  let store: PersonalDataEventStore;
  let audit: AuditLog;
  let before: AuditDigest;

  beforeEach(async () => {
    database = await open();
    connection = database.connection;
    await migrateReadModels(connection);
    // Written by a store without keys: the plaintext an older version stored.
    plain = await createSqlEventStore(connection);
    const scenario = new DisputeScenario(plain);
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
        'decided',
      );
    }
    keys = new SqlPersonKeys(connection, { masterKey: randomBytes(32) });
    store = new PersonalDataEventStore(plain, { keys, erased: ERASED });
    audit = new AuditLog({
      connection,
      eventStore: store,
      keyring: new AuditKeyring(generateKeyPairSync('ed25519').privateKey),
      clock: new FakeClock('2026-04-01T00:00:00.000Z'),
    });
    before = await audit.publish();
  });

  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  const messageBody = async (disputeId: string) =>
    (await store.readStream(disputeStreamId(disputeId))).find((e) => e.type === 'MessagePosted')
      ?.data as { body: string };

  it('encrypts every legacy personal field, keeps the chains and the kept digest intact, and erases with the key', async () => {
    const plan = await planLegacyEncryption(store);
    // Per dispute: description, counter comment, message, evidence, the mediator's request,
    // note, evidence and rationale; written by the buyer, the seller and the mediator.
    expect(plan.people).toBe(3);
    expect(plan.streams.sort()).toEqual(['dispute-d-1', 'dispute-d-2']);
    expect(await rawText(connection)).toContain(BUYER_TEXT);

    const result = (await encryptLegacyPersonalData({
      connection,
      store,
      keys,
      audit,
    })) as LegacyEncryptionResult;
    expect(result.events).toBe(plan.events);
    expect(result.closing).toMatchObject({ epoch: 0, count: before.count, root: before.root });
    expect(result.opening).toMatchObject({
      epoch: 1,
      count: before.count,
      previousEpoch: { epoch: 0, root: before.root, count: before.count },
    });
    expect(result.opening.root).not.toBe(before.root);

    // Stored: ciphertext only, marked, chained; read: the same plaintext as before.
    const raw = await rawText(connection);
    expect(raw).not.toContain(BUYER_TEXT);
    expect(raw).not.toContain(MEDIATOR_TEXT);
    for (const id of ['d-1', 'd-2']) {
      const stored = await plain.readStream(disputeStreamId(id));
      expect(verifyChain(stored)).toMatchObject({ intact: true });
      const message = stored.find((e) => e.type === 'MessagePosted');
      expect(message && personalDataMarkOf(message.metadata)?.subject).toBe(buyer.id);
      expect(await messageBody(id)).toMatchObject({ body: BUYER_TEXT });
    }
    expect((await planLegacyEncryption(store)).events).toBe(0);

    // The digest kept from before verifies across the signed transition, and so does the new one.
    const kept = await audit.verify(before);
    expect(kept).toMatchObject({ intact: true, findings: [] });
    expect(kept.notes.join(' ')).toMatch(/rewritten since epoch 0/);
    expect(await audit.verify(result.opening)).toMatchObject({ intact: true, findings: [] });

    // Forgetting the buyer now erases what they wrote before encryption existed, and no proof breaks.
    await keys.destroy(buyer.id, 'PRIV-1');
    expect(await messageBody('d-1')).toMatchObject({ body: ERASED });
    const decision = (await store.readStream(disputeStreamId('d-1'))).find(
      (e) => e.type === 'DisputeDecided',
    );
    expect(decision?.data).toMatchObject({ rationale: MEDIATOR_TEXT });
    expect(await audit.verify(before)).toMatchObject({ intact: true, findings: [] });
    expect(await audit.verify(result.opening)).toMatchObject({ intact: true, findings: [] });
    expect(verifyChain(await plain.readStream(disputeStreamId('d-1')))).toMatchObject({
      intact: true,
    });
  });

  it('refuses to rewrite a log that no longer matches its digest, and changes nothing', async () => {
    await execute(
      connection,
      `UPDATE arbiter.events SET data = jsonb_set(data, '{body}', '"forged"') WHERE type = 'MessagePosted'`,
    );
    const raw = await rawText(connection);
    await expect(
      encryptLegacyPersonalData({ connection, store, keys, audit }),
    ).rejects.toMatchObject({ code: 'LEGACY_ENCRYPTION_LOG_NOT_INTACT' });
    expect(await rawText(connection)).toBe(raw);
    expect((await audit.latest())?.epoch).toBe(0);
  });

  it('refuses to rewrite a stream whose chain is broken, even without a digest', async () => {
    const fresh = await open();
    try {
      await migrateReadModels(fresh.connection);
      const legacy = await createSqlEventStore(fresh.connection);
      const scenario = new DisputeScenario(legacy);
      await scenario.placeShippedOrder({
        orderId: 'o-9',
        buyerId: buyer.id,
        sellerId: seller.id,
        total: { amountMinor: 10_000, currency: 'EUR' },
        at: T0,
      });
      await mediatedStory(
        scenario,
        { disputeId: 'd-9', orderId: 'o-9' },
        { buyer, seller, mediator },
        addDays(T0, 6),
        'escalated',
      );
      await execute(
        fresh.connection,
        `UPDATE arbiter.events SET data = jsonb_set(data, '{body}', '"forged"') WHERE type = 'MessagePosted'`,
      );
      const freshKeys = new SqlPersonKeys(fresh.connection, { masterKey: randomBytes(32) });
      const freshStore = new PersonalDataEventStore(legacy, { keys: freshKeys, erased: ERASED });
      const error = await encryptLegacyPersonalData({
        connection: fresh.connection,
        store: freshStore,
        keys: freshKeys,
        audit: new AuditLog({
          connection: fresh.connection,
          eventStore: freshStore,
          keyring: new AuditKeyring(generateKeyPairSync('ed25519').privateKey),
          clock: new FakeClock('2026-04-01T00:00:00.000Z'),
        }),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LegacyEncryptionRefused);
      expect(error).toMatchObject({ code: 'LEGACY_ENCRYPTION_CHAIN_BROKEN' });
      await freshStore.close();
    } finally {
      await fresh.dispose();
    }
  });
});
