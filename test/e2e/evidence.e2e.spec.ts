import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import {
  EVIDENCE_FILES,
  EvidenceFiles,
} from '@arbiter/disputes/application/add-evidence/add-evidence';
import { randomBytes } from 'node:crypto';
import { FakeClock } from '@arbiter/platform';
import {
  caller,
  Caller,
  cast,
  DisputesGateway,
  eur,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';
import { tokenFor } from './support/clients';
import { evidenceRequestHead, multipartHead, uploadEvidence } from './support/evidence';
import { describeOnDatabases, RunningGateway, startGateway } from './support/gateway';

const MAX_BYTES = 64 * 1024;
const png = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
  Buffer.alloc(200, 7),
]);
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** Every blob file under the evidence directory (two-letter fan-out folders, and tmp). */
async function storedFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describeOnDatabases('evidence uploads', (database) => {
  let gateway: RunningGateway;
  let buyer: string;
  let buyerId: string;
  let seller: Caller;
  let disputeId: string;
  beforeAll(async () => {
    const clock = new FakeClock(new Date());
    gateway = await startGateway(
      { EVIDENCE_MAX_BYTES: String(MAX_BYTES), WORKERS: 'off' },
      database,
      { clock },
    );
    // A real dispute: only its own buyer and seller may upload to it.
    const run = randomBytes(4).toString('hex');
    const platform = await caller('platform', 'marketplace');
    const owner = await caller('buyer', `ev-buyer-${run}`);
    seller = await caller('seller', `ev-seller-${run}`);
    buyer = owner.token;
    buyerId = owner.id;
    const orderId = `ev-order-${run}`;
    await ok(gateway.url, platform, 'placeOrder', {
      orderId,
      buyerId: owner.id,
      sellerId: seller.id,
      total: eur(5_000),
      items: [{ sku: 'vase-1', title: 'Vase', quantity: 1, unitPrice: eur(5_000) }],
    });
    await ok(gateway.url, platform, 'shipOrder', {
      orderId,
      carrier: 'DHL',
      trackingNumber: 'JD0042',
      deliveryDeadline: new Date(clock.now().getTime() + 10 * 86_400_000).toISOString(),
    });
    clock.advanceDays(1);
    ({ disputeId } = await ok(gateway.url, owner, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived broken',
      claim: { kind: 'FULL_REFUND' },
    }));
  });
  afterAll(() => gateway?.close());

  it('stores a file by its sha256 and returns the id the add-evidence mutation takes', async () => {
    const response = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId,
      content: png,
    });
    expect(response).toEqual({
      status: 201,
      body: {
        id: `sha256:${sha256(png)}`,
        sha256: sha256(png),
        size: png.length,
        mediaType: 'image/png',
      },
    });
    const stored = await readFile(join(gateway.evidenceDir, sha256(png).slice(0, 2), sha256(png)));
    expect(stored.equals(png)).toBe(true);
    // What the add-evidence handler will see when the mutation references the upload.
    const files = gateway.app.get<EvidenceFiles>(EVIDENCE_FILES);
    const described = { sha256: sha256(png), mediaType: 'image/png', sizeBytes: png.length };
    const owner = { disputeId, uploader: { id: buyerId, role: 'buyer' as const } };
    expect(await files.find(owner, `sha256:${sha256(png)}`)).toEqual(described);
    expect(await files.find(owner, sha256(png))).toEqual(described);
    expect(await files.find(owner, '0'.repeat(64))).toBeNull();
    // Only for the dispute and the party it was uploaded for.
    expect(await files.find({ ...owner, disputeId: 'another-dispute' }, sha256(png))).toBeNull();
    expect(
      await files.find({ disputeId, uploader: { id: seller.id, role: 'seller' } }, sha256(png)),
    ).toBeNull();
  });

  it('stores identical content once', async () => {
    const text = Buffer.from(`The parcel arrived torn open. ${database}`);
    const first = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId,
      content: text,
    });
    const second = await uploadEvidence(gateway.url, {
      token: seller.token,
      disputeId,
      content: text,
    });
    expect(first.body).toEqual(second.body);
    expect(first.body.mediaType).toBe('text/plain');
    const files = await readdir(join(gateway.evidenceDir, sha256(text).slice(0, 2)));
    expect(files.filter((name) => name === sha256(text))).toHaveLength(1);
    expect(await readdir(join(gateway.evidenceDir, 'tmp'))).toEqual([]);
  });

  it('refuses a file over EVIDENCE_MAX_BYTES with 413 and leaves nothing behind', async () => {
    const big = Buffer.concat([png, Buffer.alloc(MAX_BYTES, 1)]);
    const response = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId,
      content: big,
    });
    expect(response).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        code: 'EVIDENCE_TOO_LARGE',
        message: `The file exceeds the limit of ${MAX_BYTES} bytes`,
      },
    });
    expect(await readdir(join(gateway.evidenceDir, 'tmp'))).toEqual([]);
  });

  it('refuses a request far over the limit from its Content-Length alone', async () => {
    const huge = Buffer.alloc(MAX_BYTES * 4, 1);
    const response = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId,
      content: huge,
    });
    expect(response.status).toBe(413);
  });

  it('drops an upload the client abandons mid-file: its temporary file goes, the server still serves', async () => {
    const tmp = join(gateway.evidenceDir, 'tmp');
    const head = multipartHead(disputeId);
    const half = Buffer.concat([png, Buffer.alloc(MAX_BYTES / 2, 3)]);
    const { host } = new URL(gateway.url);
    const socket = await openSocket(gateway.url);
    // Declares a whole file but sends only half of it, then hangs up.
    socket.write(evidenceRequestHead(host, buyer, head.length + MAX_BYTES));
    socket.write(Buffer.concat([head, half]));
    await eventually(async () => expect(await readdir(tmp)).toHaveLength(1));
    socket.destroy();

    await eventually(async () => expect(await readdir(tmp)).toEqual([]));
    const after = await uploadEvidence(gateway.url, { token: buyer, disputeId, content: png });
    expect(after.status).toBe(201);
  });

  it('refuses a request whose file part is cut short with 400, whoever sends it, and still serves', async () => {
    // A complete request whose body ends inside the file part, without its closing boundary: the
    // parser reports it on the file stream, possibly before anything reads that stream.
    const boundary = 'cut-short';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="disputeId"\r\n\r\n${disputeId}\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n` +
          'Content-Type: image/png\r\n\r\n',
      ),
      png.subarray(0, 16),
    ]);
    for (const token of [buyer, (await caller('analyst', 'ev-analyst')).token]) {
      const response = await fetch(`${gateway.url}/evidence`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body,
      });
      // The cut is found while the request is read; the analyst may be refused first instead.
      const answer = {
        status: response.status,
        code: ((await response.json()) as { code: string }).code,
      };
      expect([
        { status: 400, code: 'BAD_REQUEST' },
        ...(token === buyer ? [] : [{ status: 403, code: 'FORBIDDEN' }]),
      ]).toContainEqual(answer);
    }
    const after = await uploadEvidence(gateway.url, { token: buyer, disputeId, content: png });
    expect(after.status).toBe(201);
  });

  it('refuses a chunked upload over the limit with 413 before reading it to the end', async () => {
    const { host } = new URL(gateway.url);
    const socket = await openSocket(gateway.url);
    let answer = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => (closed = true));
    const chunk = (bytes: Buffer) =>
      `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;
    socket.write(evidenceRequestHead(host, buyer));
    socket.write(chunk(Buffer.concat([multipartHead(disputeId), png])), 'latin1');
    // Far more than any socket buffer holds: an endpoint that drains the request would take it all.
    const planned = 64 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 5);
    let sent = 0;
    while (sent < planned && !closed && !answer) {
      const drained = socket.write(chunk(piece), 'latin1');
      sent += piece.length;
      if (!drained) await Promise.race([new Promise((r) => socket.once('drain', r)), sleep(200)]);
    }
    await eventually(async () => expect(answer).toMatch(/^HTTP\/1\.1 413/));
    expect(answer).toContain('EVIDENCE_TOO_LARGE');
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(sent).toBeLessThan(planned);
    socket.destroy();
  });

  it('refuses content of another type with 415, whatever the declared type', async () => {
    const zip = Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(64, 0)]);
    const response = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId,
      content: zip,
    });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses an anonymous upload', async () => {
    const response = await uploadEvidence(gateway.url, { disputeId, content: png });
    expect(response).toEqual({
      status: 401,
      body: { statusCode: 401, code: 'UNAUTHENTICATED', message: 'Authentication required' },
    });
  });

  it('refuses anyone but the dispute’s own buyer and seller, stores nothing, and says nothing of the dispute', async () => {
    const content = Buffer.from(`Not my dispute ${database} ${Date.now()}`);
    const before = await storedFiles(gateway.evidenceDir);
    const refused = {
      status: 403,
      body: {
        statusCode: 403,
        code: 'FORBIDDEN',
        message: 'Not allowed, or no such dispute or order',
      },
    };
    for (const [role, id] of [
      ['buyer', 'stranger-buyer'],
      ['seller', 'stranger-seller'],
      ['mediator', 'med-1'],
      ['analyst', 'analyst-1'],
    ] as const) {
      const response = await uploadEvidence(gateway.url, {
        token: await tokenFor(role, id),
        disputeId,
        content,
      });
      expect(response).toEqual(refused);
    }
    // An unknown dispute is answered alike, for its would-be owner too.
    expect(
      await uploadEvidence(gateway.url, { token: buyer, disputeId: 'no-such-dispute', content }),
    ).toEqual(refused);
    expect(await storedFiles(gateway.evidenceDir)).toEqual(before);
    await expect(
      readFile(join(gateway.evidenceDir, sha256(content).slice(0, 2), sha256(content))),
    ).rejects.toThrow();
  });

  it('answers BAD_USER_INPUT with the field paths', async () => {
    const noDispute = await uploadEvidence(gateway.url, { token: buyer, content: png });
    expect(noDispute.status).toBe(400);
    expect(noDispute.body).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: 'disputeId' }],
    });

    const badId = await uploadEvidence(gateway.url, {
      token: buyer,
      disputeId: '../etc',
      extraFields: { note: 'x' },
      content: png,
    });
    expect(badId.body).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: expect.arrayContaining([
        {
          path: 'disputeId',
          constraints: { matches: expect.stringContaining('disputeId must be a dispute id') },
        },
        { path: 'note', constraints: { whitelistValidation: 'property note should not exist' } },
      ]),
    });

    const noFile = await uploadEvidence(gateway.url, { token: buyer, disputeId });
    expect(noFile.body).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ path: 'file' }] });
  });
});

