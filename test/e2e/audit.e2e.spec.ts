import { verify as verifySignature, createPublicKey } from 'node:crypto';
import {
  AUDIT_LOG,
  type AuditDigest,
  type AuditLog,
  digestSigningInput,
  verifyAuditPath,
} from '@arbiter/audit';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import { SQL_CONNECTION, type SqlConnection } from '@arbiter/platform';
import {
  act,
  ask,
  eventually,
  openDispute,
  people,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';
import { describeOnAllStores } from './support/gateway';

const DIGEST_FIELDS =
  'version epoch position count root createdAt keyId signature previousEpoch { epoch position count root }';
const DIGEST = `query Digest($fresh: Boolean) { auditDigest(fresh: $fresh) { ${DIGEST_FIELDS} } }`;
const VERIFY = `query Verify($id: ID!, $digest: AuditDigestInput) { disputeAuditVerify(id: $id, digest: $digest) {
  intact events brokenAtRevision
  digest { intact checkedEvents recordAltered notes
    findings { kind position streamId revision eventId parts fromPosition toPosition afterPosition missingPositions }
    proofs { leafIndex leafHash auditPath record { position streamId revision eventId type recordedAt dataHash metadataHash } } } } }`;

type Digest = AuditDigest & { previousEpoch: AuditDigest['previousEpoch'] | null };
interface Verification {
  intact: boolean;
  events: number;
  digest: {
    intact: boolean;
    checkedEvents: number;
    recordAltered: boolean;
    notes: string[];
    findings: { kind: string; eventId: string | null; parts: string[] }[];
    proofs: {
      leafIndex: number;
      leafHash: string;
      auditPath: string[];
      record: { eventId: string; streamId: string };
    }[];
  } | null;
}

const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  body.errors?.[0]?.extensions?.code;
/** A digest as a client sends it back: the fields it received, previousEpoch left out when null. */
const asInput = ({ previousEpoch, ...digest }: Digest) =>
  previousEpoch ? { ...digest, previousEpoch } : digest;

// Signed digests over GraphQL and the public key set, on every store: a mediator keeps a digest, later checks a
// dispute against it and gets inclusion proofs anyone can verify; parties cannot ask.
describeOnAllStores('audit digests', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>>;
  let disputeId: string;

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = await people(r);
    const opened = await openDispute(r, who);
    disputeId = opened.dispute.disputeId;
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'It was as described',
    });
  });
  afterAll(() => r?.close());

  async function digestNow(fresh = true): Promise<Digest> {
    const body = await ask<{ auditDigest: Digest }>(r.url, who.mediator, DIGEST, { fresh });
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return body.data.auditDigest;
  }

  it('publishes the key set at a public, cacheable well-known address', async () => {
    const response = await fetch(`${r.url}/.well-known/arbiter-audit-keys.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/public/);
    const jwks = (await response.json()) as {
      keys: { kid: string; kty: string; crv: string; x: string }[];
    };
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    // The digest's signature checks with the published key, by anyone.
    const digest = await digestNow();
    const jwk = jwks.keys.find((key) => key.kid === digest.keyId);
    expect(jwk).toBeDefined();
    const { previousEpoch: _none, ...signed } = digest;
    expect(
      verifySignature(
        null,
        digestSigningInput(signed),
        createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk?.x }, format: 'jwk' }),
        Buffer.from(digest.signature, 'base64url'),
      ),
    ).toBe(true);
  });

  it('checks a dispute against a kept digest, with proofs the pure function verifies', async () => {
    const digest = await digestNow();
    expect(digest.count).toBeGreaterThanOrEqual(2);
    // Without `fresh`, the newest digest again.
    expect(await digestNow(false)).toEqual(digest);
    const body = await ask<{ disputeAuditVerify: Verification }>(r.url, who.mediator, VERIFY, {
      id: disputeId,
      digest: asInput(digest),
    });
    const result = body.data?.disputeAuditVerify;
    expect(result).toMatchObject({
      intact: true,
      events: 2,
      digest: { intact: true, findings: [], recordAltered: false },
    });
    expect(result?.digest?.proofs).toHaveLength(2);
    for (const proof of result?.digest?.proofs ?? []) {
      expect(proof.record.streamId).toBe(`dispute-${disputeId}`);
      expect(
        verifyAuditPath(
          proof.leafIndex,
          digest.count,
          Buffer.from(proof.leafHash, 'hex'),
          proof.auditPath.map((hash) => Buffer.from(hash, 'hex')),
          Buffer.from(digest.root, 'hex'),
        ),
      ).toBe(true);
    }
    // Without a digest: today's chain check alone.
    const chainOnly = await ask<{ disputeAuditVerify: Verification }>(r.url, who.mediator, VERIFY, {
      id: disputeId,
    });
    expect(chainOnly.data?.disputeAuditVerify).toMatchObject({
      intact: true,
      events: 2,
      digest: null,
    });
  });

  it('refuses altered, malformed and foreign digests with their codes', async () => {
    const digest = await digestNow();
    const refusedWith = async (input: Record<string, unknown>) =>
      codeOf(await ask(r.url, who.mediator, VERIFY, { id: disputeId, digest: input }));
    expect(await refusedWith({ ...asInput(digest), count: digest.count + 1 })).toBe(
      'AUDIT_DIGEST_SIGNATURE_INVALID',
    );
    expect(await refusedWith({ ...asInput(digest), root: 'not hex' })).toBe(
      'AUDIT_DIGEST_MALFORMED',
    );
    expect(await refusedWith({ ...asInput(digest), keyId: 'A'.repeat(43) })).toBe(
      'AUDIT_DIGEST_UNKNOWN_KEY',
    );
  });

  it('refuses parties exactly like disputeAudit', async () => {
    const digest = await digestNow(false);
    for (const refused of [who.buyer, who.seller, who.analyst]) {
      expect(codeOf(await ask(r.url, refused, DIGEST, {}))).toBe('FORBIDDEN');
      expect(
        codeOf(await ask(r.url, refused, VERIFY, { id: disputeId, digest: asInput(digest) })),
      ).toBe('FORBIDDEN');
    }
  });

  // Last: it rewrites a stored event (in the SQL stores; KurrentDB's events are not in SQL).
  (database === 'kurrentdb' ? it.skip : it)(
    'names an event of the dispute rewritten in the database after the digest',
    async () => {
      const digest = await digestNow();
      const connection = r.gateway.app.get<SqlConnection>(SQL_CONNECTION);
      const tamper = `UPDATE arbiter.events SET data = data || '{"comment":"It was broken"}' WHERE stream_id = $1 AND revision = 1 RETURNING event_id`;
      const params = [`dispute-${disputeId}`];
      const [row] =
        connection.kind === 'pglite'
          ? (await connection.db.query<{ event_id: string }>(tamper, params)).rows
          : (await connection.pool.query<{ event_id: string }>(tamper, params)).rows;
      const body = await ask<{ disputeAuditVerify: Verification }>(r.url, who.mediator, VERIFY, {
        id: disputeId,
        digest: asInput(digest),
      });
      const result = body.data?.disputeAuditVerify;
      expect(result?.intact).toBe(false);
      expect(result?.digest).toMatchObject({
        intact: false,
        findings: [{ kind: 'CHANGED', eventId: row.event_id, parts: ['DATA'] }],
      });
    },
  );
});

// Where background work runs (here WORKERS=inline), digests are signed on their own once the log
// grew, at most every AUDIT_DIGEST_INTERVAL, and counted on /metrics.
describe('the periodic audit publisher', () => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway('pglite', { AUDIT_DIGEST_INTERVAL: 'PT1S' });
  });
  afterAll(() => r?.close());

  it('signs a digest covering new events without being asked', async () => {
    const who = await people(r);
    await openDispute(r, who);
    const log = r.gateway.app.get<AuditLog>(AUDIT_LOG);
    const head = await r.gateway.app.get<EventStore>(EVENT_STORE).headPosition();
    const digest = await eventually(async () => {
      const latest = await log.latest();
      if (!latest || BigInt(latest.position) < head) throw new Error('not yet');
      return latest;
    });
    expect(digest.count).toBeGreaterThan(0);
    expect((await log.verify(digest)).intact).toBe(true);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(/^arbiter_audit_digests_published_total [1-9]/m);
  });
});
