import { createHash, randomBytes } from 'node:crypto';
import {
  Caller,
  cast,
  DisputesGateway,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';
import { graphql, tokenFor } from './support/clients';
import { uploadEvidence } from './support/evidence';
import { describeOnDatabases } from './support/gateway';

const ANONYMOUS = 12;
const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/** A PNG unique to this run (the sniffer reads the signature; the rest is opaque). */
const photo = () =>
  Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(300)]);
/** An MP4 by its `ftyp` box, with enough bytes after it to ask for a range in the middle. */
const video = () =>
  Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), randomBytes(4_000)]);

interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
  code?: string;
}

async function download(
  url: string,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Download> {
  const response = await fetch(url, {
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const json = response.headers.get('content-type')?.startsWith('application/json');
  const code = json ? (JSON.parse(bytes.toString()) as { code?: string }).code : undefined;
  return { status: response.status, headers: response.headers, bytes, code };
}

/** The evidence files of the dispute as `who` sees them, with their download links. */
async function filesAs(
  baseUrl: string,
  who: Caller,
  mutation: string,
  input: Record<string, unknown>,
): Promise<{ sha256: string; url: string | null; urlExpiresAt: string | null }[]> {
  const response = await graphql<{
    result: { evidence: { file: { sha256: string; url: string; urlExpiresAt: string } }[] };
  }>(
    baseUrl,
    `mutation Run($input: ${mutation === 'postMessage' ? 'PostMessageInput' : 'DisputeActionInput'}!) {
      result: ${mutation}(input: $input) { evidence { file { sha256 url urlExpiresAt } } }
    }`,
    { token: who.token, variables: { input } },
  );
  if (!response.body.data) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data.result.evidence.map((e) => e.file);
}

// Who may open which evidence file, and how it is served (gateway README, "Evidence files").
describeOnDatabases('evidence downloads', (database) => {
  let d: DisputesGateway;
  let people: Awaited<ReturnType<typeof cast>>;
  let disputeId: string;
  const png = photo();
  const mp4 = video();
  const unattached = photo();
  const path = (content: Buffer, dispute = disputeId) =>
    `${d.gateway.url}/evidence/${dispute}/${sha256(content)}`;

  beforeAll(async () => {
    // A low anonymous budget: links must not count against it (the suite's other anonymous
    // requests, refused on purpose, stay under it).
    d = await startDisputesGateway(database, {
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(ANONYMOUS),
    });
    people = await cast(d);
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    ({ disputeId } = await ok(d.gateway.url, people.buyer, 'openDispute', {
      orderId,
      reason: 'DAMAGED',
      description: 'Arrived broken',
      claim: { kind: 'FULL_REFUND' },
    }));
    for (const [content, kind] of [
      [png, 'PHOTO'],
      [mp4, 'VIDEO'],
    ] as const) {
      const upload = await uploadEvidence(d.gateway.url, {
        token: people.buyer.token,
        disputeId,
        content,
      });
      expect(upload.status).toBe(201);
      await ok(d.gateway.url, people.buyer, 'addEvidence', {
        disputeId,
        kind,
        description: 'What arrived',
        fileId: `sha256:${sha256(content)}`,
      });
    }
    const kept = await uploadEvidence(d.gateway.url, {
      token: people.buyer.token,
      disputeId,
      content: unattached,
    });
    expect(kept.status).toBe(201);
    // The case goes to mediation and a mediator takes it.
    await ok(d.gateway.url, people.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'It left intact',
    });
    await ok(d.gateway.url, people.buyer, 'escalateDispute', { disputeId });
    await ok(d.gateway.url, people.mediator, 'takeCase', { disputeId });
  });
  afterAll(() => d?.close());

  it('the other party and the assigned mediator open the buyer’s photo with their tokens', async () => {
    for (const who of [people.seller, people.mediator, people.buyer]) {
      const opened = await download(path(png), { token: who.token });
      expect(opened.status).toBe(200);
      expect(opened.bytes.equals(png)).toBe(true);
      expect(Object.fromEntries(opened.headers)).toMatchObject({
        'content-type': 'image/png',
        'content-length': String(png.length),
        'content-disposition': `inline; filename="evidence-${sha256(png).slice(0, 16)}.png"`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        'cache-control': 'private, no-cache',
        etag: `"${sha256(png)}"`,
        'accept-ranges': 'bytes',
      });
    }
    const head = await fetch(path(png), {
      method: 'HEAD',
      headers: { authorization: `Bearer ${people.seller.token}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(png.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('refuses an analyst, the platform, an outsider and an anonymous caller alike, as it refuses files and disputes that do not exist', async () => {
    const outsider = await tokenFor('buyer', d.id('other-buyer'));
    const expired = await tokenFor('seller', people.seller.id, { ttl: -60 });
    const refusals = await Promise.all([
      download(path(png), { token: people.analyst.token }),
      download(path(png), { token: people.platform.token }),
      download(path(png), { token: outsider }),
      download(path(png)),
      download(path(png), { token: expired }),
      download(path(png), { token: 'not-a-token' }),
      download(path(png, 'no-such-dispute'), { token: people.seller.token }),
      download(`${d.gateway.url}/evidence/${disputeId}/${'0'.repeat(64)}`, {
        token: people.seller.token,
      }),
      download(`${d.gateway.url}/evidence/${disputeId}/not-a-hash`, {
        token: people.seller.token,
      }),
    ]);
    const [first] = refusals;
    expect(first.status).toBe(404);
    expect(first.code).toBe('EVIDENCE_NOT_FOUND');
    for (const refusal of refusals) {
      expect({ status: refusal.status, body: refusal.bytes.toString() }).toEqual({
        status: first.status,
        body: first.bytes.toString(),
      });
    }
  });

  it('lets the uploader open a file not attached yet, and nobody else', async () => {
    const own = await download(path(unattached), { token: people.buyer.token });
    expect(own.status).toBe(200);
    expect(own.bytes.equals(unattached)).toBe(true);
    for (const who of [people.seller, people.mediator]) {
      const refused = await download(path(unattached), { token: who.token });
      expect({ status: refused.status, code: refused.code }).toEqual({
        status: 404,
        code: 'EVIDENCE_NOT_FOUND',
      });
    }
  });

  it('gives each viewer a signed link that opens the file without a token until it expires', async () => {
    // The link is minted in whole seconds during the request: its lifetime is counted from the
    // second the request started in (counted from after the answer, a link minted on a minute's
    // boundary would look a few hundred ms short).
    const requested = Math.floor(d.clock.now().getTime() / 1000) * 1000;
    const files = await filesAs(d.gateway.url, people.seller, 'postMessage', {
      disputeId,
      body: 'Let me look at the photo',
    });
    const file = files.find((f) => f.sha256 === sha256(png));
    expect(file?.url).toMatch(
      new RegExp(`^/evidence/${disputeId}/${sha256(png)}\\?expires=\\d+&signature=[\\w-]+$`),
    );
    const url = `${d.gateway.url}${file?.url}`;
    const expires = Number(new URL(url).searchParams.get('expires'));
    expect(new Date(file?.urlExpiresAt ?? 0).getTime()).toBe(expires * 1000);
    const lifetime = expires * 1000 - requested;
    expect(lifetime).toBeGreaterThanOrEqual(300_000);
    expect(lifetime).toBeLessThanOrEqual(360_000);

    const opened = await download(url);
    expect(opened.status).toBe(200);
    expect(opened.bytes.equals(png)).toBe(true);
    expect(opened.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);

    // Every part is signed: another file, another dispute, another expiry or signature fails.
    const signature = new URL(url).searchParams.get('signature') ?? '';
    const tampered = [
      url.replace(sha256(png), sha256(mp4)),
      url.replace(`/evidence/${disputeId}/`, `/evidence/${disputeId}x/`),
      url.replace(`expires=${expires}`, `expires=${expires + 3600}`),
      url.replace(signature, `${signature.slice(0, -2)}AA`),
      url.replace(/&signature=.*$/, ''),
    ];
    for (const link of tampered) {
      const refused = await download(link);
      expect({ link, status: refused.status, code: refused.code }).toEqual({
        link,
        status: 403,
        code: 'EVIDENCE_LINK_INVALID',
      });
    }

    d.clock.advance(lifetime + 1);
    const late = await download(url);
    expect({ status: late.status, code: late.code }).toEqual({
      status: 403,
      code: 'EVIDENCE_LINK_EXPIRED',
    });
    // A fresh query gives a fresh link.
    const [again] = await filesAs(d.gateway.url, people.mediator, 'postMessage', {
      disputeId,
      body: 'Looking at it now',
    });
    expect((await download(`${d.gateway.url}${again.url}`)).bytes.equals(png)).toBe(true);
  });

  it('does not count signed-link downloads as anonymous requests (a video is many ranges)', async () => {
    const files = await filesAs(d.gateway.url, people.buyer, 'postMessage', {
      disputeId,
      body: 'Here is the video again',
    });
    const link = `${d.gateway.url}${files.find((f) => f.sha256 === sha256(mp4))?.url}`;
    for (let start = 0; start < ANONYMOUS * 2; start++) {
      const part = await download(link, { headers: { range: `bytes=${start}-${start}` } });
      expect(part.status).toBe(206);
    }
  });

  it('serves one byte range of a video with 206, and refuses an unsatisfiable one with 416', async () => {
    const part = await download(path(mp4), {
      token: people.mediator.token,
      headers: { range: 'bytes=1000-1999' },
    });
    expect(part.status).toBe(206);
    expect(part.bytes.equals(mp4.subarray(1000, 2000))).toBe(true);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${mp4.length}`);
    expect(part.headers.get('content-length')).toBe('1000');
    expect(part.headers.get('content-type')).toBe('video/mp4');

    const tail = await download(path(mp4), {
      token: people.seller.token,
      headers: { range: 'bytes=-100' },
    });
    expect(tail.status).toBe(206);
    expect(tail.bytes.equals(mp4.subarray(mp4.length - 100))).toBe(true);

    const beyond = await download(path(mp4), {
      token: people.seller.token,
      headers: { range: `bytes=${mp4.length}-` },
    });
    expect({ status: beyond.status, code: beyond.code }).toEqual({
      status: 416,
      code: 'EVIDENCE_RANGE_NOT_SATISFIABLE',
    });
    expect(beyond.headers.get('content-range')).toBe(`bytes */${mp4.length}`);

    // A range for another version (If-Range) gets the whole file; a cached one gets a 304.
    const stale = await download(path(mp4), {
      token: people.seller.token,
      headers: { range: 'bytes=0-9', 'if-range': '"another-version"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.bytes.equals(mp4)).toBe(true);
    const cached = await download(path(mp4), {
      token: people.seller.token,
      headers: { 'if-none-match': `"${sha256(mp4)}"` },
    });
    expect(cached.status).toBe(304);
    expect(cached.bytes).toHaveLength(0);
  });

  it('downloads anything that is not an image or a video as an attachment', async () => {
    const text = Buffer.from(`<script>alert(1)</script> ${d.id('note')}`);
    const upload = await uploadEvidence(d.gateway.url, {
      token: people.seller.token,
      disputeId,
      content: text,
    });
    expect(upload.status).toBe(201);
    await ok(d.gateway.url, people.seller, 'addEvidence', {
      disputeId,
      kind: 'DOCUMENT',
      description: 'My notes',
      fileId: `sha256:${sha256(text)}`,
    });
    const opened = await download(path(text), { token: people.buyer.token });
    expect(opened.status).toBe(200);
    expect(opened.bytes.equals(text)).toBe(true);
    expect(opened.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(opened.headers.get('content-disposition')).toBe(
      `attachment; filename="evidence-${sha256(text).slice(0, 16)}.txt"`,
    );
  });
});
