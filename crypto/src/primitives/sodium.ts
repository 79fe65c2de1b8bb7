// libsodium backend (libsodium-wrappers 0.8, WebAssembly): portable and audited, for
// browsers and Node. Needs `await sodium.ready`, hence the async loader.
//
// The standard (non-sumo) libsodium-wrappers build wraps no HMAC-SHA256, HKDF-SHA256 or
// SHA-256. Its WebAssembly module does export libsodium's HKDF-SHA256 (extract, expand),
// which we call directly: HMAC-SHA256(key, data) is HKDF-Extract(salt = key, ikm = data).
// SHA-256 comes from @noble/hashes (docs/PRIMITIVES.md). Everything else is libsodium:
// Ed25519, X25519, XChaCha20-Poly1305, ChaCha20-Poly1305 (IETF), SHA-512.
// XChaCha20-Poly1305 and HKDF skip the wrappers' argument conversion and call the
// WebAssembly exports directly through one reused, always-wiped scratch region (WasmScratch).
import sodium from 'libsodium-wrappers';
import { expand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { SecretKeyCache } from './secret-key-cache';
import type { RawBackend } from './types';

type Sodium = typeof sodium;

let ready: Promise<Sodium> | undefined;

/** Resolves once libsodium's WebAssembly module is initialised (shared by the node backend). */
export function loadSodium(): Promise<Sodium> {
  ready ??= sodium.ready.then(() => sodium);
  return ready;
}

/** The part of the Emscripten module under libsodium-wrappers that we call directly. */
interface LibsodiumModule {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _crypto_kdf_hkdf_sha256_extract(prk: number, salt: number, saltLength: number, ikm: number, ikmLength: number): number;
  _crypto_kdf_hkdf_sha256_expand(out: number, outLength: number, ctx: number, ctxLength: number, prk: number): number;
  // 64-bit lengths are passed as two i32 halves (low, high); a null pointer is 0.
  _crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: number, clenP: number, m: number, mlenLo: number, mlenHi: number,
    ad: number, adlenLo: number, adlenHi: number, nsec: number, npub: number, k: number,
  ): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: number, mlenP: number, nsec: number, c: number, clenLo: number, clenHi: number,
    ad: number, adlenLo: number, adlenHi: number, npub: number, k: number,
  ): number;
}

const REQUIRED_EXPORTS = [
  '_malloc',
  '_free',
  '_crypto_kdf_hkdf_sha256_extract',
  '_crypto_kdf_hkdf_sha256_expand',
  '_crypto_aead_xchacha20poly1305_ietf_encrypt',
  '_crypto_aead_xchacha20poly1305_ietf_decrypt',
] as const;

function libsodiumModule(s: Sodium): LibsodiumModule {
  const lib = (s as unknown as { libsodium?: Record<string, unknown> }).libsodium;
  if (!lib || !(lib.HEAPU8 instanceof Uint8Array) || REQUIRED_EXPORTS.some((name) => typeof lib[name] !== 'function')) {
    throw new Error('libsodium-wrappers does not expose the low-level exports the sodium backend needs');
  }
  return lib as unknown as LibsodiumModule;
}

/** Scratch regions up to this size stay allocated between calls; larger ones are freed after their call. */
export const SCRATCH_RETAINED_BYTES = 64 * 1024;

/**
 * One region of WebAssembly memory reused by every low-level call, instead of a
 * malloc/copy/free per argument. A call reserves the bytes it needs, copies its inputs
 * in, runs, copies its output out, and wipes everything it used (keys, plaintexts and
 * KDF outputs are secrets) before returning, so the region holds only zeros between
 * calls. Calls are synchronous and never nested, so one region suffices.
 */
export class WasmScratch {
  private ptr = 0;
  private size = 0;

  constructor(private readonly lib: LibsodiumModule) {}

  /** Bytes currently held (for tests). */
  get retained(): number {
    return this.size;
  }

  /** Where the region starts in WebAssembly memory, 0 when none is held (for tests). */
  get address(): number {
    return this.ptr;
  }

