// Attachment stream vectors (crypto/src/attachment/stream.ts, test-vectors/README.md
// "attachment.json"). Plaintexts follow one pattern, byte i = i mod 251, so only their size
// is listed. Valid blobs of up to one chunk are given in full; longer ones by their SHA-256
// (a verifier re-encrypts with the given key and nonce prefix, compares, then decrypts).
// Invalid cases are transformations of a valid blob, with the error a receiver must raise.
import { bytesToHex, concatBytes, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { decryptAttachment, encryptAttachment, STREAM_HEADER_BYTES } from '../../crypto/src/attachment/stream';
import { ATTACHMENT_CHUNK_BYTES } from '../../crypto/src/limits';
import type { AttachmentKind } from '../../crypto/src/wire/attachment';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

const C = ATTACHMENT_CHUNK_BYTES;
const SEALED = C + 16;
/** Blobs up to this size are given in full; longer ones by SHA-256. */
const FULL_BLOB_MAX = 4096;

interface ValidTest {
  tcId: number;
  comment: string;
  kind: AttachmentKind;
  key: string;
  noncePrefix: string;
  size: number;
  blob: string | null;
  blobSha256: string;
  digest: string;
  result: 'valid';
}
type Transform =
  | { op: 'truncate'; length: number }
  | { op: 'append'; bytes: string }
  | { op: 'swapChunks'; i: number; j: number }
  | { op: 'replaceChunk'; index: number; fromTcId: number }
  | { op: 'setByte'; offset: number; value: number }
  | { op: 'none' };
interface InvalidTest {
  tcId: number;
  comment: string;
  base: number;
  transform: Transform;
  /** Pointer fields that differ from the base test's (hex for bytes). */
  pointer: { size?: number; key?: string; digest?: string };
  result: 'invalid';
  error: string;
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

function chunkAt(blob: Uint8Array, i: number): Uint8Array {
  return blob.subarray(STREAM_HEADER_BYTES + i * SEALED, Math.min(blob.length, STREAM_HEADER_BYTES + (i + 1) * SEALED));
}

function blobOf(p: Primitives, t: ValidTest): Uint8Array {
  return encryptAttachment(p, t.kind, pattern(t.size), { key: hexToBytes(t.key), noncePrefix: hexToBytes(t.noncePrefix) }).blob;
}

function apply(p: Primitives, valid: Map<number, ValidTest>, base: Uint8Array, t: Transform): Uint8Array {
  switch (t.op) {
    case 'truncate':
      return base.subarray(0, t.length);
    case 'append':
      return concatBytes(base, hexToBytes(t.bytes));
    case 'swapChunks': {
      const n = Math.ceil((base.length - STREAM_HEADER_BYTES) / SEALED);
      const parts = Array.from({ length: n }, (_, i) => chunkAt(base, i));
      [parts[t.i], parts[t.j]] = [parts[t.j]!, parts[t.i]!];
      return concatBytes(base.subarray(0, STREAM_HEADER_BYTES), ...parts);
    }
    case 'replaceChunk': {
      const n = Math.ceil((base.length - STREAM_HEADER_BYTES) / SEALED);
      const from = blobOf(p, valid.get(t.fromTcId)!);
      const parts = Array.from({ length: n }, (_, i) => (i === t.index ? chunkAt(from, i) : chunkAt(base, i)));
      return concatBytes(base.subarray(0, STREAM_HEADER_BYTES), ...parts);
    }
    case 'setByte': {
      const b = base.slice();
      b[t.offset] = t.value;
      return b;
    }
    case 'none':
      return base;
  }
}

function errorOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isE2eeError(e) ? e.code : `non-E2eeError ${String(e)}`;
  }
}

function check(p: Primitives, data: { valid: ValidTest[]; invalid: InvalidTest[] }): string[] {
  const out: string[] = [];
  const byId = new Map(data.valid.map((t) => [t.tcId, t]));
  for (const t of data.valid) {
    if (t.result !== 'valid') {
      out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
      continue;
    }
    const fresh = encryptAttachment(p, t.kind, pattern(t.size), { key: hexToBytes(t.key), noncePrefix: hexToBytes(t.noncePrefix) });
    if (t.blob !== null && bytesToHex(fresh.blob) !== t.blob) out.push(`tcId ${t.tcId}: re-encryption differs from blob`);
    if (bytesToHex(p.sha256(fresh.blob)) !== t.blobSha256) out.push(`tcId ${t.tcId}: blobSha256 of re-encryption differs`);
    if (bytesToHex(fresh.secrets.digest) !== t.digest) out.push(`tcId ${t.tcId}: digest: expected ${t.digest}, got ${bytesToHex(fresh.secrets.digest)}`);
    const blob = t.blob !== null ? hexToBytes(t.blob) : fresh.blob;
    const ptr = { kind: t.kind, key: hexToBytes(t.key), digest: hexToBytes(t.digest), size: t.size };
    let pt: Uint8Array | null = null;
    const err = errorOf(() => (pt = decryptAttachment(p, ptr, blob)));
    if (err !== null || bytesToHex(pt!) !== bytesToHex(pattern(t.size))) out.push(`tcId ${t.tcId}: decryption failed or differs (${err})`);
  }
  for (const t of data.invalid) {
    if (t.result !== 'invalid') {
      out.push(`tcId ${t.tcId}: unknown test result ${String(t.result)}`);
      continue;
    }
    const base = byId.get(t.base);
    if (!base) {
      out.push(`tcId ${t.tcId}: base ${t.base} missing`);
      continue;
    }
    const blob = apply(p, byId, blobOf(p, base), t.transform);
    const ptr = {
      kind: base.kind,
      key: hexToBytes(t.pointer.key ?? base.key),
      digest: hexToBytes(t.pointer.digest ?? base.digest),
      size: t.pointer.size ?? base.size,
    };
    const err = errorOf(() => decryptAttachment(p, ptr, blob));
    if (err !== t.error) out.push(`tcId ${t.tcId}: error: expected ${t.error}, got ${err ?? 'success'}`);
  }
  return out;
}

