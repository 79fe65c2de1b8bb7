// Attachment encryption: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár,
// "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015) over
// XChaCha20-Poly1305 with a random key per file (docs/PROTOCOL.md Part II, "Attachments").
//
//   blob    = header || chunk_0 || ... || chunk_{n-1}
//   header  = u8 version=1 || noncePrefix (19 random bytes)                        (20 bytes)
//   chunk_i = XChaCha20-Poly1305(key, nonce_i, plaintext_i, aad = header)
//   nonce_i = noncePrefix || u32 BE i || u8 last   (last = 1 only for i = n-1)     (24 bytes)
//
// Plaintext chunks are ATTACHMENT_CHUNK_BYTES long except the last, which holds the rest
// (1..CHUNK bytes; 0 only for an empty file, which is one empty last chunk), so
// n = max(1, ceil(size / CHUNK)). The counter stops reordering and swapping, the last
// flag stops truncation at a chunk boundary and extension, and the per-file key stops
// splicing chunks from another file. The blob's length follows from the size.
//
// Digest (what the pointer carries, computable in one pass with one-shot SHA-256):
//   d_0 = SHA-256(header);  d_{i+1} = SHA-256(d_i || chunk_i);  digest = d_n
//
// Incremental decryption releases each chunk's plaintext once its tag verifies; the
// attachment as a whole is only valid after finish() (length and digest) succeeds.
import { assertBytes, concatBytes, equalBytes, wipe } from '../bytes';
import { E2eeError, MALFORMED } from '../errors';
import { ATTACHMENT_CHUNK_BYTES } from '../limits';
import type { Primitives } from '../primitives/types';
import {
  assertAttachmentKind,
  MAX_ATTACHMENT_BYTES,
  type AttachmentKind,
  type AttachmentPointer,
} from '../wire/attachment';

export const ATTACHMENT_STREAM_VERSION = 1;
export const NONCE_PREFIX_BYTES = 19;
export const STREAM_HEADER_BYTES = 1 + NONCE_PREFIX_BYTES;
const TAG = 16;
const SEALED_CHUNK = ATTACHMENT_CHUNK_BYTES + TAG;

/** The blob ended before the size in the pointer says it should. */
export const ATTACHMENT_TRUNCATED = 'E2E_ERR_ATTACHMENT_TRUNCATED';
/** The blob is longer than the size in the pointer allows. */
export const ATTACHMENT_EXTENDED = 'E2E_ERR_ATTACHMENT_EXTENDED';
/** The blob's digest differs from the pointer's. */
export const ATTACHMENT_DIGEST_MISMATCH = 'E2E_ERR_ATTACHMENT_DIGEST_MISMATCH';
/** More plaintext than the kind's cap. */
export const ATTACHMENT_TOO_LARGE = 'E2E_ERR_ATTACHMENT_TOO_LARGE';

/** What the encryptor produces for the pointer (the caller adds the relay's blob ID). */
export interface AttachmentSecrets {
  readonly kind: AttachmentKind;
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  readonly size: number;
}

export interface AttachmentEncryptOptions {
  /** Fixed key and nonce prefix: for test vectors only. Default: fresh random bytes. */
  readonly key?: Uint8Array;
  readonly noncePrefix?: Uint8Array;
}

/** Number of chunks and blob length for a plaintext of `size` bytes. */
export function attachmentBlobLength(size: number): number {
  const n = Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES));
  return STREAM_HEADER_BYTES + size + n * TAG;
}

function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix);
  nonce[19] = index >>> 24;
  nonce[20] = (index >>> 16) & 255;
  nonce[21] = (index >>> 8) & 255;
  nonce[22] = index & 255;
  nonce[23] = last ? 1 : 0;
  return nonce;
}

export interface AttachmentEncryptor {
  /** Adds plaintext; returns the blob bytes ready so far (the header comes first). */
  push(plaintext: Uint8Array): Uint8Array;
  /** Seals the last chunk; returns the remaining blob bytes and the pointer secrets. */
  finish(): { bytes: Uint8Array; secrets: AttachmentSecrets };
}

export function createAttachmentEncryptor(
  p: Primitives,
  kindArg: AttachmentKind,
  opts: AttachmentEncryptOptions = {},
): AttachmentEncryptor {
  const kind = assertAttachmentKind(kindArg);
  const key = opts.key ? assertBytes('key', opts.key, 32).slice() : p.randomBytes(32);
  const prefix = opts.noncePrefix ? assertBytes('noncePrefix', opts.noncePrefix, NONCE_PREFIX_BYTES) : p.randomBytes(NONCE_PREFIX_BYTES);
  const header = concatBytes(Uint8Array.of(ATTACHMENT_STREAM_VERSION), prefix);
  let digest = p.sha256(header);
  let headerSent = false;
  let pending: Uint8Array = new Uint8Array(0);
  let index = 0;
  let size = 0;
  let done = false;

  const seal = (chunk: Uint8Array, last: boolean): Uint8Array => {
    const sealed = p.xchachaSeal(key, chunkNonce(prefix, index, last), chunk, header);
    digest = p.sha256(concatBytes(digest, sealed));
    index++;
    return sealed;
  };

  return {
    push(plaintext) {
      if (done) throw new TypeError('attachment encryptor already finished');
      assertBytes('plaintext', plaintext);
      if (size + plaintext.length > MAX_ATTACHMENT_BYTES[kind]) {
        throw new E2eeError(ATTACHMENT_TOO_LARGE, `${kind} larger than ${MAX_ATTACHMENT_BYTES[kind]} bytes`, 'encryptAttachment');
      }
      size += plaintext.length;
      pending = pending.length ? concatBytes(pending, plaintext) : plaintext.slice();
      const out: Uint8Array[] = [];
      if (!headerSent) {
        out.push(header);
        headerSent = true;
      }
      let offset = 0;
      // Keep at least one byte back: the last chunk is only known at finish().
      while (pending.length - offset > ATTACHMENT_CHUNK_BYTES) {
        out.push(seal(pending.subarray(offset, offset + ATTACHMENT_CHUNK_BYTES), false));
        offset += ATTACHMENT_CHUNK_BYTES;
      }
      if (offset > 0) {
        const rest = pending.slice(offset);
        wipe(pending);
        pending = rest;
      }
      return out.length === 1 ? out[0]! : concatBytes(...out);
    },
    finish() {
      if (done) throw new TypeError('attachment encryptor already finished');
      done = true;
      const out: Uint8Array[] = [];
      if (!headerSent) out.push(header);
      out.push(seal(pending, true));
      wipe(pending);
      return { bytes: concatBytes(...out), secrets: { kind, key, digest, size } };
    },
  };
}

