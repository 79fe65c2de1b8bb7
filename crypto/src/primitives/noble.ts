// Pure-JS backend on @noble/*: the mini program's backend (no WebAssembly, no node:crypto).
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { extract, expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { L, Point, expandSeed, x25519, type EdwardsPoint, type ExpandedSeed } from './curve25519';
import { LruCache, bytesKey } from './lru-cache';
import { SecretKeyCache } from './secret-key-cache';
import type { RawBackend } from './types';

/**
 * RFC 8032 signing with the expanded key prepared once per seed array (the identity state
 * keeps one array across calls): saves the public-key multiplication @noble/curves' `sign`
 * repeats on every call. The cache is a WeakMap keyed by the seed object (secret-key-cache.ts).
 */
const signingKeys = new SecretKeyCache<ExpandedSeed>();

function signRfc8032(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const { prefix, scalar, publicKey } = signingKeys.get(seed, expandSeed);
  const r = bytesToNumberLE(sha512.create().update(prefix).update(message).digest()) % L;
  const R = Point.BASE.multiply(r).toBytes();
  const k = bytesToNumberLE(sha512.create().update(R).update(publicKey).update(message).digest()) % L;
  const signature = new Uint8Array(64);
  signature.set(R, 0);
  signature.set(numberToBytesLE((r + k * scalar) % L, 32), 32);
  return signature;
}

/**
 * Decoded verification keys (public data), most recently used first. A key that has
 * verified PRECOMPUTE_AFTER signatures gets a wNAF table (window PRECOMPUTE_WINDOW):
 * building it costs about five multiplications, after which [k]A is about 4.5 times
 * faster, so a conversation's senders verify about 2.4 times faster on the phone. Each
 * table is about 130 KB of heap; the bound keeps the total near 4 MB, and an evicted key's table
 * goes with its point.
 */
const VERIFY_KEYS = new LruCache<{ point: EdwardsPoint; uses: number }>(32);
const PRECOMPUTE_AFTER = 4;
const PRECOMPUTE_WINDOW = 4;

/** Throws on an encoding that is not a curve point (strict RFC 8032 decoding, y < p). */
function verificationPoint(publicKey: Uint8Array): EdwardsPoint {
  const id = bytesKey(publicKey);
  let entry = VERIFY_KEYS.get(id);
  if (entry === undefined) {
    entry = { point: Point.fromBytes(publicKey, false), uses: 0 };
    VERIFY_KEYS.set(id, entry);
  }
  if (++entry.uses === PRECOMPUTE_AFTER) entry.point.precompute(PRECOMPUTE_WINDOW, true); // built on next use
  return entry.point;
}

/**
 * Cofactorless RFC 8032 verification: accept iff encode([S]B - [k]A) == R bytes, with
 * k = SHA-512(R || A || M) mod L. @noble/curves' own `verify` checks the cofactored
 * equation [8]([S]B - R - [k]A) = 0, which accepts signatures whose R carries a
 * small-order component; OpenSSL and libsodium reject those. Using the same equation
 * as the other backends keeps every backend's answer identical (docs/PRIMITIVES.md).
 */
function verifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const r = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= L) return false;
  const A = verificationPoint(publicKey);
  // Like libsodium and noble's strict mode: a small-order key never verifies, even raw.
  if (A.isSmallOrder()) return false;
  const h = sha512.create().update(r).update(publicKey).update(message).digest();
  const k = bytesToNumberLE(h) % L;
  const check = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k)).toBytes();
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= check[i]! ^ r[i]!;
  return diff === 0;
}

function openOrNull(open: () => Uint8Array): Uint8Array | null {
  try {
    return open();
  } catch {
    return null;
  }
}

export const nobleBackend: RawBackend = {
  name: 'noble',
  ed25519PublicKey: (seed) => signingKeys.get(seed, expandSeed).publicKey.slice(),
  ed25519Sign: signRfc8032,
  // Strict RFC 8032 decoding (y < p) and the cofactorless equation; the shared policy runs first anyway.
  ed25519Verify: (publicKey, message, signature) => {
    try {
      return verifyCofactorless(publicKey, message, signature);
    } catch {
      return false;
    }
  },
  x25519PublicKey: (privateKey) => x25519.getPublicKey(privateKey),
  x25519: (privateKey, publicKey) => {
    try {
      return x25519.getSharedSecret(privateKey, publicKey);
    } catch {
      // noble throws on an all-zero result; report it as zeros so the wrapper decides uniformly.
      return new Uint8Array(32);
    }
  },
  xchachaSeal: (key, nonce, plaintext, aad) => xchacha20poly1305(key, nonce, aad).encrypt(plaintext),
  xchachaOpen: (key, nonce, sealed, aad) => openOrNull(() => xchacha20poly1305(key, nonce, aad).decrypt(sealed)),
  chachaSeal: (key, nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  chachaOpen: (key, nonce, sealed, aad) => openOrNull(() => chacha20poly1305(key, nonce, aad).decrypt(sealed)),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256Extract: (salt, ikm) => extract(sha256, ikm, salt),
  hkdfSha256Expand: (prk, info, length) => expand(sha256, prk, info, length),
  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
};
