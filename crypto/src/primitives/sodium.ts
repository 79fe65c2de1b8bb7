// libsodium backend (libsodium-wrappers 0.8, WebAssembly): portable and audited, for
// browsers and Node. Needs `await sodium.ready`, hence the async loader.
//
// The standard (non-sumo) libsodium-wrappers build exposes no HMAC-SHA256, HKDF-SHA256 or
// SHA-256; those come from @noble/hashes here (docs/PRIMITIVES.md). Everything else is
// libsodium: Ed25519, X25519, XChaCha20-Poly1305, ChaCha20-Poly1305 (IETF), SHA-512.
import sodium from 'libsodium-wrappers';
import { extract, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
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

function openOrNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

export async function loadSodiumBackend(): Promise<RawBackend> {
  const s = await loadSodium();
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
    hmacSha256: (key, data) => hmac(sha256, key, data),
    hkdfSha256Extract: (salt, ikm) => extract(sha256, ikm, salt),
    hkdfSha256Expand: (prk, info, length) => expand(sha256, prk, info, length),
    sha256: (data) => sha256(data),
    sha512: (data) => s.crypto_hash(data),
  };
}
