// The one verification policy, applied by createPrimitives (index.ts) before any
// backend sees an input, so that noble, sodium and node:crypto give the same answer
// on every input, including the edge cases where the libraries differ:
//
//   - node:crypto (OpenSSL) accepts a small-order public key with R = identity, S = 0;
//     libsodium and strict noble reject it.
//   - @noble/curves verifies with the cofactored equation; OpenSSL and libsodium use the
//     cofactorless one. They disagree on signatures whose R, or whose public key, has a
//     small-order component. Our noble backend verifies cofactorless (noble.ts), and this
//     policy rejects public keys outside the prime-order subgroup.
//
// Rules (docs/PRIMITIVES.md explains each):
//   Ed25519 public key: 32 bytes; canonical (y < p; x = 0 only with sign bit 0); not one
//     of the 8 small-order points in any encoding; decodes to a curve point; in the
//     prime-order subgroup (no small-order component). Verdicts are cached per key.
//   Ed25519 signature: 64 bytes; R canonical and not small-order; S < L.
//   X25519: an all-zero shared secret is rejected (index.ts), which covers every
//     low-order input point.
import { numberToBytesLE } from '@noble/curves/utils.js';
import { L, Point } from './curve25519';
import { LruCache, bytesKey } from './lru-cache';
import { SecretKeyCache } from './secret-key-cache';

/** Why a public key was rejected (or 'ok'). Names match the flags in test-vectors/primitives-policy.json. */
export type PublicKeyVerdict = 'ok' | 'NonCanonicalKey' | 'SmallOrderKey' | 'NotOnCurve' | 'MixedOrderKey';
/** Why a signature's shape was rejected (or 'ok'). */
export type SignatureVerdict = 'ok' | 'NonCanonicalR' | 'SmallOrderR' | 'NonCanonicalS';

/**
 * The y coordinates (little-endian, sign bit cleared) of the 8 small-order points:
 * y = 0 (the two of order 4), y = 1 (identity), y = p - 1 (the point of order 2), and
 * y = Y8, p - Y8 (the four of order 8, each y with both signs of x). With the sign bit
 * masked, this covers every canonical encoding; encodings with y >= p are rejected
 * as non-canonical before this list is consulted.
 */
const P = Point.Fp.ORDER;
const Y8 = BigInt('0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826');
const SMALL_ORDER_Y = [BigInt(0), BigInt(1), P - BigInt(1), Y8, P - Y8].map((y) => numberToBytesLE(y, 32));

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const GROUP_ORDER_LE = numberToBytesLE(L, 32);

/** y >= p = 2^255 - 19, reading the 32 bytes little-endian with the sign bit (bit 255) cleared. */
function yIsNonCanonical(encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (encoded[i] !== 0xff) return false;
  return encoded[0]! >= 0xed;
}

/** The sign bit is set but x would be 0: only y = 1 and y = p - 1 have x = 0. */
function zeroXWithSignBit(encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x80) === 0) return false;
  return sameY(encoded, SMALL_ORDER_Y[1]!) || sameY(encoded, SMALL_ORDER_Y[2]!);
}

/** Compares y coordinates (sign bit ignored). Public data: no constant-time need. */
function sameY(encoded: Uint8Array, y: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== y[31]) return false;
  for (let i = 0; i < 31; i++) if (encoded[i] !== y[i]) return false;
  return true;
}

function isSmallOrderEncoding(encoded: Uint8Array): boolean {
  for (const y of SMALL_ORDER_Y) if (sameY(encoded, y)) return true;
  return false;
}

/** S < L, with S read little-endian. */
export function scalarIsCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i]!;
    const b = GROUP_ORDER_LE[i]!;
    if (a !== b) return a < b;
  }
  return false; // S == L
}

/** Byte-level checks only (no point arithmetic). */
function encodingVerdict(encoded: Uint8Array): 'ok' | 'NonCanonical' | 'SmallOrder' {
  if (yIsNonCanonical(encoded) || zeroXWithSignBit(encoded)) return 'NonCanonical';
  if (isSmallOrderEncoding(encoded)) return 'SmallOrder';
  return 'ok';
}

/** Full public-key check (uncached). Decoding and the subgroup check cost one scalar multiplication. */
export function ed25519PublicKeyVerdictUncached(publicKey: Uint8Array): PublicKeyVerdict {
  if (publicKey.length !== 32) return 'NonCanonicalKey';
  const enc = encodingVerdict(publicKey);
  if (enc === 'NonCanonical') return 'NonCanonicalKey';
  if (enc === 'SmallOrder') return 'SmallOrderKey';
  let point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return 'NotOnCurve';
  }
  return point.isTorsionFree() ? 'ok' : 'MixedOrderKey';
}

/** Verdicts for public keys (public data), bounded. */
const PUBLIC_KEY_VERDICTS = new LruCache<PublicKeyVerdict>(4096);

/**
 * Front cache by array object: a receiver verifies every message of a sender with the same
 * identity-key array from its state, and a WeakMap hit plus a 32-byte compare is cheaper
 * than building a string key and reordering the LRU on every verification.
 */
let VERDICTS_BY_ARRAY = new SecretKeyCache<PublicKeyVerdict>();

function verdictByValue(publicKey: Uint8Array): PublicKeyVerdict {
  const key = bytesKey(publicKey);
  let verdict = PUBLIC_KEY_VERDICTS.get(key);
  if (verdict === undefined) {
    verdict = ed25519PublicKeyVerdictUncached(publicKey);
    PUBLIC_KEY_VERDICTS.set(key, verdict);
  }
  return verdict;
}

/** Policy verdict for an Ed25519 public key; cached per key array and per key value (keys are public). */
export function ed25519PublicKeyVerdict(publicKey: Uint8Array): PublicKeyVerdict {
  return VERDICTS_BY_ARRAY.get(publicKey, verdictByValue);
}

/** Policy verdict for the shape of a 64-byte signature R || S (byte comparisons only). */
export function ed25519SignatureVerdict(signature: Uint8Array): SignatureVerdict {
  const r = signature.subarray(0, 32);
  const enc = encodingVerdict(r);
  if (enc === 'NonCanonical') return 'NonCanonicalR';
  if (enc === 'SmallOrder') return 'SmallOrderR';
  if (!scalarIsCanonical(signature.subarray(32, 64))) return 'NonCanonicalS';
  return 'ok';
}

/** true when every byte is zero (X25519 output check). Runs over all bytes regardless of content. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/** For tests: forget cached verdicts. */
export function clearPolicyCache(): void {
  PUBLIC_KEY_VERDICTS.clear();
  VERDICTS_BY_ARRAY = new SecretKeyCache<PublicKeyVerdict>();
}
