// The reused WebAssembly scratch region behind the sodium and node backends' direct
// libsodium calls (XChaCha20-Poly1305, HKDF-SHA256): same bytes as noble for every size,
// including inputs that outgrow the region and WebAssembly memory itself, nothing secret
// left in WebAssembly memory after a call, and no oversized region kept.
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import { loadSodiumDirect, SCRATCH_RETAINED_BYTES } from '../../src/primitives/sodium';
import { loadAll } from './backends';

const backends = await loadAll();
const noble = backends.find((b) => b.raw.name === 'noble')!.p;
const direct = backends.filter((b) => b.raw.name === 'node' || b.raw.name === 'sodium').map((b) => b.p);
const d = await loadSodiumDirect();
const heap = (): Uint8Array => (sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8;

/** Whether `needle` occurs anywhere in WebAssembly memory. */
function inHeap(needle: Uint8Array): boolean {
  const h = heap();
  const first = needle[0]!;
  for (let i = h.indexOf(first); i >= 0 && i <= h.length - needle.length; i = h.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && h[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

function scratchIsZero(): boolean {
  const at = d.scratch.address;
  return heap().subarray(at, at + d.scratch.retained).every((b) => b === 0);
}

/** Random bytes made outside WebAssembly memory (libsodium's randombytes_buf leaves a copy there). */
function fresh(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed * 17 + (i >>> 8)) & 255;
  return out;
}

describe('direct libsodium calls through the scratch region', () => {
  for (const p of direct) {
    it(`${p.backend}: XChaCha20-Poly1305 and HKDF match noble across sizes that grow the region`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.uint8Array({ minLength: 24, maxLength: 24 }),
          fc.integer({ min: 0, max: 3 * SCRATCH_RETAINED_BYTES }),
          fc.integer({ min: 0, max: 300 }),
          (key, nonce, length, aadLength) => {
            const plaintext = bytes(length, key[0]!);
            const aad = bytes(aadLength, nonce[0]!);
            const sealed = p.xchachaSeal(key, nonce, plaintext, aad);
            expect(bytesToHex(sealed)).toBe(bytesToHex(noble.xchachaSeal(key, nonce, plaintext, aad)));
            expect(bytesToHex(p.xchachaOpen(key, nonce, sealed, aad))).toBe(bytesToHex(plaintext));
            const info = plaintext.subarray(0, Math.min(length, 4000));
            expect(bytesToHex(p.hkdfSha256Expand(key, info, 56))).toBe(bytesToHex(noble.hkdfSha256Expand(key, info, 56)));
            expect(bytesToHex(p.hmacSha256(key, info))).toBe(bytesToHex(noble.hmacSha256(key, info)));
            expect(d.scratch.retained).toBeLessThanOrEqual(SCRATCH_RETAINED_BYTES);
            expect(scratchIsZero()).toBe(true);
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it('an input larger than WebAssembly memory grows it and still round-trips', () => {
    const size = heap().length + 1024 * 1024;
    const key = bytes(32, 7);
    const nonce = bytes(24, 8);
    const plaintext = bytes(size, 9);
    const sealed = d.xchachaSeal(key, nonce, plaintext, new Uint8Array(0));
    expect(sealed.length).toBe(size + 16);
    expect(heap().length).toBeGreaterThan(size);
    const opened = d.xchachaOpen(key, nonce, sealed, new Uint8Array(0));
    expect(opened !== null && opened.length === size && opened.every((b, i) => b === plaintext[i])).toBe(true);
    expect(d.scratch.retained).toBeLessThanOrEqual(SCRATCH_RETAINED_BYTES);
  });

  it('leaves no key, plaintext or KDF output in WebAssembly memory, also when the tag is bad', () => {
    const key = fresh(32);
    const nonce = fresh(24);
    const plaintext = fresh(1100);
    const aad = fresh(59);
    const sealed = d.xchachaSeal(key, nonce, plaintext, aad);
    const opened = d.xchachaOpen(key, nonce, sealed, aad);
    expect(opened && bytesToHex(opened)).toBe(bytesToHex(plaintext));
    const tampered = sealed.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(d.xchachaOpen(key, nonce, tampered, aad)).toBeNull();
    const prk = fresh(32);
    const okm = d.hkdfExpand(prk, aad, 56);
    const mac = d.hkdfExtract(key, plaintext);
    expect(scratchIsZero()).toBe(true);
    for (const secret of [key, prk, plaintext.subarray(0, 32), plaintext.subarray(1000, 1032), okm.subarray(0, 32), okm.subarray(32), mac]) {
      expect(inHeap(secret)).toBe(false);
    }
    // The check can fail: bytes copied in and not wiped are found.
    const at = d.scratch.reserve(32);
    heap().set(key, at);
    expect(inHeap(key)).toBe(true);
    d.scratch.done(32);
    expect(inHeap(key)).toBe(false);
  });

  it('a sealed input shorter than the tag opens to null without touching memory', () => {
    expect(d.xchachaOpen(new Uint8Array(32), new Uint8Array(24), new Uint8Array(15), new Uint8Array(0))).toBeNull();
  });
});