  /** The address of at least `length` bytes (contents zero); grows the region when needed. */
  reserve(length: number): number {
    if (length <= this.size) return this.ptr;
    // Double on growth, but never past the retained cap unless this one call needs more.
    const size = Math.max(length, Math.min(2 * this.size, SCRATCH_RETAINED_BYTES), 2048);
    const ptr = this.lib._malloc(size);
    if (ptr === 0) throw new Error('libsodium: out of memory');
    this.lib.HEAPU8.fill(0, ptr, ptr + size);
    this.drop();
    this.ptr = ptr;
    this.size = size;
    return ptr;
  }

  /** Wipes the first `length` bytes after a call; frees an oversized region. */
  done(length: number): void {
    if (this.ptr === 0) return;
    // Read HEAPU8 again: a call may have grown the memory and replaced the view.
    this.lib.HEAPU8.fill(0, this.ptr, this.ptr + Math.min(length, this.size));
    if (this.size > SCRATCH_RETAINED_BYTES) this.drop();
  }

  /** Wipes and frees the region. */
  drop(): void {
    if (this.ptr === 0) return;
    this.lib.HEAPU8.fill(0, this.ptr, this.ptr + this.size);
    this.lib._free(this.ptr);
    this.ptr = 0;
    this.size = 0;
  }
}

/** The low-level calls of the sodium backend, shared with the node backend (one scratch region each module). */
export interface SodiumDirect {
  readonly scratch: WasmScratch;
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** `prk` exactly 32 bytes. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  xchachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  xchachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

const XCHACHA_KEY_BYTES = 32;
const XCHACHA_NONCE_BYTES = 24;
const TAG_BYTES = 16;

let direct: SodiumDirect | undefined;

/** The direct calls into libsodium's WebAssembly (after loadSodium()). */
export async function loadSodiumDirect(): Promise<SodiumDirect> {
  if (direct) return direct;
  const lib = libsodiumModule(await loadSodium());
  const scratch = new WasmScratch(lib);
  direct = {
    scratch,
    // HKDF-Extract(salt, ikm) = HMAC-SHA256(key = salt, data = ikm). Layout: out | salt | ikm.
    hkdfExtract(salt, ikm) {
      const used = 32 + salt.length + ikm.length;
      const out = scratch.reserve(used);
      try {
        const saltAt = out + 32;
        const ikmAt = saltAt + salt.length;
        const heap = lib.HEAPU8;
        heap.set(salt, saltAt);
        heap.set(ikm, ikmAt);
        if (lib._crypto_kdf_hkdf_sha256_extract(out, saltAt, salt.length, ikmAt, ikm.length) !== 0) {
          throw new Error('libsodium HKDF failed');
        }
        return lib.HEAPU8.slice(out, out + 32);
      } finally {
        scratch.done(used);
      }
    },
    // Layout: out | prk (32) | info.
    hkdfExpand(prk, info, length) {
      const used = length + 32 + info.length;
      const out = scratch.reserve(used);
      try {
        const prkAt = out + length;
        const infoAt = prkAt + 32;
        const heap = lib.HEAPU8;
        heap.set(prk, prkAt);
        heap.set(info, infoAt);
        if (lib._crypto_kdf_hkdf_sha256_expand(out, length, infoAt, info.length, prkAt) !== 0) {
          throw new Error('libsodium HKDF failed');
        }
        return lib.HEAPU8.slice(out, out + length);
      } finally {
        scratch.done(used);
      }
    },
    // Layout: key | nonce | aad | plaintext | sealed.
    xchachaSeal(key, nonce, plaintext, aad) {
      const sealedLength = plaintext.length + TAG_BYTES;
      const used = XCHACHA_KEY_BYTES + XCHACHA_NONCE_BYTES + aad.length + plaintext.length + sealedLength;
      const k = scratch.reserve(used);
      try {
        const npub = k + XCHACHA_KEY_BYTES;
        const ad = npub + XCHACHA_NONCE_BYTES;
        const m = ad + aad.length;
        const c = m + plaintext.length;
        const heap = lib.HEAPU8;
        heap.set(key, k);
        heap.set(nonce, npub);
        heap.set(aad, ad);
        heap.set(plaintext, m);
        if (lib._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, plaintext.length, 0, ad, aad.length, 0, 0, npub, k) !== 0) {
          throw new Error('libsodium XChaCha20-Poly1305 encryption failed');
        }
        return lib.HEAPU8.slice(c, c + sealedLength);
      } finally {
        scratch.done(used);
      }
    },
    // Layout: key | nonce | aad | sealed | plaintext.
    xchachaOpen(key, nonce, sealed, aad) {
      if (sealed.length < TAG_BYTES) return null;
      const plainLength = sealed.length - TAG_BYTES;
      const used = XCHACHA_KEY_BYTES + XCHACHA_NONCE_BYTES + aad.length + sealed.length + plainLength;
      const k = scratch.reserve(used);
      try {
        const npub = k + XCHACHA_KEY_BYTES;
        const ad = npub + XCHACHA_NONCE_BYTES;
        const c = ad + aad.length;
        const m = c + sealed.length;
        const heap = lib.HEAPU8;
        heap.set(key, k);
        heap.set(nonce, npub);
        heap.set(aad, ad);
        heap.set(sealed, c);
        if (lib._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, c, sealed.length, 0, ad, aad.length, 0, npub, k) !== 0) {
          return null;
        }
        return lib.HEAPU8.slice(m, m + plainLength);
      } finally {
        scratch.done(used);
      }
    },
  };
  return direct;
}

function openOrNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

export async function loadSodiumBackend(): Promise<RawBackend> {
  const s = await loadSodium();
  const d = await loadSodiumDirect();
  /** HKDF-Extract(salt, ikm) = HMAC-SHA256(key = salt, data = ikm), in libsodium. */
  const hkdfExtract = (salt: Uint8Array, ikm: Uint8Array) => d.hkdfExtract(salt, ikm);
  // seed -> libsodium's 64-byte secret key (seed || public key), prepared once per seed array.
  const signingKeys = new SecretKeyCache<{ secretKey: Uint8Array; publicKey: Uint8Array }>();
  const prepare = (seed: Uint8Array) => {
    const pair = s.crypto_sign_seed_keypair(seed);
    return { secretKey: pair.privateKey, publicKey: pair.publicKey };
  };

  return {
    name: 'sodium',
    ed25519PublicKey: (seed) => signingKeys.get(seed, prepare).publicKey.slice(),
    ed25519Sign: (seed, message) => s.crypto_sign_detached(message, signingKeys.get(seed, prepare).secretKey),
    ed25519Verify: (publicKey, message, signature) => {
      try {
        return s.crypto_sign_verify_detached(signature, message, publicKey);
      } catch {
        return false;
      }
    },
    x25519PublicKey: (privateKey) => s.crypto_scalarmult_base(privateKey),
    x25519: (privateKey, publicKey) => {
      try {
        return s.crypto_scalarmult(privateKey, publicKey);
      } catch {
        // libsodium refuses an all-zero result; report zeros so the wrapper decides uniformly.
        return new Uint8Array(32);
      }
    },
    xchachaSeal: d.xchachaSeal,
    xchachaOpen: d.xchachaOpen,
    chachaSeal: (key, nonce, plaintext, aad) => s.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key),
    chachaOpen: (key, nonce, sealed, aad) =>
      openOrNull(() => s.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key)),
    hmacSha256: (key, data) => hkdfExtract(key, data),
    hkdfSha256Extract: hkdfExtract,
    hkdfSha256Expand: (prk, info, length) => {
      if (length === 0) return new Uint8Array(0);
      // libsodium's expand takes a 32-byte PRK; a longer caller-supplied PRK goes to noble.
      if (prk.length !== 32) return expand(sha256, prk, info, length);
      return d.hkdfExpand(prk, info, length);
    },
    sha256: (data) => sha256(data),
    sha512: (data) => s.crypto_hash(data),
  };
}
