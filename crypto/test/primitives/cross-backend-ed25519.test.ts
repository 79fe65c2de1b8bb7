// Cross-backend properties for Ed25519 (fast-check, 1,000 cases per operation): identical
// keys and signatures from OpenSSL, libsodium and noble, each verifies what another signed,
// and a tampered byte fails on all. The other operations are in cross-backend.test.ts
// (split so that the two files run in parallel).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/bytes';
import type { Primitives } from '../../src/primitives/types';
import { agree as agreeOn, bytes, key32, loadAll, tamper } from './backends';

const RUNS = 1000;
const backends = (await loadAll()).map((b) => b.p);

/** Asserts every backend returns the same bytes for `f`, and returns them. */
const agree = (f: (p: Primitives) => Uint8Array): Uint8Array => agreeOn(backends, f);

describe(`cross-backend Ed25519 (${backends.map((p) => p.backend).join(', ')}; ${RUNS} cases each)`, () => {
  it('Ed25519: identical keys and signatures; each verifies the others; any tampered byte fails on all', () => {
    fc.assert(
      fc.property(key32, bytes(0, 200), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('message', 'signature', 'publicKey'), (seed, msg, at, xor, what) => {
        const pk = agree((p) => p.ed25519PublicKey(seed));
        const sigs = backends.map((p) => p.ed25519Sign(seed, msg));
        for (const s of sigs) expect(bytesToHex(s)).toBe(bytesToHex(sigs[0]!));
        // Each backend verifies the signature the next one made.
        backends.forEach((verifier, i) => expect(verifier.ed25519Verify(pk, msg, sigs[(i + 1) % sigs.length]!)).toBe(true));
        const sig = sigs[0]!;
        if (what === 'message' && msg.length === 0) return;
        const [m2, s2, k2] =
          what === 'message' ? [tamper(msg, at, xor), sig, pk] : what === 'signature' ? [msg, tamper(sig, at, xor), pk] : [msg, sig, tamper(pk, at, xor)];
        for (const verifier of backends) expect(verifier.ed25519Verify(k2, m2, s2), `${verifier.backend} ${what}`).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('Ed25519: arbitrary bytes as key and signature get the same verdict everywhere', () => {
    fc.assert(
      fc.property(key32, bytes(64, 64), bytes(0, 16), (pk, sig, msg) => {
        const verdicts = backends.map((p) => p.ed25519Verify(pk, msg, sig));
        expect(new Set(verdicts).size).toBe(1);
        expect(new Set(backends.map((p) => p.ed25519IsAcceptablePublicKey(pk))).size).toBe(1);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it('Ed25519: a few keys verifying many messages (noble switches to precomputed tables) agree everywhere', () => {
    const seeds = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
    const keys = seeds.map((seed) => backends[0]!.ed25519PublicKey(seed));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), bytes(0, 100), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, msg, at, xor) => {
        const sig = backends[which % backends.length]!.ed25519Sign(seeds[which]!, msg);
        for (const p of backends) expect(p.ed25519Verify(keys[which]!, msg, sig), p.backend).toBe(true);
        const forged = tamper(sig, at, xor);
        for (const p of backends) expect(p.ed25519Verify(keys[which]!, msg, forged), p.backend).toBe(false);
        // Under another signer's key the signature must fail too.
        for (const p of backends) expect(p.ed25519Verify(keys[(which + 1) % 3]!, msg, sig)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
