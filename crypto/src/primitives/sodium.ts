// libsodium backend (libsodium-wrappers 0.8, WebAssembly): portable and audited, for
// browsers and Node. Needs `await sodium.ready`, hence the async loader.
//
// The standard (non-sumo) libsodium-wrappers build wraps no HMAC-SHA256, HKDF-SHA256 or
// SHA-256. Its WebAssembly module does export libsodium's HKDF-SHA256 (extract, expand),
// which we call directly: HMAC-SHA256(key, data) is HKDF-Extract(salt = key, ikm = data).
// SHA-256 comes from @noble/hashes (docs/PRIMITIVES.md). Everything else is libsodium:
// Ed25519, X25519, XChaCha20-Poly1305, ChaCha20-Poly1305 (IETF), SHA-512.
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
}

function libsodiumModule(s: Sodium): LibsodiumModule {
  const lib = (s as unknown as { libsodium?: Partial<LibsodiumModule> }).libsodium;
  if (
    !lib ||
    typeof lib._malloc !== 'function' ||
    typeof lib._free !== 'function' ||
    typeof lib._crypto_kdf_hkdf_sha256_extract !== 'function' ||
    typeof lib._crypto_kdf_hkdf_sha256_expand !== 'function'
  ) {
    throw new Error('libsodium-wrappers does not expose libsodium HKDF-SHA256; the sodium backend needs it');
  }
  return lib as LibsodiumModule;
}

/**
 * Runs `f` with `inputs` copied into WebAssembly memory and an output buffer of
 * `outLength` bytes; wipes and frees everything afterwards (inputs are often secrets).
 */
function withHeap(lib: LibsodiumModule, inputs: Uint8Array[], outLength: number, f: (out: number, ptrs: number[]) => number): Uint8Array {
  const sizes = [outLength, ...inputs.map((b) => b.length)];
  const ptrs = sizes.map((n) => lib._malloc(Math.max(1, n)));
  try {
    if (ptrs.some((p) => p === 0)) throw new Error('libsodium: out of memory');
    inputs.forEach((b, i) => lib.HEAPU8.set(b, ptrs[i + 1]!));
    if (f(ptrs[0]!, ptrs.slice(1)) !== 0) throw new Error('libsodium HKDF failed');
    return lib.HEAPU8.slice(ptrs[0]!, ptrs[0]! + outLength);
  } finally {
    ptrs.forEach((p, i) => {
      if (p !== 0) {
        lib.HEAPU8.fill(0, p, p + Math.max(1, sizes[i]!));
        lib._free(p);
      }
    });
  }
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
  const lib = libsodiumModule(s);
  /** HKDF-Extract(salt, ikm) = HMAC-SHA256(key = salt, data = ikm), in libsodium. */
  const hkdfExtract = (salt: Uint8Array, ikm: Uint8Array) =>
    withHeap(lib, [salt, ikm], 32, (out, [saltPtr, ikmPtr]) =>
      lib._crypto_kdf_hkdf_sha256_extract(out, saltPtr!, salt.length, ikmPtr!, ikm.length),
    );
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
    xchachaSeal: (key, nonce, plaintext, aad) => s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key),
    xchachaOpen: (key, nonce, sealed, aad) =>
      openOrNull(() => s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key)),
    chachaSeal: (key, nonce, plaintext, aad) => s.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key),
    chachaOpen: (key, nonce, sealed, aad) =>
      openOrNull(() => s.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key)),
    hmacSha256: (key, data) => hkdfExtract(key, data),
    hkdfSha256Extract: hkdfExtract,
    hkdfSha256Expand: (prk, info, length) => {
      if (length === 0) return new Uint8Array(0);
      // libsodium's expand takes a 32-byte PRK; a longer caller-supplied PRK goes to noble.
      if (prk.length !== 32) return expand(sha256, prk, info, length);
      return withHeap(lib, [prk, info], length, (out, [prkPtr, infoPtr]) =>
        lib._crypto_kdf_hkdf_sha256_expand(out, length, infoPtr!, info.length, prkPtr!),
      );
    },
    sha256: (data) => sha256(data),
    sha512: (data) => s.crypto_hash(data),
  };
}
