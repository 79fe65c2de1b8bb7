import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../bytes';
import { isE2eeError } from '../errors';
import { signWithLabel } from '../kdf';
import { SIG } from '../labels';
import { nobleBackend } from '../primitives/noble';
import { createPrimitives } from '../primitives/index';
import { nodeRandom } from '../primitives/random';
import {
  decodeRelayAuthChallenge,
  encodeRelayAuthChallenge,
  RELAY_AUTH_FAILED,
  RELAY_AUTH_MAGIC,
  signRelayAuthChallenge,
  verifyRelayAuthAnswer,
} from './relay-auth';
import { decodeLogEntry } from './log-entry';
import { decodeEnvelope } from './envelope';
import { decodeGroupMessage } from './message';

const p = createPrimitives(nobleBackend, nodeRandom);
const audience = utf8Encode('relay.example');

function challenge(identityKey: Uint8Array, issuedAt = 1_000_000, expiresAt = 1_060_000) {
  return encodeRelayAuthChallenge({ audience, nonce: p.randomBytes(32), identityKey, issuedAt, expiresAt });
}

function expectAuthFailed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(isE2eeError(e, RELAY_AUTH_FAILED)).toBe(true);
    return;
  }
  throw new Error('expected E2E_ERR_RELAY_AUTH_FAILED');
}

describe('relay auth challenge', () => {
  const seed = p.randomBytes(32);
  const pub = p.ed25519PublicKey(seed);

  it('a signed challenge verifies within its lifetime for its audience', () => {
    const ch = challenge(pub);
    const sig = signRelayAuthChallenge(p, seed, ch);
    expect(verifyRelayAuthAnswer(p, ch, sig, audience, 1_030_000).identityKey).toEqual(pub);
  });

  it('rejects: expired, not yet valid, other audience, other key, flipped bit, wrong label', () => {
    const ch = challenge(pub);
    const sig = signRelayAuthChallenge(p, seed, ch);
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, sig, audience, 1_060_001));
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, sig, audience, 900_000));
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, sig, utf8Encode('evil.example'), 1_030_000));
    const other = p.randomBytes(32);
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, signRelayAuthChallenge(p, other, ch), audience, 1_030_000));
    const flipped = sig.slice();
    flipped[0]! ^= 1;
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, flipped, audience, 1_030_000));
    // The same bytes signed under another label (e.g. as a log entry) do not log in.
    expectAuthFailed(() => verifyRelayAuthAnswer(p, ch, signWithLabel(p, seed, SIG.LOG_ENTRY, ch), audience, 1_030_000));
    expectAuthFailed(() => verifyRelayAuthAnswer(p, Uint8Array.of(1, 2, 3), sig, audience, 1_030_000));
  });

  it('challenge bytes never parse as a log entry, an envelope or a group message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (nonce) => {
        const ch = encodeRelayAuthChallenge({ audience, nonce, identityKey: pub, issuedAt: 1, expiresAt: 2 });
        expect(ch[0]).toBe(0xff);
        expect(() => decodeLogEntry(ch)).toThrow();
        expect(() => decodeEnvelope(ch)).toThrow();
        expect(() => decodeGroupMessage(ch)).toThrow();
      }),
      { numRuns: 50 },
    );
  });

  it('refuses to sign bytes that are not a challenge', () => {
    expect(() => signRelayAuthChallenge(p, seed, Uint8Array.of(1, 2, 3))).toThrow();
    const ch = challenge(pub);
    expect(decodeRelayAuthChallenge(ch).audience).toEqual(audience);
    expect(Array.from(ch.subarray(0, RELAY_AUTH_MAGIC.length))).toEqual(Array.from(RELAY_AUTH_MAGIC));
  });

  it('decoder: round-trip, truncation and junk fail typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 2 ** 40 }), (aud, t) => {
        const c = { audience: aud, nonce: p.randomBytes(32), identityKey: pub, issuedAt: t, expiresAt: t + 5 };
        const bytes = encodeRelayAuthChallenge(c);
        expect(decodeRelayAuthChallenge(bytes)).toEqual(c);
        for (let n = 0; n < bytes.length; n += 7) expect(() => decodeRelayAuthChallenge(bytes.subarray(0, n))).toThrow(/RelayAuthChallenge/);
      }),
      { numRuns: 100 },
    );
  });
});
