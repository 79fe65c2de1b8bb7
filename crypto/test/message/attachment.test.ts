import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../src/bytes';
import { AUTH_FAILED, isE2eeError, MALFORMED } from '../../src/errors';
import { ATTACHMENT_CHUNK_BYTES, MAX_VOICE_BYTES } from '../../src/limits';
import {
  ATTACHMENT_DIGEST_MISMATCH,
  ATTACHMENT_EXTENDED,
  ATTACHMENT_TOO_LARGE,
  ATTACHMENT_TRUNCATED,
  attachmentBlobLength,
  createAttachmentDecryptor,
  createAttachmentEncryptor,
  decryptAttachment,
  encryptAttachment,
  STREAM_HEADER_BYTES,
} from '../../src/attachment/stream';
import { decodeAttachmentPointer, encodeAttachmentPointer, type AttachmentPointer } from '../../src/wire/attachment';
import { p } from './helpers';

const C = ATTACHMENT_CHUNK_BYTES;
const SEALED = C + 16;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError: ${String(e)}`;
  }
  return 'ok';
}

function data(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 255;
  return out;
}

function pointerOf(secrets: { kind: AttachmentPointer['kind']; key: Uint8Array; digest: Uint8Array; size: number }): AttachmentPointer {
  return { ...secrets, blobId: Uint8Array.of(1, 2, 3) };
}

/**
 * Joins many pieces without spreading them into one call: with one-byte cuts a 200 KB file
 * is ~200,000 pieces, more arguments than a call may take (RangeError: call stack).
 */
function joinParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe('attachment streams', () => {
  it('round-trips sizes around chunk boundaries, one shot', () => {
    for (const n of [0, 1, C - 1, C, C + 1, 2 * C, 2 * C + 5]) {
      const pt = data(n);
      const { blob, secrets } = encryptAttachment(p, 'file', pt);
      expect(blob.length, `size ${n}`).toBe(attachmentBlobLength(n));
      expect(secrets.size).toBe(n);
      expect(bytesToHex(decryptAttachment(p, secrets, blob))).toBe(bytesToHex(pt));
    }
  });

  it('incremental encryption and decryption in arbitrary pieces give the one-shot blob (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * C + 100 }),
        fc.array(fc.integer({ min: 1, max: 2 * C }), { minLength: 1, maxLength: 8 }),
        (n, cuts) => {
          const pt = data(n, 3);
          const key = new Uint8Array(32).fill(5);
          const noncePrefix = new Uint8Array(19).fill(6);
          const oneShot = encryptAttachment(p, 'video', pt, { key, noncePrefix });
          const enc = createAttachmentEncryptor(p, 'video', { key, noncePrefix });
          const parts: Uint8Array[] = [];
          let o = 0;
          for (let i = 0; o < n; i++) {
            const len = cuts[i % cuts.length]!;
            parts.push(enc.push(pt.subarray(o, o + len)));
            o += len;
          }
          const fin = enc.finish();
          parts.push(fin.bytes);
          const blob = joinParts(parts);
          if (bytesToHex(blob) !== bytesToHex(oneShot.blob)) return false;
          if (bytesToHex(fin.secrets.digest) !== bytesToHex(oneShot.secrets.digest)) return false;
          const dec = createAttachmentDecryptor(p, fin.secrets);
          const out: Uint8Array[] = [];
          o = 0;
          for (let i = 0; o < blob.length; i++) {
            const len = cuts[(i + 1) % cuts.length]!;
            out.push(dec.push(blob.subarray(o, o + len)));
            o += len;
          }
          dec.finish();
          return bytesToHex(joinParts(out)) === bytesToHex(pt);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('detects truncation (mid-chunk and at a chunk boundary) and extension', () => {
    const pt = data(2 * C + 10);
    const { blob, secrets } = encryptAttachment(p, 'file', pt);
    expect(code(() => decryptAttachment(p, secrets, blob.subarray(0, blob.length - 1)))).toBe(ATTACHMENT_TRUNCATED);
    expect(code(() => decryptAttachment(p, secrets, blob.subarray(0, STREAM_HEADER_BYTES + 2 * SEALED)))).toBe(ATTACHMENT_TRUNCATED);
    expect(code(() => decryptAttachment(p, secrets, blob.subarray(0, 10)))).toBe(ATTACHMENT_TRUNCATED);
    expect(code(() => decryptAttachment(p, secrets, concatBytes(blob, Uint8Array.of(0))))).toBe(ATTACHMENT_EXTENDED);
    // A stream cut at a chunk boundary with a size claiming so: chunk 1 was not sealed as the last.
    const cut = blob.subarray(0, STREAM_HEADER_BYTES + 2 * SEALED);
    const short = { ...secrets, size: 2 * C };
    expect(code(() => decryptAttachment(p, short, cut))).toBe(AUTH_FAILED);
  });

  it('detects reordered chunks and chunks swapped in from another file with the same key', () => {
    const pt = data(3 * C);
    const key = new Uint8Array(32).fill(9);
    const { blob, secrets } = encryptAttachment(p, 'file', pt, { key });
    const h = STREAM_HEADER_BYTES;
    const chunk = (b: Uint8Array, i: number) => b.subarray(h + i * SEALED, h + (i + 1) * SEALED);
    const swapped = concatBytes(blob.subarray(0, h), chunk(blob, 1), chunk(blob, 0), chunk(blob, 2));
    expect(code(() => decryptAttachment(p, secrets, swapped))).toBe(AUTH_FAILED);
    // Another file under the same key (a misuse) but another random nonce prefix: its chunks do not fit.
    const other = encryptAttachment(p, 'file', data(3 * C, 2), { key });
    const spliced = concatBytes(blob.subarray(0, h), chunk(blob, 0), chunk(other.blob, 1), chunk(blob, 2));
    expect(code(() => decryptAttachment(p, secrets, spliced))).toBe(AUTH_FAILED);
    // Another file's whole blob under this pointer: wrong key.
    const third = encryptAttachment(p, 'file', pt);
    expect(code(() => decryptAttachment(p, secrets, third.blob))).toBe(AUTH_FAILED);
  });

  it('detects a digest mismatch (a sender committing to another blob)', () => {
    const { blob, secrets } = encryptAttachment(p, 'image', data(100));
    const wrong = { ...secrets, digest: new Uint8Array(32) };
    expect(code(() => decryptAttachment(p, wrong, blob))).toBe(ATTACHMENT_DIGEST_MISMATCH);
  });

  it('enforces the per-kind size cap', () => {
    const enc = createAttachmentEncryptor(p, 'voice');
    expect(code(() => enc.push(new Uint8Array(MAX_VOICE_BYTES + 1)))).toBe(ATTACHMENT_TOO_LARGE);
    expect(() => createAttachmentDecryptor(p, { kind: 'voice', key: new Uint8Array(32), digest: new Uint8Array(32), size: MAX_VOICE_BYTES + 1 })).toThrow(RangeError);
  });
});

describe('attachment pointer', () => {
  it('round-trips and rejects malformed input with typed errors', () => {
    const { secrets } = encryptAttachment(p, 'voice', data(10));
    const ptr = pointerOf(secrets);
    const bytes = encodeAttachmentPointer(ptr);
    expect(decodeAttachmentPointer(bytes)).toEqual(ptr);
    expect(code(() => decodeAttachmentPointer(bytes.subarray(0, bytes.length - 1)))).toBe(MALFORMED);
    expect(code(() => decodeAttachmentPointer(concatBytes(bytes, Uint8Array.of(0))))).toBe(MALFORMED);
    const kind = bytes.slice();
    kind[1] = 9;
    expect(code(() => decodeAttachmentPointer(kind))).toBe(MALFORMED);
    const version = bytes.slice();
    version[0] = 2;
    expect(code(() => decodeAttachmentPointer(version))).toBe('E2E_ERR_UNSUPPORTED_VERSION');
    const huge = bytes.slice();
    huge.fill(0xff, bytes.length - 8);
    huge[bytes.length - 8] = 0;
    expect(code(() => decodeAttachmentPointer(huge))).toBe(MALFORMED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => ['ok', MALFORMED, 'E2E_ERR_UNSUPPORTED_VERSION'].includes(code(() => decodeAttachmentPointer(b)))),
      { numRuns: 1000 },
    );
  });
});
