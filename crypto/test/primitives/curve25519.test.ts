// crypto/src/primitives/curve25519.ts builds the Edwards point class and X25519 from
// @noble/curves' abstract modules with the curve's parameters; here every part of it is
// compared with @noble/curves/ed25519.js (the reference it replaces in the noble backend):
// base point and constants, point decoding of valid and invalid encodings, seed expansion,
// X25519 public keys (Edwards shortcut) and shared secrets (Montgomery ladder).
import { ed25519, x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/bytes';
import { L, Point, expandSeed, x25519 } from '../../src/primitives/curve25519';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function decodeOrError(decode: () => { toBytes(): Uint8Array }): string {
  try {
    return bytesToHex(decode().toBytes());
  } catch {
    return 'error';
  }
}

describe('curve25519 module against @noble/curves/ed25519.js', () => {
  it('has the same field, group order, cofactor and base point', () => {
    const ref = ed25519.Point;
    expect(Point.Fp.ORDER).toBe(ref.Fp.ORDER);
    expect(L).toBe(ref.Fn.ORDER);
    expect(Point.CURVE()).toEqual(ref.CURVE());
    expect(bytesToHex(Point.BASE.toBytes())).toBe('5866666666666666666666666666666666666666666666666666666666666666');
    expect(Point.BASE.multiply(L - 1n).add(Point.BASE).is0()).toBe(true);
  });

  it('decodes every encoding as noble does, strict and ZIP-215 (property)', () => {
    // Random encodings are valid points about half the time; the edge cases cover y >= p,
    // x = 0 with the sign bit, and the small-order points.
    const edges = [
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      '0100000000000000000000000000000000000000000000000000000000000080',
      '0000000000000000000000000000000000000000000000000000000000000080',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    ].map(hexToBytes);
    let valid = 0;
    const check = (enc: Uint8Array) => {
      for (const zip215 of [false, true]) {
        const ours = decodeOrError(() => Point.fromBytes(enc, zip215));
        expect(ours).toBe(decodeOrError(() => ed25519.Point.fromBytes(enc, zip215)));
        if (ours !== 'error') valid++;
      }
    };
    edges.forEach(check);
    fc.assert(fc.property(bytes32, check), { numRuns: 300 });
    expect(valid).toBeGreaterThan(100); // both outcomes were exercised
  });

  it('decoded points do the same arithmetic (torsion check, small order, multiplication)', () => {
    fc.assert(
      fc.property(bytes32, fc.bigInt({ min: 1n, max: L - 1n }), (seed, k) => {
        const enc = ed25519.getPublicKey(seed);
        // A mixed-order point: the key plus a point of order 8.
        const mixed = ed25519.Point.fromBytes(enc).add(ed25519.Point.fromBytes(hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')));
        for (const e of [enc, mixed.toBytes()]) {
          const ours = Point.fromBytes(e);
          const ref = ed25519.Point.fromBytes(e);
          expect(ours.isTorsionFree()).toBe(ref.isTorsionFree());
          expect(ours.isSmallOrder()).toBe(ref.isSmallOrder());
          expect(bytesToHex(ours.multiply(k).toBytes())).toBe(bytesToHex(ref.multiply(k).toBytes()));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('expands a seed as RFC 8032 5.1.5 (prefix, clamped scalar mod L, public key) (property)', () => {
    fc.assert(
      fc.property(bytes32, (seed) => {
        const ours = expandSeed(seed);
        const ref = ed25519.utils.getExtendedPublicKey(seed);
        expect(bytesToHex(ours.prefix)).toBe(bytesToHex(ref.prefix));
        expect(ours.scalar).toBe(ref.scalar);
        expect(ours.scalar < L).toBe(true);
        expect(bytesToHex(ours.publicKey)).toBe(bytesToHex(ref.pointBytes));
      }),
      { numRuns: 60 },
    );
    // RFC 8032 7.1, test 1.
    const seed = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(bytesToHex(expandSeed(seed).publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  });

  it('computes X25519 public keys and shared secrets as noble does (property)', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (a, b) => {
        const pub = x25519.getPublicKey(a);
        expect(bytesToHex(pub)).toBe(bytesToHex(nobleX25519.getPublicKey(a)));
        // The ladder from u = 9 agrees with the Edwards shortcut (both use the inversion).
        const nine = new Uint8Array(32);
        nine[0] = 9;
        expect(bytesToHex(x25519.getSharedSecret(a, nine))).toBe(bytesToHex(pub));
        const peer = nobleX25519.getPublicKey(b);
        expect(bytesToHex(x25519.getSharedSecret(a, peer))).toBe(bytesToHex(nobleX25519.getSharedSecret(a, peer)));
      }),
      { numRuns: 30 },
    );
    // RFC 7748 6.1.
    const alice = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPub = hexToBytes('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(bytesToHex(x25519.getPublicKey(alice))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bytesToHex(x25519.getSharedSecret(alice, bobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it('rejects low-order X25519 inputs as noble does', () => {
    const key = new Uint8Array(32).fill(7);
    for (const u of ['0000000000000000000000000000000000000000000000000000000000000000', '0100000000000000000000000000000000000000000000000000000000000000', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800']) {
      expect(() => x25519.getSharedSecret(key, hexToBytes(u))).toThrow();
      expect(() => nobleX25519.getSharedSecret(key, hexToBytes(u))).toThrow();
    }
  });
});
