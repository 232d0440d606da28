import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  BadRequestException,
  Controller,
  HttpCode,
  HttpStatus,
  Inject,
  PayloadTooLargeException,
  Post,
  Req,
  RequestTimeoutException,
  Res,
  UnprocessableEntityException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import busboy from 'busboy';
import { plainToInstance } from 'class-transformer';
import { IsString, Matches, validate } from 'class-validator';
import { Actor, CurrentActor } from '@arbiter/auth';
import { CLOCK, type Clock } from '@arbiter/platform/clock';
import { InputValidationError } from '../errors/input-validation';
import {
  BLOB_STORE,
  BlobStore,
  BlobTooLargeError,
  StoredBlob,
  UnsupportedMediaTypeError,
} from './blob-store';
import { EVIDENCE_ACCESS_POLICY, EvidenceAccessPolicy } from './evidence-access.policy';
import { EvidenceQuotas, EvidenceUploads, exceeded } from './evidence-uploads';

export const EVIDENCE_OPTIONS = Symbol('EVIDENCE_OPTIONS');

export interface EvidenceOptions {
  directory: string;
  maxBytes: number;
  /** The whole upload must arrive within this; a stalled client must not hold a file open. */
  uploadTimeoutMs: number;
  quotas: EvidenceQuotas;
}

/** Dispute ids as the command side will mint them; kept loose until the domain fixes the format. */
export const DISPUTE_ID = /^[A-Za-z0-9][\w-]{0,63}$/;

class EvidenceUploadFields {
  @IsString()
  @Matches(DISPUTE_ID, {
    message: 'disputeId must be a dispute id (letters, digits, _ and -, at most 64)',
  })
  disputeId!: string;
}

/** What the client keeps to reference the file in the add-evidence mutation. */
export interface EvidenceFileReceipt {
  /** `sha256:<hex>`, the value the add-evidence mutation takes. */
  id: string;
  sha256: string;
  size: number;
  mediaType: string;
}

/** Multipart framing around one file: boundaries, part headers and a short disputeId field. */
const MULTIPART_OVERHEAD = 16 * 1024;

/**
 * `POST /evidence`, multipart/form-data with a `disputeId` field followed by one `file` part.
 * The file is streamed to the blob store (never buffered whole), addressed by its sha256.
 */
@Controller('evidence')
export class EvidenceController {
  constructor(
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(EVIDENCE_ACCESS_POLICY) private readonly policy: EvidenceAccessPolicy,
    @Inject(EVIDENCE_OPTIONS) private readonly options: EvidenceOptions,
    private readonly uploads: EvidenceUploads,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async upload(
    @Req() req: IncomingMessage,
    @Res({ passthrough: true }) res: ServerResponse,
    @CurrentActor() actor: Actor,
  ): Promise<EvidenceFileReceipt> {
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw new BadRequestException(
        'Expected multipart/form-data with a disputeId field and a file',
      );
    }
    const declared = Number(req.headers['content-length']);
    if (declared > this.options.maxBytes + MULTIPART_OVERHEAD) {
      // Answer without reading the body, then hang up rather than drain it for keep-alive.
      res.setHeader('connection', 'close');
      throw this.tooLarge();
    }
    try {
      const blob = await this.receive(req, actor);
      return { id: `sha256:${blob.sha256}`, ...blob };
    } catch (error) {
      if (!req.complete) res.setHeader('connection', 'close');
      if (error instanceof BlobTooLargeError) throw this.tooLarge();
      if (error instanceof UnsupportedMediaTypeError) {
        throw new UnsupportedMediaTypeException({ code: error.code, message: error.message });
      }
      throw error;
    }
  }

