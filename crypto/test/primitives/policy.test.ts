// The verification policy: why it exists (raw backends disagree) and that it closes the gaps.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToBytes, utf8Encode } from '../../src/bytes';
import {
  clearPolicyCache,
  ed25519PublicKeyVerdict,
  ed25519PublicKeyVerdictUncached,
  ed25519SignatureVerdict,
  scalarIsCanonical,
} from '../../src/primitives/policy';
import { generate, type PolicyVectors, suite } from '../../../test-vectors/suites/primitives-policy';
import { loadNativeVerifier, loadNodeBackend } from '../../src/primitives/node';
import type { RawBackend } from '../../src/primitives/types';
import { loadAll } from './backends';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const vectors = JSON.parse(readFileSync(join(REPO_ROOT, 'test-vectors', suite.file), 'utf8')) as PolicyVectors;
const [keyGroup, verifyGroup, x25519Group] = vectors.testGroups;
const backends = await loadAll();
const byName = Object.fromEntries(backends.map((b) => [b.raw.name, b]));
// The vectors' "node" is raw node:crypto (OpenSSL). The default node backend verifies with
// libsodium's native build instead, so the raw checks use a node backend kept on OpenSSL.
const rawBackends: RawBackend[] = [byName['noble']!.raw, byName['sodium']!.raw, await loadNodeBackend({ nativeVerify: false })];

describe('primitives-policy.json', () => {
  it('is what the generator produces (deterministic) and covers every rule', () => {
    expect(generate()).toEqual(vectors);
    const flags = new Set(vectors.testGroups.flatMap((g) => g.tests.flatMap((t) => t.flags)));
    for (const rule of ['Valid', 'NonCanonicalKey', 'SmallOrderKey', 'NotOnCurve', 'MixedOrderKey', 'NonCanonicalR', 'SmallOrderR', 'NonCanonicalS', 'MixedOrderR', 'CofactoredOnly', 'WrongLength', 'ZeroSharedSecret']) {
      expect(flags.has(rule), rule).toBe(true);
    }
    // All 8 small-order keys canonically, 5 distinct u-coordinates (x2 for bit 255) plus 2 non-canonical ones for X25519.
    expect(keyGroup.tests.filter((t) => t.flags.includes('SmallOrderKey')).length).toBe(8);
    expect(x25519Group.tests.filter((t) => t.flags.includes('ZeroSharedSecret')).length).toBe(14);
  });

  for (const { p } of backends) {
    it(`every vector holds on the policy-wrapped ${p.backend} backend`, () => {
      expect(suite.verify(vectors, p)).toEqual([]);
    });
  }

  it('records which RAW backends accept each signature, and they do exactly that', () => {
    const mismatches: string[] = [];
    for (const t of verifyGroup.tests) {
      if (t.error) continue; // wrong lengths never reach a raw backend
      const pk = hexToBytes(t.publicKey);
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      const accepted = rawBackends.filter((b) => b.ed25519Verify(pk, msg, sig)).map((b) => b.name);
      if (accepted.join(',') !== t.rawAcceptedBy.join(',')) mismatches.push(`tcId ${t.tcId}: raw accepted by [${accepted}], vector says [${t.rawAcceptedBy}]`);
      let cofactored: boolean;
      try {
        cofactored = ed25519.verify(sig, msg, pk, { zip215: false });
      } catch {
        cofactored = false;
      }
      if (cofactored !== t.cofactoredAccepts) mismatches.push(`tcId ${t.tcId}: cofactored verify says ${cofactored}`);
    }
    expect(mismatches).toEqual([]);
    // The gaps exist without the policy: some invalid vectors are accepted by some raw backend or by a cofactored verifier.
    const gaps = verifyGroup.tests.filter((t) => t.result === 'invalid' && (t.rawAcceptedBy.length > 0 || t.cofactoredAccepts));
    expect(gaps.length).toBeGreaterThanOrEqual(20);
  });

  it('raw node:crypto ALONE accepts a small-order key with R = identity and S = 0; the policy rejects it everywhere', () => {
    const identity = hexToBytes(ED25519_TORSION_SUBGROUP[0]!);
    const sig = new Uint8Array(64);
    sig.set(identity, 0); // R = identity, S = 0
    const msg = utf8Encode('any message at all');
    expect(rawBackends[2]!.ed25519Verify(identity, msg, sig)).toBe(true);
    expect(byName['node']!.raw.ed25519Verify(identity, msg, sig)).toBe(false); // native libsodium, see below
    expect(byName['sodium']!.raw.ed25519Verify(identity, msg, sig)).toBe(false);
    expect(byName['noble']!.raw.ed25519Verify(identity, msg, sig)).toBe(false);
    for (const { p } of backends) expect(p.ed25519Verify(identity, msg, sig)).toBe(false);
    const nodeOnly = verifyGroup.tests.filter((t) => t.rawAcceptedBy.join() === 'node');
    expect(nodeOnly.length).toBe(8);
  });

  it('the default node backend verifies with native libsodium: it loads here, and accepts exactly what the sodium backend accepts', () => {
    // linux-x64 (every machine this project runs on) has a prebuild: a missing one is a failure, not a fallback.
    expect(loadNativeVerifier()).not.toBeNull();
    const disagreements: number[] = [];
    for (const t of verifyGroup.tests) {
      if (t.error) continue;
      const [pk, msg, sig] = [hexToBytes(t.publicKey), hexToBytes(t.msg), hexToBytes(t.sig)];
      if (byName['node']!.raw.ed25519Verify(pk, msg, sig) !== byName['sodium']!.raw.ed25519Verify(pk, msg, sig)) disagreements.push(t.tcId);
    }
    expect(disagreements).toEqual([]);
    // ...and that is not OpenSSL's answer: the 8 cases only raw OpenSSL accepts are rejected.
    const opensslOnly = verifyGroup.tests.filter((t) => t.rawAcceptedBy.join() === 'node');
    for (const t of opensslOnly) expect(byName['node']!.raw.ed25519Verify(hexToBytes(t.publicKey), hexToBytes(t.msg), hexToBytes(t.sig))).toBe(false);
  });

  it('@noble/curves verify is cofactored and accepts mixed-order R; our noble backend is cofactorless like the others', () => {
    const mixedR = verifyGroup.tests.filter((t) => t.flags.includes('MixedOrderR'));
    expect(mixedR.length).toBeGreaterThan(0);
    for (const t of mixedR) {
      const [pk, msg, sig] = [hexToBytes(t.publicKey), hexToBytes(t.msg), hexToBytes(t.sig)];
      expect(ed25519.verify(sig, msg, pk, { zip215: false })).toBe(true);
      for (const b of [...rawBackends, byName['node']!.raw]) expect(b.ed25519Verify(pk, msg, sig), b.name).toBe(false);
    }
  });

  it('a mixed-order key with 8 | k verifies on every raw backend; the policy rejects the key', () => {
    const t = verifyGroup.tests.find((x) => x.flags.includes('MixedOrderKey') && x.rawAcceptedBy.length === 3);
    expect(t).toBeDefined();
    const [pk, msg, sig] = [hexToBytes(t!.publicKey), hexToBytes(t!.msg), hexToBytes(t!.sig)];
    for (const b of backends) {
      expect(b.raw.ed25519Verify(pk, msg, sig)).toBe(true);
      expect(b.p.ed25519Verify(pk, msg, sig)).toBe(false);
      expect(b.p.ed25519IsAcceptablePublicKey(pk)).toBe(false);
    }
  });
});

