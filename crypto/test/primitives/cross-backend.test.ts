// Cross-backend properties (fast-check, 1,000 cases per operation): the backends run
// different code (OpenSSL, libsodium, noble), so every deterministic output must be
// byte-identical, each backend must accept what another produced, and a tampered byte
// must fail on all of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, equalBytes } from '../../src/bytes';
import { AUTH_FAILED } from '../../src/errors';
import type { Primitives } from '../../src/primitives/types';
import { agree as agreeOn, bytes, key32, loadAll, outcome, tamper } from './backends';

const RUNS = 1000;
const backends = (await loadAll()).map((b) => b.p);

/** Asserts every backend returns the same bytes for `f`, and returns them. */
const agree = (f: (p: Primitives) => Uint8Array): Uint8Array => agreeOn(backends, f);

describe(`cross-backend properties (${backends.map((p) => p.backend).join(', ')}; ${RUNS} cases each)`, () => {
  it('X25519: identical public keys and shared secrets, both directions', () => {
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const pa = agree((p) => p.x25519PublicKey(a));
        const pb = agree((p) => p.x25519PublicKey(b));
        const ab = agree((p) => p.x25519(a, pb));
        // The other direction on one backend per case, rotating: every backend's DH meets every other's.
        const other = backends[a[0]! % backends.length]!;
        expect(equalBytes(ab, other.x25519(b, pa))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('X25519: a repeated private-key array (the node backend prepares an OpenSSL key) gives the same secret', () => {
    const fast = backends.filter((p) => p.backend !== 'noble');
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const pb = fast[0]!.x25519PublicKey(b);
        const outs = fast.flatMap((p) => [p.x25519(a, pb), p.x25519(a, pb), p.x25519(a, pb)]).map(bytesToHex);
        expect(new Set(outs).size).toBe(1);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('X25519: any 32 bytes as the peer key (twist, u >= p, low order) give the same result or error everywhere', () => {
    fc.assert(
      fc.property(key32, key32, (a, junk) => {
        const results = backends.map((p) => {
          const r = outcome(() => p.x25519(a, junk));
          return r.ok ? bytesToHex(r.value) : r.kind;
        });
        expect(new Set(results).size).toBe(1);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  for (const [name, seal, open, nonceLength] of [
    ['XChaCha20-Poly1305', 'xchachaSeal', 'xchachaOpen', 24],
    ['ChaCha20-Poly1305', 'chachaSeal', 'chachaOpen', 12],
  ] as const) {
    it(`${name}: identical ciphertexts; each opens what another sealed; any tampered byte fails on all`, () => {
      fc.assert(
        fc.property(key32, bytes(nonceLength, nonceLength), bytes(0, 300), bytes(0, 40), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('sealed', 'aad', 'nonce', 'key'), (key, nonce, pt, aad, at, xor, what) => {
          const sealedBy = backends.map((p) => p[seal](key, nonce, pt, aad));
          for (const s of sealedBy) expect(bytesToHex(s)).toBe(bytesToHex(sealedBy[0]!));
          for (const opener of backends) for (const s of sealedBy) expect(bytesToHex(opener[open](key, nonce, s, aad))).toBe(bytesToHex(pt));
          const sealed = sealedBy[0]!;
          if (what === 'aad' && aad.length === 0) return;
          const args =
            what === 'sealed'
              ? ([key, nonce, tamper(sealed, at, xor), aad] as const)
              : what === 'aad'
                ? ([key, nonce, sealed, tamper(aad, at, xor)] as const)
                : what === 'nonce'
                  ? ([key, tamper(nonce, at, xor), sealed, aad] as const)
                  : ([tamper(key, at, xor), nonce, sealed, aad] as const);
          for (const opener of backends) {
            const r = outcome(() => opener[open](args[0], args[1], args[2], args[3]));
            expect(r.ok ? 'opened' : r.kind, `${opener.backend} ${what}`).toBe(AUTH_FAILED);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('HMAC-SHA256: identical tags for any key and data', () => {
    fc.assert(
      fc.property(bytes(0, 200), bytes(0, 300), (key, data) => {
        agree((p) => p.hmacSha256(key, data));
      }),
      { numRuns: RUNS },
    );
  });

  it('HKDF-SHA256: identical extract and expand output for any salt, ikm, info and length', () => {
    fc.assert(
      fc.property(bytes(0, 80), bytes(0, 80), bytes(0, 80), fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 0, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 8000, max: 255 * 32 }) }), (salt, ikm, info, length) => {
        const prk = agree((p) => p.hkdfSha256Extract(salt, ikm));
        const okm = agree((p) => p.hkdfSha256Expand(prk, info, length));
        expect(okm.length).toBe(length);
        // A caller-supplied PRK longer than a hash (HMAC hashes keys over 64 bytes first).
        const longPrk = new Uint8Array([...prk, ...ikm, ...salt]);
        expect(agree((p) => p.hkdfSha256Expand(longPrk, info, Math.min(length, 100))).length).toBe(Math.min(length, 100));
        // Expand's output is a prefix of any longer expansion (RFC 5869 counter blocks).
        if (length > 0) expect(bytesToHex(agree((p) => p.hkdfSha256Expand(prk, info, length - 1)))).toBe(bytesToHex(okm.subarray(0, length - 1)));
      }),
      { numRuns: RUNS },
    );
  });

  it('SHA-256 and SHA-512: identical digests', () => {
    fc.assert(
      fc.property(bytes(0, 400), (data) => {
        expect(agree((p) => p.sha256(data)).length).toBe(32);
        expect(agree((p) => p.sha512(data)).length).toBe(64);
      }),
      { numRuns: RUNS },
    );
  });
});
