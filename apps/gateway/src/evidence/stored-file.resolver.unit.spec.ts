import { FakeClock } from '@arbiter/platform';
import { REDACTED } from '@arbiter/disputes';
import type { StoredFileType } from '../disputes/dispute.type';
import { EvidenceLinks } from './evidence-links';
import { StoredFileResolver } from './stored-file.resolver';

const file = (sha256: string): StoredFileType => ({
  sha256,
  mediaType: 'image/png',
  sizeBytes: 10,
  disputeId: 'd-1',
});

describe('StoredFile.url', () => {
  const clock = new FakeClock('2026-03-01T09:00:59.900Z');
  const links = new EvidenceLinks({ secret: 's'.repeat(32), ttlSeconds: 300 }, clock);
  const resolver = new StoredFileResolver(links);

  it('gives one link per file in an answer, url and urlExpiresAt agreeing across a second boundary', () => {
    const shown = file('a'.repeat(64));
    const url = resolver.url(shown);
    clock.advance(200); // the rounding window turns over between the two fields
    expect(links.verifyUrl(url as string)).toBe('valid');
    const expires = Number(new URL(url as string, 'http://api.test').searchParams.get('expires'));
    expect(resolver.urlExpiresAt(shown)?.getTime()).toBe(expires * 1000);
  });

  it('gives no link for a reference the viewer’s view redacts (platform, analysts)', () => {
    const redacted = file(REDACTED);
    expect(resolver.url(redacted)).toBeNull();
    expect(resolver.urlExpiresAt(redacted)).toBeNull();
  });
});
