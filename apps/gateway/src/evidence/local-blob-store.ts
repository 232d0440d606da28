import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobPutOptions,
  BlobStore,
  BlobTooLargeError,
  ByteRange,
  SHA256_HEX,
  StoredBlob,
  UnsupportedMediaTypeError,
} from './blob-store';
import { MediaTypeSniffer } from './media-type';

/**
 * Blobs as files `<dir>/<first two hex digits>/<sha256>` with a `<sha256>.json` sidecar holding
 * the size and media type. Content is streamed to `<dir>/tmp` while hashed and renamed into place
 * only when complete and accepted, so a crash or a refused upload never leaves a partial blob.
 */
export class LocalBlobStore implements BlobStore {
  constructor(private readonly directory: string) {}

  async put(content: Readable, options: BlobPutOptions): Promise<StoredBlob> {
    const temporary = join(this.directory, 'tmp', randomUUID());
    await mkdir(dirname(temporary), { recursive: true });
    const hash = createHash('sha256');
    const sniffer = new MediaTypeSniffer();
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        // Past the limit the rest is read and dropped rather than aborting mid-stream, so the
        // multipart parser upstream can finish the request and the client gets its answer.
        if (size > options.maxBytes) return done();
        hash.update(chunk);
        sniffer.push(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(content, meter, createWriteStream(temporary, { flags: 'wx' }));
      if (size > options.maxBytes) throw new BlobTooLargeError(options.maxBytes);
      const mediaType = sniffer.result();
      if (!mediaType) throw new UnsupportedMediaTypeError();
      const blob: StoredBlob = { sha256: hash.digest('hex'), size, mediaType };
      const target = this.pathOf(blob.sha256);
      if (await exists(target)) return blob; // the same bytes are stored already
      await mkdir(dirname(target), { recursive: true });
      await writeFile(`${temporary}.json`, JSON.stringify(blob));
      await rename(`${temporary}.json`, `${target}.json`);
      await rename(temporary, target);
      return blob;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /**
   * Removes temporary files nobody has written to for `staleAfterMs` (an upload cut off by a crash
   * or a kill). Only stale ones: another gateway sharing the directory may be mid-upload.
   */
  async sweepTemporary(staleAfterMs: number, now = Date.now()): Promise<number> {
    const directory = join(this.directory, 'tmp');
    const names = await readdir(directory).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const path = join(directory, name);
      const modified = await stat(path).then(
        (info) => info.mtimeMs,
        () => undefined,
      );
      if (modified === undefined || now - modified < staleAfterMs) continue;
      await rm(path, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  async get(
    sha256: string,
    range?: ByteRange,
  ): Promise<{ blob: StoredBlob; content: Readable } | undefined> {
    const blob = await this.describe(sha256);
    return blob && { blob, content: createReadStream(this.pathOf(sha256), range) };
  }

  async describe(sha256: string): Promise<StoredBlob | undefined> {
    if (!(await this.has(sha256))) return undefined;
    return JSON.parse(await readFile(`${this.pathOf(sha256)}.json`, 'utf8')) as StoredBlob;
  }

  async has(sha256: string): Promise<boolean> {
    return SHA256_HEX.test(sha256) && exists(this.pathOf(sha256));
  }

  async delete(sha256: string): Promise<boolean> {
    if (!(await this.has(sha256))) return false;
    // The content first: a crash in between leaves a sidecar `has` ignores, never content without one.
    await rm(this.pathOf(sha256), { force: true });
    await rm(`${this.pathOf(sha256)}.json`, { force: true });
    return true;
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`Not a sha256: ${sha256}`);
    return join(this.directory, sha256.slice(0, 2), sha256);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