export interface AttachmentDecryptor {
  /** Adds blob bytes; returns the plaintext of every chunk completed and authenticated so far. */
  push(bytes: Uint8Array): Uint8Array;
  /** Checks that the blob was complete and its digest matches. Throws otherwise. */
  finish(): void;
}

export function createAttachmentDecryptor(
  p: Primitives,
  pointer: Pick<AttachmentPointer, 'kind' | 'key' | 'digest' | 'size'>,
): AttachmentDecryptor {
  const kind = assertAttachmentKind(pointer.kind);
  const key = assertBytes('key', pointer.key, 32);
  const expectedDigest = assertBytes('digest', pointer.digest, 32);
  const size = pointer.size;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_BYTES[kind]) {
    throw new RangeError(`"size" out of range for ${kind}`);
  }
  const chunks = Math.max(1, Math.ceil(size / ATTACHMENT_CHUNK_BYTES));
  const lastLength = size - (chunks - 1) * ATTACHMENT_CHUNK_BYTES + TAG;
  const total = attachmentBlobLength(size);
  let received = 0;
  let header: Uint8Array | null = null;
  let prefix: Uint8Array | null = null;
  let digest: Uint8Array | null = null;
  let pending: Uint8Array = new Uint8Array(0);
  let index = 0;
  let failed = false;

  const op = 'decryptAttachment';
  return {
    push(bytes) {
      if (failed) throw new TypeError('attachment decryptor already failed or finished');
      assertBytes('bytes', bytes);
      if (received + bytes.length > total) {
        failed = true;
        throw new E2eeError(ATTACHMENT_EXTENDED, 'attachment blob longer than its size allows', op);
      }
      received += bytes.length;
      pending = pending.length ? concatBytes(pending, bytes) : bytes;
      let offset = 0;
      if (!header) {
        if (pending.length < STREAM_HEADER_BYTES) return new Uint8Array(0);
        header = pending.slice(0, STREAM_HEADER_BYTES);
        if (header[0] !== ATTACHMENT_STREAM_VERSION) {
          failed = true;
          throw new E2eeError(MALFORMED, 'attachment blob: unsupported stream version', op);
        }
        prefix = header.subarray(1);
        digest = p.sha256(header);
        offset = STREAM_HEADER_BYTES;
      }
      const out: Uint8Array[] = [];
      while (index < chunks) {
        const last = index === chunks - 1;
        const need = last ? lastLength : SEALED_CHUNK;
        if (pending.length - offset < need) break;
        const sealed = pending.subarray(offset, offset + need);
        try {
          out.push(p.xchachaOpen(key, chunkNonce(prefix!, index, last), sealed, header));
        } catch (e) {
          failed = true;
          throw e;
        }
        digest = p.sha256(concatBytes(digest!, sealed));
        offset += need;
        index++;
      }
      pending = pending.slice(offset);
      return out.length === 1 ? out[0]! : concatBytes(...out);
    },
    finish() {
      if (failed) throw new TypeError('attachment decryptor already failed or finished');
      failed = true;
      if (index < chunks || received < total) throw new E2eeError(ATTACHMENT_TRUNCATED, 'attachment blob is truncated', op);
      if (!equalBytes(digest!, expectedDigest)) throw new E2eeError(ATTACHMENT_DIGEST_MISMATCH, 'attachment digest mismatch', op);
    },
  };
}

/** One-shot encryption: the whole blob and the pointer secrets. */
export function encryptAttachment(
  p: Primitives,
  kind: AttachmentKind,
  plaintext: Uint8Array,
  opts: AttachmentEncryptOptions = {},
): { blob: Uint8Array; secrets: AttachmentSecrets } {
  const enc = createAttachmentEncryptor(p, kind, opts);
  const head = enc.push(plaintext);
  const { bytes, secrets } = enc.finish();
  return { blob: concatBytes(head, bytes), secrets };
}

/** One-shot decryption: checks length, every chunk and the digest, then returns the plaintext. */
export function decryptAttachment(
  p: Primitives,
  pointer: Pick<AttachmentPointer, 'kind' | 'key' | 'digest' | 'size'>,
  blob: Uint8Array,
): Uint8Array {
  const dec = createAttachmentDecryptor(p, pointer);
  const out = dec.push(blob);
  dec.finish();
  return out;
}
