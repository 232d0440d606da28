import { FakeClock } from '@arbiter/platform';
import { EvidenceLinks } from './evidence-links';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

function links(baseUrl?: string) {
  const clock = new FakeClock('2026-03-01T09:00:10.500Z');
  return {
    clock,
    links: new EvidenceLinks({ secret: 's'.repeat(32), ttlSeconds: 300, baseUrl }, clock),
  };
}

const parts = (url: string) => {
  const parsed = new URL(url, 'http://api.test');
  return {
    expires: parsed.searchParams.get('expires') ?? undefined,
    signature: parsed.searchParams.get('signature') ?? undefined,
  };
};

describe('EvidenceLinks', () => {
  it('mints a link that lives at least the lifetime, rounded up to the minute, the same within it', () => {
    const { clock, links: l } = links();
    const link = l.mint('d-1', SHA);
    expect(link.url).toMatch(
      new RegExp(`^/evidence/d-1/${SHA}\\?expires=\\d+&signature=[\\w-]{43}$`),
    );
    expect(link.expiresAt.toISOString()).toBe('2026-03-01T09:06:00.000Z');
    clock.advance(30_000);
    expect(l.mint('d-1', SHA)).toEqual(link);
    expect(links('https://api.example.com').links.mint('d-1', SHA).url).toBe(
      `https://api.example.com${link.url}`,
    );
  });

  it('accepts its own link until it expires, then says so', () => {
    const { clock, links: l } = links();
    const signed = parts(l.mint('d-1', SHA).url);
    expect(l.verify({ disputeId: 'd-1', sha256: SHA, ...signed })).toBe('valid');
    expect(l.secondsLeft(signed.expires as string)).toBe(349);
    clock.set('2026-03-01T09:06:00.000Z');
    expect(l.verify({ disputeId: 'd-1', sha256: SHA, ...signed })).toBe('expired');
    expect(l.secondsLeft(signed.expires as string)).toBe(0);
  });

  it('checks a request path and query the same way', () => {
    const { links: l } = links();
    const { url } = l.mint('d-1', SHA);
    expect(l.verifyUrl(url)).toBe('valid');
    expect(l.verifyUrl(url.replace('d-1', 'd-2'))).toBe('invalid');
    expect(l.verifyUrl(url.replace('/evidence/', '/evidence/x/'))).toBe('invalid');
    expect(l.verifyUrl(url.replace('d-1', '%E0%A4%A'))).toBe('invalid');
    expect(l.verifyUrl('/graphql')).toBe('invalid');
  });

  it('refuses a link for another file, dispute, expiry, key, or with parts missing', () => {
    const { clock, links: l } = links();
    const signed = parts(l.mint('d-1', SHA).url);
    const later = String(Number(signed.expires) + 60);
    const otherKey = new EvidenceLinks({ secret: 't'.repeat(32), ttlSeconds: 300 }, clock);
    for (const request of [
      { disputeId: 'd-1', sha256: OTHER, ...signed },
      { disputeId: 'd-2', sha256: SHA, ...signed },
      { disputeId: 'd-1', sha256: SHA, ...signed, expires: later },
      { disputeId: 'd-1', sha256: SHA, ...signed, expires: `${signed.expires}.0` },
      { disputeId: 'd-1', sha256: SHA, expires: signed.expires },
      { disputeId: 'd-1', sha256: SHA, signature: signed.signature },
      { disputeId: 'd-1', sha256: 'not-a-hash', ...signed },
      { disputeId: 'd-1', sha256: SHA, ...signed, signature: 'short' },
      { disputeId: 'd-1', sha256: SHA, ...parts(otherKey.mint('d-1', SHA).url) },
    ]) {
      expect(l.verify(request)).toBe('invalid');
    }
  });
});
