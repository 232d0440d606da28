import { MediaTypeSniffer } from './media-type';

function sniff(...chunks: (Buffer | string)[]) {
  const sniffer = new MediaTypeSniffer();
  for (const chunk of chunks) sniffer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return sniffer.result();
}

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');

describe('MediaTypeSniffer', () => {
  it.each([
    ['image/jpeg', hex('ffd8ffe000104a464946')],
    ['image/png', hex('89504e470d0a1a0a0000000d49484452')],
    ['image/gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
    ['image/webp', Buffer.concat([Buffer.from('RIFF'), hex('24000000'), Buffer.from('WEBPVP8 ')])],
    ['application/pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3', 'latin1')],
    ['video/mp4', Buffer.concat([hex('00000018'), Buffer.from('ftypmp42'), hex('00000000')])],
    ['video/quicktime', Buffer.concat([hex('00000014'), Buffer.from('ftypqt  '), hex('00000000')])],
  ])('recognises %s from its first bytes', (mediaType, head) => {
    expect(sniff(head, Buffer.alloc(32, 0))).toBe(mediaType);
  });

  it('recognises a signature split across chunks', () => {
    expect(sniff(hex('8950'), hex('4e470d0a1a0a0000000d'))).toBe('image/png');
  });

  it('accepts UTF-8 text, also when a character is split across chunks', () => {
    const text = Buffer.from('Paket kam beschädigt an — siehe Foto. 包裹损坏');
    expect(sniff(text.subarray(0, 22), text.subarray(22))).toBe('text/plain');
  });

  it('refuses text with NULs, invalid UTF-8, a truncated character, empty content and unknown formats', () => {
    expect(sniff('hello\0world')).toBeUndefined();
    expect(sniff(hex('48656c6c6fff'))).toBeUndefined();
    expect(sniff(Buffer.from('ä').subarray(0, 1))).toBeUndefined();
    expect(sniff()).toBeUndefined();
    expect(sniff(Buffer.from('PK\x03\x04zipfile\0', 'latin1'))).toBeUndefined();
    expect(
      sniff(Buffer.concat([hex('00000018'), Buffer.from('ftypheic'), hex('00000000')])),
    ).toBeUndefined();
  });
});