  /**
   * Parses the request and stores its file. Settles exactly once, and on every way out (the client
   * hanging up, the time limit, too many raw bytes) destroys the parser and the file stream with an
   * error: `req.pipe` does not forward the request's end or errors, so without this the blob
   * store's pipeline, its temporary file and its descriptor would wait forever.
   */
  private receive(req: IncomingMessage, actor: Actor): Promise<StoredBlob> {
    return new Promise<StoredBlob>((resolve, reject) => {
      const fields: Record<string, string> = {};
      let stored: Promise<StoredBlob> | undefined;
      let fileStream: Readable | undefined;
      let parser: busboy.Busboy | undefined;
      let received = 0;
      // Chunked requests declare no length: the cap is enforced on the bytes actually read.
      const maxRequestBytes = this.options.maxBytes + MULTIPART_OVERHEAD;
      const timer = setTimeout(
        () =>
          fail(
            new RequestTimeoutException({
              code: 'EVIDENCE_UPLOAD_TIMEOUT',
              message: `The upload did not complete within ${this.options.uploadTimeoutMs} ms`,
            }),
          ),
        this.options.uploadTimeoutMs,
      );
      const cleanUp = () => {
        clearTimeout(timer);
        req.off('data', count);
        req.off('close', onClose);
      };
      const succeed = (blob: StoredBlob) => {
        cleanUp();
        resolve(blob);
      };
      const fail = (error: unknown) => {
        cleanUp();
        if (!req.complete) {
          // Stop reading: the answer goes out with `connection: close` and the socket is dropped.
          req.unpipe();
          req.pause();
          const abort = error instanceof Error ? error : new Error(String(error));
          fileStream?.destroy(abort);
          parser?.destroy(abort);
        }
        reject(error);
      };
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxRequestBytes) fail(new BlobTooLargeError(this.options.maxBytes));
      };
      const onClose = () => {
        if (!req.complete)
          fail(new BadRequestException('The client closed the upload before it completed'));
      };
      req.on('data', count);
      req.on('close', onClose);
      try {
        parser = busboy({
          headers: req.headers,
          // Busboy cuts the file one byte past the limit, so the store sees it is too large
          // without the whole oversized upload ever being read into memory or disk.
          limits: {
            files: 1,
            fields: 4,
            fieldSize: 256,
            parts: 5,
            fileSize: this.options.maxBytes + 1,
          },
        });
      } catch (error) {
        fail(new BadRequestException((error as Error).message));
        return;
      }
      parser.on('field', (name, value) => {
        fields[name] = value;
      });
      parser.on('file', (name, file) => {
        // Busboy reports a part cut short ("Unexpected end of form") on the file stream itself, and
        // may do so before anything reads it: without a listener from the start, that error would be
        // unhandled and end the process.
        file.on('error', (error) =>
          fail(new BadRequestException(`The upload is malformed: ${error.message}`)),
        );
        if (name !== 'file' || stored) {
          file.resume();
          stored ??= Promise.reject(
            missing('file', 'the file must be sent in the one part named "file"'),
          );
          return;
        }
        fileStream = file;
        stored = this.store(fields, file, actor);
        stored.catch(() => file.resume()); // keep the parser moving to the end of the request
      });
      parser.on('error', (error) => fail(new BadRequestException((error as Error).message)));
      parser.on('close', () => {
        (stored ?? Promise.reject(missing('file', 'a part named "file" is required'))).then(
          succeed,
          fail,
        );
      });
      req.pipe(parser);
    });
  }

  private async store(
    fields: Record<string, string>,
    file: Readable,
    actor: Actor,
  ): Promise<StoredBlob> {
    const upload = plainToInstance(EvidenceUploadFields, fields);
    const violations = await validate(upload, { whitelist: true, forbidNonWhitelisted: true });
    if (violations.length) throw InputValidationError.fromValidationErrors(violations);
    // Checked before a byte is stored: only who may add evidence to the dispute now can use disk.
    await this.policy.authorizeUpload(actor, upload.disputeId);
    const owner = { disputeId: upload.disputeId, uploader: actor };
    const now = this.clock.now();
    // Refused early, and read no further than the quotas allow, so a user over quota cannot
    // fill the disk; the registration below decides under the uploader's lock.
    const rooms = await this.uploads.room(owner, now);
    const full = exceeded(rooms, 1);
    if (full) throw quotaExceeded(full.limit);
    const room = Math.min(...rooms.map((r) => r.bytes));
    const maxBytes = Math.min(this.options.maxBytes, room);
    let blob: StoredBlob;
    try {
      blob = await this.blobs.put(file, { maxBytes });
    } catch (error) {
      if (error instanceof BlobTooLargeError && maxBytes < this.options.maxBytes) {
        throw quotaExceeded((exceeded(rooms, maxBytes + 1) ?? rooms[0]).limit);
      }
      throw error;
    }
    // A refusal here (another upload took the last place meanwhile) leaves the blob stored but
    // belonging to no dispute: nobody can attach it, and the next upload of it registers it.
    const refusal = await this.uploads.register(owner, blob, now);
    if (refusal) throw quotaExceeded(refusal);
    return blob;
  }

  private tooLarge(): PayloadTooLargeException {
    return new PayloadTooLargeException({
      code: 'EVIDENCE_TOO_LARGE',
      message: `The file exceeds the limit of ${this.options.maxBytes} bytes`,
    });
  }
}

function quotaExceeded(message: string): UnprocessableEntityException {
  return new UnprocessableEntityException({ code: 'EVIDENCE_QUOTA_EXCEEDED', message });
}

function missing(path: string, message: string): InputValidationError {
  return new InputValidationError([{ path, constraints: { isDefined: message } }]);
}