const QUOTA = {
  filesPerDispute: 3,
  bytesPerDispute: 8 * 1024,
  filesPerUser: 5,
  bytesPerUser: 64 * 1024,
};

// The evidence rules (README): who may attach which file, to which dispute, when and how much.
describeOnDatabases('evidence: which file, which dispute, which state, how much', (database) => {
  let d: DisputesGateway;
  beforeAll(async () => {
    d = await startDisputesGateway(database, {
      EVIDENCE_QUOTA_FILES_PER_DISPUTE: String(QUOTA.filesPerDispute),
      EVIDENCE_QUOTA_BYTES_PER_DISPUTE: String(QUOTA.bytesPerDispute),
      EVIDENCE_QUOTA_FILES_PER_USER: String(QUOTA.filesPerUser),
      EVIDENCE_QUOTA_BYTES_PER_USER: String(QUOTA.bytesPerUser),
      EVIDENCE_QUOTA_USER_WINDOW_HOURS: '24',
    });
  });
  afterAll(() => d?.close());

  /** A dispute opened by a fresh buyer on a fresh seller's order, with its cast. */
  async function dispute(people?: Awaited<ReturnType<typeof cast>>) {
    const who = people ?? (await cast(d));
    const orderId = await shippedOrder(d, who.platform, who.buyer, who.seller);
    const opened = await ok(d.gateway.url, who.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived broken',
      claim: { kind: 'FULL_REFUND' },
    });
    return { ...who, disputeId: opened.disputeId, proposalId: opened.proposals[0].proposalId };
  }
  /** Text content unique to this run (text/plain), `size` bytes or a little more. */
  const file = (label: string, size = 64) =>
    Buffer.concat([Buffer.from(`${d.id(label)} `), Buffer.alloc(size, 'x')]);
  const upload = (who: Caller, disputeId: string, content: Buffer) =>
    uploadEvidence(d.gateway.url, { token: who.token, disputeId, content });
  const attach = (who: Caller, disputeId: string, content: Buffer) =>
    mutate(d.gateway.url, who, 'addEvidence', {
      disputeId,
      kind: 'DOCUMENT',
      description: 'The receipt',
      fileId: `sha256:${sha256(content)}`,
    });
  const isStored = (content: Buffer) =>
    readFile(join(d.gateway.evidenceDir, sha256(content).slice(0, 2), sha256(content))).then(
      () => true,
      () => false,
    );

  it('refuses whoever may not add evidence before looking the file up: an uploaded file and an unknown one get the same answer', async () => {
    const target = await dispute();
    const uploaded = file('uploaded');
    expect((await upload(target.buyer, target.disputeId, uploaded)).status).toBe(201);
    const unknown = file('never-uploaded');
    const outsiders = [
      await caller('buyer', d.id('stranger')),
      await caller('seller', d.id('stranger')),
      target.mediator,
      target.senior,
      target.analyst,
      target.platform,
    ];
    for (const who of outsiders) {
      const existing = await attach(who, target.disputeId, uploaded);
      const missing = await attach(who, target.disputeId, unknown);
      expect({ who: who.role, error: existing.errors?.[0] }).toEqual({
        who: who.role,
        error: missing.errors?.[0],
      });
      expect(existing.code).toBe('FORBIDDEN');
    }
    // The dispute's own buyer, once it no longer takes evidence: the state speaks, not the file.
    await ok(d.gateway.url, target.buyer, 'cancelDispute', {
      disputeId: target.disputeId,
      comment: 'Sorted it out',
    });
    const existing = await attach(target.buyer, target.disputeId, uploaded);
    const missing = await attach(target.buyer, target.disputeId, unknown);
    expect(existing.code).toBe('DISPUTE_CLOSED');
    expect(existing.errors?.[0]).toEqual(missing.errors?.[0]);
  });

  it('attaches only a file uploaded to the same dispute by the same party; the same bytes uploaded to two disputes work for each', async () => {
    const a = await dispute();
    const b = await dispute();
    const shared = file('shared');
    expect((await upload(a.buyer, a.disputeId, shared)).status).toBe(201);

    // Another dispute's buyer who learnt the hash, and the other party of the same dispute.
    const otherDispute = await attach(b.buyer, b.disputeId, shared);
    const otherParty = await attach(a.seller, a.disputeId, shared);
    const neverUploaded = await attach(b.buyer, b.disputeId, file('nowhere'));
    expect(otherDispute.code).toBe('EVIDENCE_FILE_NOT_FOUND');
    expect(otherParty.code).toBe('EVIDENCE_FILE_NOT_FOUND');
    // Indistinguishable from a hash nobody ever uploaded.
    expect(otherDispute.errors?.[0]).toEqual(neverUploaded.errors?.[0]);
    expect(otherParty.errors?.[0]).toEqual(neverUploaded.errors?.[0]);

    const attachedToA = await ok(d.gateway.url, a.buyer, 'addEvidence', {
      disputeId: a.disputeId,
      kind: 'DOCUMENT',
      description: 'The receipt',
      fileId: `sha256:${sha256(shared)}`,
    });
    expect(attachedToA.evidence).toEqual([
      expect.objectContaining({
        submittedBy: 'buyer',
        file: expect.objectContaining({ sha256: sha256(shared), mediaType: 'text/plain' }),
      }),
    ]);
    expect((await upload(b.buyer, b.disputeId, shared)).status).toBe(201);
    expect((await upload(a.seller, a.disputeId, shared)).status).toBe(201);
    expect((await attach(b.buyer, b.disputeId, shared)).data).not.toBeNull();
    expect((await attach(a.seller, a.disputeId, shared)).data).not.toBeNull();
  });

  it('takes no uploads and no evidence on a cancelled, resolved or closed dispute', async () => {
    const refused = (code: string) => ({
      status: 422,
      body: { statusCode: 422, code, message: expect.any(String) },
    });
    const cancelled = await dispute();
    const before = file('before-cancel');
    expect((await upload(cancelled.buyer, cancelled.disputeId, before)).status).toBe(201);
    await ok(d.gateway.url, cancelled.buyer, 'cancelDispute', {
      disputeId: cancelled.disputeId,
      comment: 'Sorted it out',
    });
    const late = file('after-cancel');
    expect(await upload(cancelled.buyer, cancelled.disputeId, late)).toEqual(
      refused('DISPUTE_CLOSED'),
    );
    expect(await upload(cancelled.seller, cancelled.disputeId, late)).toEqual(
      refused('DISPUTE_CLOSED'),
    );
    expect(await isStored(late)).toBe(false);
    expect((await attach(cancelled.buyer, cancelled.disputeId, before)).code).toBe(
      'DISPUTE_CLOSED',
    );
    // Strangers still learn nothing, not even that the dispute is closed.
    const stranger = await caller('buyer', d.id('stranger'));
    expect((await upload(stranger, cancelled.disputeId, late)).body).toMatchObject({
      code: 'FORBIDDEN',
      message: 'Not allowed, or no such dispute or order',
    });

    const resolved = await dispute();
    const kept = file('before-resolution');
    expect((await upload(resolved.buyer, resolved.disputeId, kept)).status).toBe(201);
    await ok(d.gateway.url, resolved.seller, 'respondToDispute', {
      disputeId: resolved.disputeId,
      response: 'ACCEPT',
      comment: 'Refunding',
      proposalId: resolved.proposalId,
    });
    expect(await upload(resolved.seller, resolved.disputeId, file('too-late'))).toEqual(
      refused('DISPUTE_ALREADY_RESOLVED'),
    );
    expect((await attach(resolved.buyer, resolved.disputeId, kept)).code).toBe(
      'DISPUTE_ALREADY_RESOLVED',
    );
    await ok(d.gateway.url, resolved.platform, 'confirmRefundPayout', {
      disputeId: resolved.disputeId,
      payoutReference: d.id('payout'),
      amount: eur(10_000),
    });
    expect(await upload(resolved.buyer, resolved.disputeId, file('closed'))).toEqual(
      refused('DISPUTE_CLOSED'),
    );
  });

  const overQuota = {
    status: 422,
    body: { statusCode: 422, code: 'EVIDENCE_QUOTA_EXCEEDED', message: expect.any(String) },
  };

  it('stores at most EVIDENCE_QUOTA_FILES_PER_DISPUTE files and _BYTES_PER_DISPUTE bytes per party and dispute', async () => {
    const target = await dispute();
    const mine = Array.from({ length: QUOTA.filesPerDispute }, () => file('counted'));
    for (const content of mine) {
      expect((await upload(target.buyer, target.disputeId, content)).status).toBe(201);
    }
    const extra = file('one-too-many');
    expect(await upload(target.buyer, target.disputeId, extra)).toEqual(overQuota);
    expect(await isStored(extra)).toBe(false);
    // The other party's share is its own: one party cannot crowd the other out of a dispute.
    expect((await upload(target.seller, target.disputeId, extra)).status).toBe(201);

    const bytes = await dispute();
    const big = file('big', QUOTA.bytesPerDispute - 2048);
    expect((await upload(bytes.buyer, bytes.disputeId, big)).status).toBe(201);
    const tooMuch = file('over-bytes', 4096);
    expect(await upload(bytes.buyer, bytes.disputeId, tooMuch)).toEqual(overQuota);
    expect(await isStored(tooMuch)).toBe(false);
    expect((await upload(bytes.buyer, bytes.disputeId, file('fits', 512))).status).toBe(201);
  });

  it('holds the dispute quota under concurrent uploads', async () => {
    const target = await dispute();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => upload(target.buyer, target.disputeId, file('racing'))),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([
      ...Array<number>(QUOTA.filesPerDispute).fill(201),
      ...Array<number>(8 - QUOTA.filesPerDispute).fill(422),
    ]);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expect(answer).toEqual(overQuota);
    }
  });

  it('stores at most EVIDENCE_QUOTA_FILES_PER_USER files per user across disputes in the window', async () => {
    const seller = await caller('seller', d.id('busy-seller'));
    const disputes = [];
    for (let i = 0; i < 3; i++) disputes.push(await dispute({ ...(await cast(d)), seller }));
    const plan = [0, 0, 1, 1, 2]; // five files over three disputes, within each dispute's share
    for (const i of plan) {
      const answer = await upload(seller, disputes[i].disputeId, file('seller'));
      expect(answer.status).toBe(201);
    }
    expect(await upload(seller, disputes[2].disputeId, file('sixth'))).toEqual(overQuota);
    // The window moves on: a day later the seller may upload again.
    d.clock.advance(25 * 3_600_000);
    expect((await upload(seller, disputes[2].disputeId, file('next-day'))).status).toBe(201);
  });
});

function openSocket(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `check` until it passes or `timeoutMs` has gone by, then throws its last failure. */
async function eventually(check: () => Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}