export const suite: VectorSuite = {
  file: 'attachment.json',
  generate() {
    const rnd = seededRandom('wxe2ee attachment vectors');
    const sharedKey = rnd(32);
    const specs: [string, AttachmentKind, number, Uint8Array?][] = [
      ['empty file: one empty last chunk', 'file', 0],
      ['5 bytes', 'image', 5],
      ['one chunk minus one byte', 'voice', C - 1],
      ['exactly one chunk (sealed as the last)', 'image', C],
      ['two full chunks', 'video', 2 * C, sharedKey],
      ['two full chunks, same key, another nonce prefix (for splicing)', 'video', 2 * C, sharedKey],
      ['three chunks, the last of 100 bytes', 'file', 2 * C + 100],
    ];
    const valid: ValidTest[] = specs.map(([comment, kind, size, key], i) => {
      const k = key ?? rnd(32);
      const prefix = rnd(19);
      const { blob, secrets } = encryptAttachment(createPrims(rnd), kind, pattern(size), { key: k, noncePrefix: prefix });
      return {
        tcId: i + 1,
        comment,
        kind,
        key: bytesToHex(k),
        noncePrefix: bytesToHex(prefix),
        size,
        blob: blob.length <= FULL_BLOB_MAX ? bytesToHex(blob) : null,
        blobSha256: bytesToHex(createPrims(rnd).sha256(blob)),
        digest: bytesToHex(secrets.digest),
        result: 'valid',
      };
    });
    const threeChunkLen = STREAM_HEADER_BYTES + 2 * C + 100 + 3 * 16;
    const inv = (comment: string, base: number, transform: Transform, pointer: InvalidTest['pointer'], error: string): Omit<InvalidTest, 'tcId'> => ({
      comment, base, transform, pointer, result: 'invalid', error,
    });
    const invalidSpecs = [
      inv('truncated by one byte', 7, { op: 'truncate', length: threeChunkLen - 1 }, {}, 'E2E_ERR_ATTACHMENT_TRUNCATED'),
      inv('truncated at a chunk boundary, the pointer size claiming so (chunk 1 was not sealed as the last)', 7, { op: 'truncate', length: STREAM_HEADER_BYTES + 2 * SEALED }, { size: 2 * C }, 'E2E_ERR_AUTH_FAILED'),
      inv('last chunk dropped, pointer unchanged', 5, { op: 'truncate', length: STREAM_HEADER_BYTES + SEALED }, {}, 'E2E_ERR_ATTACHMENT_TRUNCATED'),
      inv('extended by one byte', 4, { op: 'append', bytes: '00' }, {}, 'E2E_ERR_ATTACHMENT_EXTENDED'),
      inv('chunks 0 and 1 reordered', 5, { op: 'swapChunks', i: 0, j: 1 }, {}, 'E2E_ERR_AUTH_FAILED'),
      inv('chunk 1 swapped in from another file under the same key', 5, { op: 'replaceChunk', index: 1, fromTcId: 6 }, {}, 'E2E_ERR_AUTH_FAILED'),
      inv('digest in the pointer does not match the blob', 2, { op: 'none' }, { digest: '00'.repeat(32) }, 'E2E_ERR_ATTACHMENT_DIGEST_MISMATCH'),
      inv('wrong key in the pointer', 2, { op: 'none' }, { key: 'ff'.repeat(32) }, 'E2E_ERR_AUTH_FAILED'),
      inv('stream version byte changed to 2', 2, { op: 'setByte', offset: 0, value: 2 }, {}, 'E2E_ERR_MALFORMED'),
      inv('nonce prefix byte changed', 2, { op: 'setByte', offset: 1, value: 0 }, {}, 'E2E_ERR_AUTH_FAILED'),
    ];
    const invalid: InvalidTest[] = invalidSpecs.map((t, i) => ({ tcId: 100 + i + 1, ...t }));
    const data = { valid, invalid };
    const problems = check(createPrims(rnd), data);
    if (problems.length) throw new Error(`attachment vectors do not behave as labelled: ${problems.join('; ')}`);
    return {
      description: `STREAM over XChaCha20-Poly1305, ${C}-byte chunks; plaintext byte i = i mod 251.`,
      chunkBytes: C,
      ...data,
    };
  },
  verify(data, p) {
    const d = data as { valid?: ValidTest[]; invalid?: InvalidTest[] };
    if (!d.valid?.length || !d.invalid?.length) return ['no tests'];
    return check(p, { valid: d.valid, invalid: d.invalid });
  },
};

function createPrims(rnd: (n: number) => Uint8Array): Primitives {
  return createPrimitives(nobleBackend, rnd);
}
