import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Pseudonyms, runEventsCli } from '@arbiter/analytics';
import { EVENT_STORE, type EventStore, storedEventsOf } from '@arbiter/event-store';
import { SQL_CONNECTION, type SqlConnection } from '@arbiter/platform';
import { DEFAULT_POLICY, disputeStreamId } from '@arbiter/disputes';
import { DisputeReader, DisputeStreams } from '@arbiter/disputes/application';
import { ProjectionRunner } from '@arbiter/read-models';
import { DisputeScenario } from '@arbiter/read-models/projections/testing/scenario';
import { caller, type Caller, eur } from './disputes-helpers';
import {
  act,
  ask,
  eventually,
  people,
  type ReadGateway,
  shippedOrder,
  startReadGateway,
} from './read-helpers';
import { graphql } from './support/clients';
import { uploadEvidence } from './support/evidence';
import { describeOnAllStores, TEST_PSEUDONYM_KEY } from './support/gateway';

const ERASED = '[erased]';
const FULL = `disputeId status description
  messages { body }
  evidence { description text file { sha256 url } }
  proposals { proposalId proposer }
  returnInfo { address { name lines postalCode country } carrier trackingNumber }
  timeline { summary }`;
const ONE = `query One($id: ID!) { dispute(id: $id) { ${FULL} } }`;
const TIMELINE = `query T($id: ID!) { disputeTimeline(id: $id, first: 100) { edges { node { type summary } } } }`;
const MY = `{ myDisputes(first: 50) { edges { node { ${FULL} } } } }`;
const SELLER = `{ sellerDisputes(first: 50) { edges { node { ${FULL} } } } }`;
const QUEUE = `{ mediationQueue { edges { node { dispute { ${FULL} } } } } }`;
const AUDIT = `query A($id: ID!) { disputeAudit(id: $id) { events { type data } dispute { ${FULL} } } }`;
const VERIFY = `query V($id: ID!) { disputeAuditVerify(id: $id) { intact events brokenAtRevision } }`;
const DIGEST = `query D { auditDigest(fresh: true) { version epoch position count root createdAt keyId signature } }`;
const VERIFY_DIGEST = `query V($id: ID!, $digest: AuditDigestInput) {
  disputeAuditVerify(id: $id, digest: $digest) { digest { intact findings { kind } proofs { leafIndex } } } }`;
const FEED = `{ disputeEventsPage(first: 1000) { events { type disputeId data } } }`;
const FORGET = `mutation F($personId: ID!, $reason: String!) {
  forgetPerson(personId: $personId, reason: $reason) { personId alreadyForgotten disputes filesDeleted plaintextEvents } }`;

const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  body.errors?.[0]?.extensions?.code;

