import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../../src/bytes';
import { isE2eeError, MALFORMED } from '../../src/errors';
import { generateEphemeral, openEnvelope, sealEnvelope, type EnvelopeTarget } from '../../src/envelope/envelope';
import { generateIdentity } from '../../src/identity/identity';
import { memberIdOf } from '../../src/identity/member-id';
import {
  addOneTimePrekeys,
  consumeOneTimePrekey,
  createPrekeyStore,
  decodePrekeyStore,
  encodePrekeyStore,
  expireRetiredPrekey,
  prekeyBundleOf,
  prekeyPrivateKey,
  rotateSignedPrekey,
} from '../../src/identity/prekeys';
import { formatSafetyNumber, safetyNumber } from '../../src/identity/safety-number';
import { SIGNED_PREKEY_RETENTION_MS } from '../../src/limits';
import { decodeGroupInfo, encodeGroupInfo } from '../../src/wire/group-info';
import { decodePrekeyBundle, encodePrekeyBundle, verifyPrekeyBundle } from '../../src/wire/identity';
import { decodeWelcomePayload, encodeWelcomePayload } from '../../src/wire/welcome';
import { p } from './helpers';
import { expectCode } from '../expect-code';


describe('member ID', () => {
  it('is a 32-byte labelled hash, distinct from a plain SHA-256 of the key', () => {
    const id = generateIdentity(p);
    expect(id.memberId.length).toBe(32);
    expect(equalBytes(id.memberId, memberIdOf(p, id.publicKey))).toBe(true);
    expect(equalBytes(id.memberId, p.sha256(id.publicKey))).toBe(false);
    expect(() => memberIdOf(p, new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('prekeys', () => {
  it('rotation keeps the previous private key through the retention window, then deletes it', () => {
    const s0 = createPrekeyStore(p, 0, 2);
    const s1 = rotateSignedPrekey(p, s0, 5000);
    expect(s1.signed.id).not.toBe(s0.signed.id);
    expect(prekeyPrivateKey(s1, 'signed', s0.signed.id)).not.toBeNull();
    expect(expireRetiredPrekey(s1, 5000 + SIGNED_PREKEY_RETENTION_MS - 1).previous).not.toBeNull();
    const s2 = expireRetiredPrekey(s1, 5000 + SIGNED_PREKEY_RETENTION_MS);
    expect(prekeyPrivateKey(s2, 'signed', s0.signed.id)).toBeNull();
    // A second rotation drops the older previous key at once.
    const s3 = rotateSignedPrekey(p, s1, 6000);
    expect(prekeyPrivateKey(s3, 'signed', s0.signed.id)).toBeNull();
    expect(s0.previous).toBeNull(); // inputs untouched
  });

  it('one-time prekeys get fresh IDs and are deleted once consumed', () => {
    const s = addOneTimePrekeys(p, createPrekeyStore(p, 0), 3);
    const ids = s.oneTime.map((k) => k.id);
    expect(new Set([...ids, s.signed.id]).size).toBe(4);
    const s2 = consumeOneTimePrekey(s, ids[1]!);
    expect(prekeyPrivateKey(s2, 'one-time', ids[1]!)).toBeNull();
    expect(prekeyPrivateKey(s, 'one-time', ids[1]!)).not.toBeNull();
  });

  it('the store round-trips and rejects junk', () => {
    const s = rotateSignedPrekey(p, createPrekeyStore(p, 7, 4), 99);
    const bytes = encodePrekeyStore(s);
    expect(decodePrekeyStore(p, bytes)).toEqual(s);
    for (let n = 0; n < bytes.length; n++) expectCode(() => decodePrekeyStore(p, bytes.subarray(0, n)), MALFORMED);
    expectCode(() => decodePrekeyStore(p, concatBytes(bytes, Uint8Array.of(1))), MALFORMED);
    const lowNext = new Uint8Array(bytes);
    lowNext.set([0, 0, 0, 1], bytes.length - 4);
    expectCode(() => decodePrekeyStore(p, lowNext), MALFORMED);
  });

  it('a bundle verifies; a swapped prekey, a relabelled signature or another identity does not', () => {
    const id = generateIdentity(p);
    const store = createPrekeyStore(p, 0, 1);
    const bytes = prekeyBundleOf(p, id.seed, store, store.oneTime[0]!.id);
    const b = verifyPrekeyBundle(p, bytes);
    expect(equalBytes(b.identityKey, id.publicKey)).toBe(true);
    // The relay substitutes its own one-time prekey.
    const swapped = encodePrekeyBundle({ ...b, oneTimePrekey: { ...b.oneTimePrekey!, publicKey: p.x25519PublicKey(p.randomBytes(32)) } });
    expectCode(() => verifyPrekeyBundle(p, swapped), 'E2E_ERR_BAD_SIGNATURE');
    // The signed prekey's signature presented as the one-time prekey's (labels differ).
    const relabelled = encodePrekeyBundle({ ...b, oneTimePrekey: { ...b.signedPrekey } });
    expectCode(() => verifyPrekeyBundle(p, relabelled), 'E2E_ERR_BAD_SIGNATURE');
    const other = generateIdentity(p);
    expectCode(() => verifyPrekeyBundle(p, encodePrekeyBundle({ ...b, identityKey: other.publicKey })), 'E2E_ERR_BAD_SIGNATURE');
    for (let n = 0; n < bytes.length; n++) expectCode(() => decodePrekeyBundle(bytes.subarray(0, n)), MALFORMED);
  });
});

describe('envelopes', () => {
  function target(prekey: Uint8Array): EnvelopeTarget {
    return {
      kind: 'epoch-secret',
      groupId: new Uint8Array(16).fill(3),
      epoch: 9,
      recipient: new Uint8Array(32).fill(4),
      prekeyKind: 'signed',
      prekeyId: 12,
      prekey,
    };
  }

  it('opens for its recipient key only; any changed header or ciphertext byte fails', () => {
    const priv = p.randomBytes(32);
    const pair = { privateKey: priv, publicKey: p.x25519PublicKey(priv) };
    const eph = generateEphemeral(p);
    const secret = p.randomBytes(32);
    const env = sealEnvelope(p, target(pair.publicKey), eph, secret);
    expect(equalBytes(openEnvelope(p, env, pair).payload, secret)).toBe(true);
    const otherPriv = p.randomBytes(32);
    expectCode(() => openEnvelope(p, env, { privateKey: otherPriv, publicKey: p.x25519PublicKey(otherPriv) }), 'E2E_ERR_AUTH_FAILED');
    for (let i = 0; i < env.length; i++) {
      const bad = new Uint8Array(env);
      bad[i]! ^= 0x01;
      let failed = false;
      try {
        openEnvelope(p, bad, pair);
      } catch (e) {
        failed = isE2eeError(e);
      }
      expect(failed, `byte ${i}`).toBe(true);
    }
  });

  it('rejects a small-order ephemeral key (all-zero shared secret)', () => {
    const priv = p.randomBytes(32);
    const pair = { privateKey: priv, publicKey: p.x25519PublicKey(priv) };
    const env = sealEnvelope(p, target(pair.publicKey), generateEphemeral(p), p.randomBytes(32));
    const bad = new Uint8Array(env);
    bad.set(new Uint8Array(32), 59); // ephemeral := 0 (small order)
    expectCode(() => openEnvelope(p, bad, pair), 'E2E_ERR_ZERO_SHARED_SECRET');
  });
});

describe('safety numbers', () => {
  it('are 60 digits, symmetric, and differ when either key differs', () => {
    const a = generateIdentity(p).publicKey;
    const b = generateIdentity(p).publicKey;
    const c = generateIdentity(p).publicKey;
    const ab = safetyNumber(p, a, b);
    expect(ab).toMatch(/^\d{60}$/);
    expect(safetyNumber(p, b, a)).toBe(ab);
    expect(safetyNumber(p, a, c)).not.toBe(ab);
    expect(formatSafetyNumber(ab).split(' ').length).toBe(12);
    expect(() => formatSafetyNumber('123')).toThrow(RangeError);
  });
});

describe('group info and welcome payloads', () => {
  it('group info round-trips Chinese text and rejects invalid UTF-8 and junk', () => {
    const info = { type: 'private' as const, name: '律师与客户 👩‍⚖️', announcement: '周五开会', avatar: Uint8Array.of(1, 2) };
    const bytes = encodeGroupInfo(info);
    expect(decodeGroupInfo(bytes)).toEqual(info);
    const badUtf8 = new Uint8Array(bytes);
    badUtf8[4] = 0xff;
    expectCode(() => decodeGroupInfo(badUtf8), MALFORMED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (junk) => {
        try {
          expect(encodeGroupInfo(decodeGroupInfo(junk))).toEqual(junk);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
    );
  });

  it('welcome payloads round-trip and reject junk', () => {
    const w = { joinerSecret: p.randomBytes(32), groupInfo: Uint8Array.of(1, 1, 0, 0, 0, 0, 0, 0), publicState: p.randomBytes(50) };
    const bytes = encodeWelcomePayload(w);
    expect(decodeWelcomePayload(bytes)).toEqual(w);
    for (let n = 0; n < bytes.length; n++) expectCode(() => decodeWelcomePayload(bytes.subarray(0, n)), MALFORMED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (junk) => {
        try {
          decodeWelcomePayload(junk);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
    );
  });
});

describe('decoders of device-local and relay-served structures: random input', () => {
  it('prekey bundles, prekey stores and member states reject random bytes with E2E_ERR_MALFORMED only', async () => {
    const { decodeGroupMemberState } = await import('../../src/log/member-state');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        for (const decode of [
          () => decodePrekeyBundle(junk),
          () => decodePrekeyStore(p, junk),
          () => decodeGroupMemberState(p, junk),
        ]) {
          try {
            decode();
          } catch (e) {
            expect(isE2eeError(e, MALFORMED), String(e)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a prekey bundle that decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 100, maxLength: 240 }), fc.boolean(), (junk, one) => {
        const bytes = Uint8Array.from(junk);
        bytes[0] = 1;
        if (bytes.length >= 134) bytes[133] = one ? 1 : 0;
        try {
          expect(encodePrekeyBundle(decodePrekeyBundle(bytes))).toEqual(bytes);
        } catch (e) {
          expect(isE2eeError(e, MALFORMED)).toBe(true);
        }
      }),
    );
  });
});