describe('policy rules', () => {
  it('the small-order blocklist is exactly the 8 torsion points (each rejected, each of order dividing 8)', () => {
    for (const h of ED25519_TORSION_SUBGROUP) {
      const point = ed25519.Point.fromHex(h);
      expect(point.multiplyUnsafe(8n).is0()).toBe(true);
      expect(ed25519PublicKeyVerdictUncached(hexToBytes(h))).toBe('SmallOrderKey');
    }
  });

  it('accepts every honestly generated key and signature (property, 300 seeds)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (seed, msg) => {
        const pk = ed25519.getPublicKey(seed);
        expect(ed25519PublicKeyVerdictUncached(pk)).toBe('ok');
        expect(ed25519SignatureVerdict(ed25519.sign(msg, seed))).toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('S < L exactly at the boundary', () => {
    const L = ed25519.Point.Fn.ORDER;
    const le = (n: bigint) => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
      return out;
    };
    expect(scalarIsCanonical(le(L - 1n))).toBe(true);
    expect(scalarIsCanonical(le(L))).toBe(false);
    expect(scalarIsCanonical(le(L + 1n))).toBe(false);
    expect(scalarIsCanonical(le(0n))).toBe(true);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (s) => {
        expect(scalarIsCanonical(le(s))).toBe(s < L);
      }),
      { numRuns: 1000 },
    );
  });

  it('the cached verdict equals the uncached one, also after the cache is cleared', () => {
    const keys = [...keyGroup.tests.filter((t) => !t.error).map((t) => hexToBytes(t.publicKey))];
    for (const round of [0, 1]) {
      if (round === 1) clearPolicyCache();
      for (const k of keys) {
        expect(ed25519PublicKeyVerdict(k)).toBe(ed25519PublicKeyVerdictUncached(k));
        expect(ed25519PublicKeyVerdict(k)).toBe(ed25519PublicKeyVerdictUncached(k)); // second call: cache hit
      }
    }
  });

  it('a key array mutated after a verdict is judged afresh (the cache is keyed by value, not by object)', () => {
    const { p } = backends[0]!;
    const seed = new Uint8Array(32).fill(7);
    const pk = p.ed25519PublicKey(seed);
    expect(p.ed25519IsAcceptablePublicKey(pk)).toBe(true);
    pk.set(hexToBytes(ED25519_TORSION_SUBGROUP[1]!));
    expect(p.ed25519IsAcceptablePublicKey(pk)).toBe(false);
  });
});