// Erasure by crypto-shredding, through GraphQL on every store: the buyer's free text is stored
// encrypted, then forgotten; every answer shows it erased, the seller's text stays, the chain
// holds, and a rebuild of the read models gives the same answers.
describeOnAllStores('personal data erasure', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>>;
  let senior: Caller;
  let argued: string; // in its return: description, messages, evidence, the seller's return address
  let queued: string; // in the mediation queue
  let buyerFile: string;
  let sellerFile: string;
  let run: string;
  const mine = (what: string) => `BUYER-SECRET-${what}-${run}`;
  const theirs = (what: string) => `SELLER-KEEPS-${what}-${run}`;

  const as = (who: Caller, query: string, variables: Record<string, unknown> = {}) =>
    ask(r.url, who, query, variables);
  const forget = (by: Caller, personId: string, reason = 'PRIV-1234') =>
    graphql<{ forgetPerson: Record<string, unknown> }>(r.url, FORGET, {
      token: by.token,
      variables: { personId, reason },
    }).then((response) => response.body);
  /** Every answer the buyer's text could reach, by each reader. */
  const answers = async () => {
    const out: Record<string, unknown> = {};
    for (const [name, reader] of [
      ['buyer', who.buyer],
      ['seller', who.seller],
      ['mediator', who.mediator],
    ] as const) {
      for (const id of [argued, queued]) {
        out[`${name}:dispute:${id}`] = await as(reader, ONE, { id });
        out[`${name}:timeline:${id}`] = await as(reader, TIMELINE, { id });
      }
    }
    out.my = await as(who.buyer, MY);
    out.seller = await as(who.seller, SELLER);
    out.queue = await as(who.mediator, QUEUE);
    for (const id of [argued, queued]) out[`audit:${id}`] = await as(who.mediator, AUDIT, { id });
    out.feed = await as(who.platform, FEED);
    out.tail = await tail();
    for (const value of Object.values(out))
      expect((value as { errors?: unknown }).errors).toBeUndefined();
    return out;
  };
  const tail = async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await runEventsCli(['tail', '--full'], {
      eventStore: r.gateway.app.get<EventStore>(EVENT_STORE),
      pseudonyms: new Pseudonyms(TEST_PSEUDONYM_KEY),
      out,
      err: new PassThrough(),
    });
    expect(code).toBe(0);
    return text;
  };
  const seen = async (reader: Caller, id: string) =>
    eventually(async () => {
      const body = await as(reader, ONE, { id });
      expect(body.errors).toBeUndefined();
      return (body.data as { dispute: { proposals: { proposalId: string; proposer: string }[] } })
        .dispute;
    });
  const sql = async (text: string) => {
    const connection = r.gateway.app.get<SqlConnection>(SQL_CONNECTION);
    return connection.kind === 'pglite'
      ? (await connection.db.query<Record<string, string>>(text)).rows
      : ((await connection.pool.query(text)).rows as Record<string, string>[]);
  };
  /** Every row of every read-model table, as text. */
  const readModelRows = async () => {
    const tables = await sql(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'read_models'`,
    );
    let text = '';
    for (const { table_name } of tables)
      for (const row of await sql(
        `SELECT to_jsonb(t)::text AS row FROM read_models."${table_name}" t`,
      ))
        text += `${table_name}: ${row.row}\n`;
    return text;
  };
  const blobExists = (sha: string) => existsSync(join(r.gateway.evidenceDir, sha.slice(0, 2), sha));

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = await people(r);
    senior = await caller('senior_mediator', r.id('senior'));
    run = r.id('run');
    // A dispute in its return, with text of both parties and a file of each.
    const orderId = await shippedOrder(r, who);
    argued = (
      await act(r.url, who.buyer, 'openDispute', {
        orderId,
        reason: 'DAMAGED',
        description: mine('description'),
        claim: { kind: 'RETURN_AND_REFUND', amount: eur(10_000), returnShippingPaidBy: 'seller' },
      })
    ).dispute.disputeId;
    await act(r.url, who.buyer, 'postMessage', { disputeId: argued, body: mine('message') });
    await act(r.url, who.buyer, 'addEvidence', {
      disputeId: argued,
      kind: 'TEXT',
      text: mine('evidence-text'),
      description: mine('evidence-description'),
    });
    const upload = async (by: Caller, content: string) => {
      const uploaded = await uploadEvidence(r.url, { token: by.token, disputeId: argued, content });
      expect(uploaded.status).toBe(201);
      return String(uploaded.body.id);
    };
    const buyerFileId = await upload(who.buyer, `buyer's own photo notes ${run}`);
    buyerFile = buyerFileId.replace('sha256:', '');
    await act(r.url, who.buyer, 'addEvidence', {
      disputeId: argued,
      kind: 'DOCUMENT',
      fileId: buyerFileId,
      description: mine('file-description'),
    });
    const sellerFileId = await upload(who.seller, `seller's packing list ${run}`);
    sellerFile = sellerFileId.replace('sha256:', '');
    await act(r.url, who.seller, 'addEvidence', {
      disputeId: argued,
      kind: 'DOCUMENT',
      fileId: sellerFileId,
      description: theirs('file-description'),
    });
    const claim = (await seen(who.seller, argued)).proposals.find((p) => p.proposer === 'buyer');
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: argued,
      response: 'ACCEPT',
      comment: theirs('comment'),
      proposalId: claim?.proposalId,
    });
    await act(r.url, who.seller, 'postMessage', { disputeId: argued, body: theirs('message') });
    await act(r.url, who.seller, 'provideReturnAddress', {
      disputeId: argued,
      address: {
        name: theirs('name'),
        lines: [theirs('line')],
        postalCode: 'E16 1AA',
        country: 'GB',
      },
    });
    await act(r.url, who.buyer, 'shipReturn', {
      disputeId: argued,
      carrier: 'Royal Mail',
      trackingNumber: `RM${run.replace(/[^A-Za-z0-9]/g, '')}GB`,
    });
    // A second dispute of the buyer, waiting in the mediation queue.
    queued = (
      await act(r.url, who.buyer, 'openDispute', {
        orderId: await shippedOrder(r, who),
        reason: 'WRONG_ITEM',
        description: mine('queued-description'),
        claim: { kind: 'FULL_REFUND' },
      })
    ).dispute.disputeId;
    await seen(who.seller, queued);
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: queued,
      response: 'REJECT',
      comment: theirs('queued-comment'),
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId: queued });
    await eventually(async () => {
      expect(JSON.stringify(await as(who.mediator, QUEUE))).toContain(queued);
    });
  });

  afterAll(async () => {
    await r?.close();
  });

  it('stores the personal fields encrypted: no plaintext in the stored events', async () => {
    const stored = await storedEventsOf(r.gateway.app.get<EventStore>(EVENT_STORE)).readAll();
    const raw = JSON.stringify(stored.map((e) => ({ data: e.data, metadata: e.metadata })));
    expect(raw).toContain(argued); // the events are there...
    expect(raw).not.toContain('BUYER-SECRET'); // ...their personal fields are not
    expect(raw).not.toContain('SELLER-KEEPS');
    expect(raw).not.toContain(buyerFile);
    if (database !== 'kurrentdb') {
      // The rows themselves, by SQL.
      const rows = await sql(
        `SELECT data::text AS data, metadata::text AS metadata FROM arbiter.events`,
      );
      expect(rows.length).toBeGreaterThan(10);
      const text = rows.map((row) => row.data + row.metadata).join('\n');
      expect(text).toContain('personalData');
      expect(text).not.toMatch(/BUYER-SECRET|SELLER-KEEPS/);
    }
    // Readers get plaintext meanwhile.
    const before = JSON.stringify(await answers());
    expect(before).toContain(mine('description'));
    expect(before).toContain(mine('message'));
    expect(before).toContain(mine('evidence-text'));
    expect(before).toContain(theirs('name'));
    expect(blobExists(buyerFile)).toBe(true);
    // The read models copy the text into their rows (views, timeline, deadlines' staff view).
    await eventually(async () => {
      const held = await readModelRows();
      for (const table of [
        'buyer_disputes',
        'seller_disputes',
        'mediator_cases',
        'timeline_entries',
        'deadline_dispute_states',
      ])
        expect(held).toContain(`${table}: `);
      expect(held).toContain(mine('message'));
    });
  });

  it('refuses forgetPerson to parties and staff with FORBIDDEN, and checks the reason', async () => {
    for (const by of [who.buyer, who.seller, who.mediator, senior, who.analyst])
      expect(codeOf(await forget(by, who.buyer.id))).toBe('FORBIDDEN');
    expect(codeOf(await forget(who.platform, who.buyer.id, 'she asked me on the phone'))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it("forgets the buyer: their text reads erased everywhere, the seller's stays, proofs hold", async () => {
    // A message stored before encryption existed: written straight to the stored events.
    const raw = storedEventsOf(r.gateway.app.get<EventStore>(EVENT_STORE));
    const legacy = `LEGACY-PLAINTEXT-${run}`;
    await new DisputeScenario(raw, DEFAULT_POLICY, run).run(
      queued,
      { id: who.buyer.id, role: 'buyer' },
      new Date().toISOString(),
      'PostMessage',
      { messageId: `legacy-${run}`, body: legacy },
    );
    // The command side holds the dispute folded in its state cache, the buyer's text in the clear.
    const cache = r.gateway.app.get(DisputeStreams).cache;
    expect(cache?.has(disputeStreamId(argued))).toBe(true);
    // A signed digest an auditor keeps from before the erasure.
    const kept = (await as(who.mediator, DIGEST, {})).data as { auditDigest: unknown };
    expect(kept.auditDigest).toBeTruthy();
    const forgotten = await forget(who.platform, who.buyer.id);
    expect(forgotten.errors).toBeUndefined();
    expect(forgotten.data?.forgetPerson).toMatchObject({
      personId: who.buyer.id,
      alreadyForgotten: false,
      filesDeleted: 1,
      plaintextEvents: 1,
    });
    expect(new Set(forgotten.data?.forgetPerson.disputes as string[])).toEqual(
      new Set([argued, queued]),
    );
    const after = JSON.stringify(await answers());
    expect(after).not.toContain('BUYER-SECRET');
    expect(after).not.toContain(buyerFile);
    expect(after).not.toContain(`RM${run.replace(/[^A-Za-z0-9]/g, '')}GB`);
    expect(after).toContain(ERASED);
    // What was stored before encryption stays readable, and the answer counted it.
    expect(after).toContain(legacy);
    for (const kept of ['comment', 'message', 'name', 'line', 'file-description', 'queued-comment'])
      expect(after).toContain(theirs(kept));
    // No read-model row keeps a copy: views, timeline entries, the deadlines' staff views.
    const held = await readModelRows();
    expect(held).not.toContain('BUYER-SECRET');
    expect(held).toContain(theirs('message'));
    // The buyer's file is gone; the seller's stays.
    expect(blobExists(buyerFile)).toBe(false);
    expect(blobExists(sellerFile)).toBe(true);
    // Each field keeps its type and shape: the dispute still reads, as every role sees it.
    const { dispute } = (await as(who.seller, ONE, { id: argued })).data as {
      dispute: { description: string; messages: { body: string }[] };
    };
    expect(dispute.description).toBe(ERASED);
    expect(dispute.messages.map((m) => m.body)).toEqual([ERASED, theirs('message')]);
    // The chain over the stored bytes is untouched, and so is the log the kept digest signed:
    // hashes cover the ciphertext, which the erasure did not touch.
    for (const id of [argued, queued]) {
      expect(await as(who.mediator, VERIFY, { id })).toMatchObject({
        data: { disputeAuditVerify: { intact: true, brokenAtRevision: null } },
      });
      const checked = await as(who.mediator, VERIFY_DIGEST, { id, digest: kept.auditDigest });
      expect(checked.errors).toBeUndefined();
      expect(checked.data).toMatchObject({
        disputeAuditVerify: { digest: { intact: true, findings: [] } },
      });
      const { proofs } = (checked.data as { disputeAuditVerify: { digest: { proofs: unknown[] } } })
        .disputeAuditVerify.digest;
      expect(proofs.length).toBeGreaterThan(0);
    }
  });

  it('forgetting again says so and changes nothing', async () => {
    const again = await forget(who.platform, who.buyer.id);
    expect(again.data?.forgetPerson).toMatchObject({ alreadyForgotten: true, filesDeleted: 0 });
  });

  it('takes further commands on the dispute, the buyer writing under a new key', async () => {
    // The first command after the erasure, on a dispute its state cache held: its answer (from
    // the read model or, not there yet, the command's own fold) shows the text erased.
    const first = await act(r.url, who.buyer, 'postMessage', {
      disputeId: argued,
      body: 'written afterwards',
    });
    expect(first.dispute.description).toBe(ERASED);
    expect(first.dispute.messages.map((m: { body: string }) => m.body)).toEqual([
      ERASED,
      theirs('message'),
      'written afterwards',
    ]);
    // The command side's own fold, which answers when the read model lags, says the same.
    const folded = await r.gateway.app
      .get(DisputeReader)
      .view({ id: who.buyer.id, role: 'buyer' }, argued);
    expect(folded?.description).toBe(ERASED);
    expect(folded?.messages.map((m) => m.body)).toEqual([
      ERASED,
      theirs('message'),
      'written afterwards',
    ]);
    await act(r.url, who.seller, 'postMessage', { disputeId: argued, body: theirs('after') });
    const { dispute } = (await as(who.buyer, ONE, { id: argued })).data as {
      dispute: { messages: { body: string }[] };
    };
    expect(dispute.messages.map((m) => m.body)).toEqual([
      ERASED,
      theirs('message'),
      'written afterwards',
      theirs('after'),
    ]);
    expect(await as(who.mediator, VERIFY, { id: argued })).toMatchObject({
      data: { disputeAuditVerify: { intact: true } },
    });
  });

  it('gives the same answers after a rebuild of the read models', async () => {
    const runner = r.gateway.app.get(ProjectionRunner);
    await eventually(async () => {
      const before = await answers();
      await runner.rebuild('all');
      const after = await answers();
      expect(after).toEqual(before);
    }, 30_000);
  });
});
