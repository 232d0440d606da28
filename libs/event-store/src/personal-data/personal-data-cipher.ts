import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EventMetadata } from '../port';
import type { DataKey } from './person-keys';

/** The one algorithm personal fields are encrypted with: AES-256-GCM, a random 96-bit IV each. */
export const PERSONAL_DATA_ALG = 'A256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * How an event says its personal fields are stored encrypted (`metadata.personalData`): whose
 * they are, under which key, how, and at which dotted paths of `data`. Events without it (stored
 * before encryption existed, or written by the system or the platform) hold plaintext.
 */
export interface PersonalDataMark {
  subject: string;
  keyId: string;
  alg: typeof PERSONAL_DATA_ALG;
  paths: string[];
}

/** The mark of an encrypted event, or undefined for a plaintext one. */
export function personalDataMarkOf(metadata: EventMetadata): PersonalDataMark | undefined {
  const mark = metadata.personalData as Partial<PersonalDataMark> | undefined;
  if (
    !mark ||
    typeof mark !== 'object' ||
    typeof mark.subject !== 'string' ||
    typeof mark.keyId !== 'string' ||
    !Array.isArray(mark.paths)
  )
    return undefined;
  return mark as PersonalDataMark;
}

/**
 * The value stored for one string: base64 of IV, ciphertext and GCM tag. The additional data binds
 * it to the event id and its leaf path, so a value moved to another event or field fails to open.
 */
export function encryptValue(
  key: Buffer,
  eventId: string,
  leafPath: string,
  plain: string,
): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(additionalData(eventId, leafPath));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

/** The plaintext of `encryptValue`; throws when the key, event id or path is not the one it was sealed with. */
export function decryptValue(
  key: Buffer,
  eventId: string,
  leafPath: string,
  stored: string,
): string {
  const bytes = Buffer.from(stored, 'base64');
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error(`Not an encrypted value at ${leafPath}`);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(additionalData(eventId, leafPath));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}

const additionalData = (eventId: string, leafPath: string) =>
  Buffer.from(`arbiter.personal-data.v1\u0000${eventId}\u0000${leafPath}`, 'utf8');

/**
 * `data` with every string under each of `paths` encrypted (objects and arrays keep their shape,
 * non-strings stay as they are), and the paths that were present. Never mutates `data`.
 */
export function sealPersonalFields(
  data: unknown,
  paths: readonly string[],
  eventId: string,
  key: Buffer,
): { data: unknown; paths: string[] } {
  let sealed = data;
  const present: string[] = [];
  for (const path of paths) {
    const next = mapAt(sealed, path.split('.'), path, (value, leafPath) =>
      encryptValue(key, eventId, leafPath, value),
    );
    if (next !== undefined) {
      sealed = next;
      present.push(path);
    }
  }
  return { data: sealed, paths: present };
}

/**
 * `data` with the marked paths opened: with the key, each string is its plaintext; without it
 * (destroyed), or when a value does not open (altered bytes), each string reads `erased`.
 */
export function openPersonalFields(
  data: unknown,
  mark: PersonalDataMark,
  eventId: string,
  key: Buffer | null,
  erased: string,
): unknown {
  let opened = data;
  for (const path of mark.paths) {
    opened =
      mapAt(opened, path.split('.'), path, (value, leafPath) => {
        if (!key) return erased;
        try {
          return decryptValue(key, eventId, leafPath, value);
        } catch {
          return erased;
        }
      }) ?? opened;
  }
  return opened;
}

/**
 * For a later migration of events stored before encryption existed: the stored event's data and
 * metadata with its personal fields (`paths`, as the application declares them for its type)
 * encrypted under the subject's key, in exactly the form appends write. An event already marked
 * is returned unchanged. The chain hash in `metadata.hash` is NOT recomputed: the rewrite that
 * stores the result must re-chain the stream (and say so in its audit trail).
 */
export function encryptLegacyEvent<
  E extends { id: string; data: unknown; metadata: EventMetadata },
>(event: E, subject: string, key: DataKey, paths: readonly string[]): E {
  if (personalDataMarkOf(event.metadata)) return event;
  const sealed = sealPersonalFields(event.data, paths, event.id, key.key);
  if (sealed.paths.length === 0) return event;
  return {
    ...event,
    data: sealed.data,
    metadata: { ...event.metadata, personalData: markFor(subject, key, sealed.paths) },
  };
}

export function markFor(subject: string, key: DataKey, paths: string[]): PersonalDataMark {
  return { subject, keyId: key.keyId, alg: PERSONAL_DATA_ALG, paths };
}

/**
 * A copy of `value` with every string leaf under `path` replaced by `replace` (given the leaf's
 * dotted path, array indices included), or undefined when nothing is at `path`.
 */
function mapAt(
  value: unknown,
  [head, ...rest]: string[],
  at: string,
  replace: (leaf: string, leafPath: string) => string,
): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const child = record[head];
  if (child === undefined || child === null) return undefined;
  const mapped =
    rest.length === 0 ? mapLeaves(child, at, replace) : mapAt(child, rest, at, replace);
  return mapped === undefined ? undefined : { ...record, [head]: mapped };
}

function mapLeaves(
  value: unknown,
  leafPath: string,
  replace: (leaf: string, leafPath: string) => string,
): unknown {
  if (typeof value === 'string') return replace(value, leafPath);
  if (Array.isArray(value))
    return value.map((item, index) => mapLeaves(item, `${leafPath}.${index}`, replace));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        mapLeaves(item, `${leafPath}.${key}`, replace),
      ]),
    );
  return value;
}
