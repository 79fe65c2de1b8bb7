// Edwards25519 and X25519 built from @noble/curves' abstract modules with the curve's
// published parameters (RFC 8032 section 5.1, RFC 7748 section 4.1), instead of importing
// @noble/curves/ed25519.js. That module builds noble's whole EdDSA object (sign, verify,
// keygen, option checks, Montgomery conversions) at load; the noble backend (noble.ts) signs
// and verifies with its own RFC 8032 code and needs only the point arithmetic, so the mini
// program bundle carries less code. The point class and X25519 come out the same:
// crypto/test/primitives/curve25519.test.ts compares both with @noble/curves/ed25519.js.
import { edwards } from '@noble/curves/abstract/edwards.js';
import { montgomery } from '@noble/curves/abstract/montgomery.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { wipe } from '../bytes';

const P = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed'); // 2^255 - 19

/**
 * The twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19), prime subgroup
 * order L, cofactor 8, and the base point B of RFC 8032. Square roots while decoding use
 * noble's generic field square root (p = 5 mod 8), which returns the same root up to sign;
 * decoding then picks the sign from the encoding's top bit, so every decoded point is the same.
 */
export const Point = edwards({
  p: P,
  n: BigInt('0x1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed'),
  h: BigInt(8),
  a: P - BigInt(1),
  d: BigInt('0x52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3'),
  Gx: BigInt('0x216936d3cd6e53fec0a4e231fdd6dc5c692cc7609525a7b2c9562d608f25d51a'),
  Gy: BigInt('0x6666666666666666666666666666666666666666666666666666666666666658'),
});
export type EdwardsPoint = InstanceType<typeof Point>;

/** L, the order of the prime subgroup. */
export const L = Point.Fn.ORDER;

/** RFC 7748 / RFC 8032 clamping of a 32-byte scalar, in place. */
function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0]! &= 248;
  bytes[31]! &= 127;
  bytes[31]! |= 64;
  return bytes;
}

/**
 * x^(p - 2) mod p, which is 1/x for x != 0 (and 0 for 0), with a fixed addition chain:
 * 254 squarings and 11 multiplications, the same sequence whatever x is (the inputs are
 * secret-derived). p - 2 = 2^5 (2^250 - 1) + 11.
 */
function invert(x: bigint): bigint {
  const sq = (a: bigint, n: number) => {
    while (n-- > 0) a = (a * a) % P;
    return a;
  };
  x = Point.Fp.create(x);
  const e2 = (sq(x, 1) * x) % P; // x^(2^2 - 1) = x^3
  const e4 = (sq(e2, 2) * e2) % P;
  const e5 = (sq(e4, 1) * x) % P;
  const e10 = (sq(e5, 5) * e5) % P;
  const e20 = (sq(e10, 10) * e10) % P;
  const e40 = (sq(e20, 20) * e20) % P;
  const e50 = (sq(e40, 10) * e10) % P;
  const e100 = (sq(e50, 50) * e50) % P;
  const e200 = (sq(e100, 100) * e100) % P;
  const e250 = (sq(e200, 50) * e50) % P;
  return (((sq(e250, 5) * sq(x, 3)) % P) * e2) % P; // x^(2^255 - 32) * x^8 * x^3
}

/**
 * X25519 (RFC 7748). The public key [k]9 is computed on the Edwards curve with the base
 * point's precomputed tables and mapped to u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y), as
 * @noble/curves does, rather than with the Montgomery ladder: same bytes, several times faster.
 */
export const x25519 = montgomery({
  P,
  type: 'x25519',
  adjustScalarBytes: clamp,
  powPminus2: invert,
  scalarMultBase: (k: bigint) => {
    // k is a clamped scalar: a multiple of 8 in [2^254, 2^255), so not a multiple of L
    // (8L > 2^255): the point is not the identity, and Z - Y is not zero.
    const { Y, Z } = Point.BASE.multiply(k % L);
    return (Z + Y) * invert(Z - Y);
  },
});

/** An Ed25519 seed expanded as in RFC 8032 section 5.1.5. */
export interface ExpandedSeed {
  /** The second half of SHA-512(seed), hashed with each message to derive the nonce. */
  prefix: Uint8Array;
  /** The clamped first half of SHA-512(seed) as a little-endian integer, reduced mod L. */
  scalar: bigint;
  /** The public key: the encoding of [scalar]B. */
  publicKey: Uint8Array;
}

/** Expands a 32-byte Ed25519 seed (the caller checks its length). */
export function expandSeed(seed: Uint8Array): ExpandedSeed {
  const hashed = sha512(seed);
  const scalar = bytesToNumberLE(clamp(hashed.subarray(0, 32))) % L;
  const prefix = hashed.slice(32);
  wipe(hashed);
  return { prefix, scalar, publicKey: Point.BASE.multiply(scalar).toBytes() };
}
