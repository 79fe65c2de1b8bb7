// Attachment pointer: what travels inside an encrypted group message so the recipients
// can fetch, check and decrypt an uploaded attachment blob (docs/PROTOCOL.md Part II,
// "Attachment pointer").
//
//   +------+------+------------------+----------+-------------+--------------+
//   | ver  | kind | u8 len || blobId | key (32) | digest (32) | u64 size     |
//   | u8=1 | u8   | 0..64 bytes      |          |             | plaintext    |
//   +------+------+------------------+----------+-------------+--------------+
//
// kind: 1 image, 2 video, 3 voice, 4 file; size is capped per kind (limits.ts).
import { assertBytes, assertBytesInRange, assertInteger } from '../bytes';
import { E2eeError } from '../errors';
import {
  MAX_ATTACHMENT_BLOB_ID_BYTES,
  MAX_FILE_BYTES,
  MAX_IMAGE_BYTES,
  MAX_VIDEO_BYTES,
  MAX_VOICE_BYTES,
} from '../limits';
import { WireReader, WireWriter } from './codec';

export const ATTACHMENT_POINTER_VERSION = 1;

export const ATTACHMENT_KIND = { image: 1, video: 2, voice: 3, file: 4 } as const;
export type AttachmentKind = keyof typeof ATTACHMENT_KIND;

/** Plaintext size cap (bytes) per kind. */
export const MAX_ATTACHMENT_BYTES: Readonly<Record<AttachmentKind, number>> = {
  image: MAX_IMAGE_BYTES,
  video: MAX_VIDEO_BYTES,
  voice: MAX_VOICE_BYTES,
  file: MAX_FILE_BYTES,
};

const KIND_BY_CODE: Record<number, AttachmentKind> = { 1: 'image', 2: 'video', 3: 'voice', 4: 'file' };

export interface AttachmentPointer {
  readonly kind: AttachmentKind;
  /** The relay's blob identifier (0..64 bytes), assigned at upload. */
  readonly blobId: Uint8Array;
  /** Random per-file XChaCha20-Poly1305 key (32 bytes). */
  readonly key: Uint8Array;
  /** Blob digest (32 bytes, see attachment/stream.ts). */
  readonly digest: Uint8Array;
  /** Plaintext size in bytes. */
  readonly size: number;
}

export function assertAttachmentKind(kind: unknown): AttachmentKind {
  if (typeof kind !== 'string' || !(kind in ATTACHMENT_KIND)) {
    throw new TypeError(`"kind" expected one of ${Object.keys(ATTACHMENT_KIND).join(', ')}`);
  }
  return kind as AttachmentKind;
}

export function encodeAttachmentPointer(ptr: AttachmentPointer): Uint8Array {
  const kind = assertAttachmentKind(ptr.kind);
  assertBytesInRange('blobId', ptr.blobId, 0, MAX_ATTACHMENT_BLOB_ID_BYTES);
  assertBytes('key', ptr.key, 32);
  assertBytes('digest', ptr.digest, 32);
  assertInteger('size', ptr.size, 0, MAX_ATTACHMENT_BYTES[kind]);
  return new WireWriter(80 + ptr.blobId.length)
    .u8(ATTACHMENT_POINTER_VERSION)
    .u8(ATTACHMENT_KIND[kind])
    .bytes8(ptr.blobId, MAX_ATTACHMENT_BLOB_ID_BYTES)
    .fixed(ptr.key, 32)
    .fixed(ptr.digest, 32)
    .u64(ptr.size)
    .finish();
}

export function decodeAttachmentPointer(bytes: Uint8Array): AttachmentPointer {
  const r = new WireReader(bytes, 'attachment pointer');
  const version = r.u8('version');
  if (version !== ATTACHMENT_POINTER_VERSION) {
    throw new E2eeError('E2E_ERR_UNSUPPORTED_VERSION', `attachment pointer: unsupported version ${version}`, 'decode attachment pointer');
  }
  const kind = KIND_BY_CODE[r.enumU8('kind', [1, 2, 3, 4] as const)]!;
  const blobId = r.bytes8('blobId', MAX_ATTACHMENT_BLOB_ID_BYTES);
  const key = r.fixed('key', 32);
  const digest = r.fixed('digest', 32);
  const size = r.u64('size');
  if (size > MAX_ATTACHMENT_BYTES[kind]) r.fail('size', `exceeds the ${kind} cap ${MAX_ATTACHMENT_BYTES[kind]}`);
  r.end();
  return { kind, blobId, key, digest, size };
}
