// Envelope vectors: ephemeral X25519 to a recipient prekey, HKDF with labels, XChaCha20-
// Poly1305 with the header as associated data. Valid cases list every intermediate value;
// invalid cases must fail with the given error code. test-vectors/README.md "envelope.json".
import { bytesToHex, concatBytes, hexToBytes } from '../../crypto/src/bytes';
import { isE2eeError } from '../../crypto/src/errors';
import { openEnvelope, sealEnvelope } from '../../crypto/src/envelope/envelope';
import { expandWithLabel, extractSecret } from '../../crypto/src/kdf';
import { KDF } from '../../crypto/src/labels';
import { createPrimitives } from '../../crypto/src/primitives/index';
import { nobleBackend } from '../../crypto/src/primitives/noble';
import type { Primitives } from '../../crypto/src/primitives/types';
import { decodeEnvelope, encodeEnvelopeHeader, type EnvelopeKind, type PrekeyKind } from '../../crypto/src/wire/envelope';
import { seededRandom } from '../seeded-random';
import type { VectorSuite } from '../suite';

interface EnvelopeVector {
  tcId: number;
  comment: string;
  kind: EnvelopeKind;
  groupId: string;
  epoch: number;
  recipient: string;
  prekeyKind: PrekeyKind;
  prekeyId: number;
  recipientPrekeyPrivate: string;
  recipientPrekeyPublic: string;
  ephemeralPrivate: string;
  ephemeralPublic: string;
  payload: string;
  header: string;
  sharedSecret: string;
  prk: string;
  key: string;
  nonce: string;
  envelope: string;
  result: 'valid';
}

interface InvalidVector {
  tcId: number;
  comment: string;
  recipientPrekeyPrivate: string;
  envelope: string;
  result: 'invalid';
  error: string;
}

function intermediates(p: Primitives, ephPriv: Uint8Array, ephPub: Uint8Array, rpk: Uint8Array, header: Uint8Array) {
  const shared = p.x25519(ephPriv, rpk);
  const prk = extractSecret(p, concatBytes(ephPub, rpk), shared);
  return { shared, prk, key: expandWithLabel(p, prk, KDF.ENVELOPE_KEY, header, 32), nonce: new Uint8Array(24) };
}

export const suite: VectorSuite = {
  file: 'envelope.json',
  generate() {
    const rnd = seededRandom('wxe2ee envelope vectors');
    const p = createPrimitives(nobleBackend, rnd);
    const valid: EnvelopeVector[] = [];
    const cases: [string, EnvelopeKind, PrekeyKind, number, number][] = [
      ['epoch secret to a signed prekey', 'epoch-secret', 'signed', 5, 32],
      ['welcome to a one-time prekey', 'welcome', 'one-time', 0, 300],
      ['epoch secret at epoch 2^32-1', 'epoch-secret', 'signed', 0xffffffff, 32],
    ];
    for (const [comment, kind, prekeyKind, epoch, payloadLength] of cases) {
      const rPriv = rnd(32);
      const rPub = p.x25519PublicKey(rPriv);
      const ePriv = rnd(32);
      const ePub = p.x25519PublicKey(ePriv);
      const groupId = rnd(16);
      const recipient = rnd(32);
      const prekeyId = 1 + (rnd(1)[0]! << 8);
      const payload = rnd(payloadLength);
      const env = sealEnvelope(p, { kind, groupId, epoch, recipient, prekeyKind, prekeyId, prekey: rPub }, { privateKey: ePriv, publicKey: ePub }, payload);
      const header = encodeEnvelopeHeader(decodeEnvelope(env));
      const i = intermediates(p, ePriv, ePub, rPub, header);
      valid.push({
        tcId: valid.length + 1, comment, kind, groupId: bytesToHex(groupId), epoch, recipient: bytesToHex(recipient), prekeyKind, prekeyId,
        recipientPrekeyPrivate: bytesToHex(rPriv), recipientPrekeyPublic: bytesToHex(rPub), ephemeralPrivate: bytesToHex(ePriv), ephemeralPublic: bytesToHex(ePub),
        payload: bytesToHex(payload), header: bytesToHex(header), sharedSecret: bytesToHex(i.shared), prk: bytesToHex(i.prk), key: bytesToHex(i.key), nonce: bytesToHex(i.nonce),
        envelope: bytesToHex(env), result: 'valid',
      });
    }
    const base = hexToBytes(valid[0]!.envelope);
    const priv = valid[0]!.recipientPrekeyPrivate;
    const mutate = (f: (b: Uint8Array) => Uint8Array) => bytesToHex(f(new Uint8Array(base)));
    const invalid: InvalidVector[] = [
      ['tag changed', 'E2E_ERR_AUTH_FAILED', mutate((b) => ((b[b.length - 1]! ^= 1), b))],
      ['ciphertext changed', 'E2E_ERR_AUTH_FAILED', mutate((b) => ((b[95]! ^= 1), b))],
      ['header epoch changed (bound as associated data and in the KDF)', 'E2E_ERR_AUTH_FAILED', mutate((b) => ((b[21]! ^= 1), b))],
      ['header recipient changed', 'E2E_ERR_AUTH_FAILED', mutate((b) => ((b[30]! ^= 1), b))],
      ['prekey ID changed', 'E2E_ERR_AUTH_FAILED', mutate((b) => ((b[58]! ^= 1), b))],
      ['ephemeral key replaced by a small-order point (all-zero shared secret)', 'E2E_ERR_ZERO_SHARED_SECRET', mutate((b) => (b.set(new Uint8Array(32), 59), b))],
      ['ephemeral key replaced by another order-1 point (u = 1)', 'E2E_ERR_ZERO_SHARED_SECRET', mutate((b) => (b.set(Uint8Array.of(1, ...new Uint8Array(31)), 59), b))],
      ['truncated', 'E2E_ERR_MALFORMED', mutate((b) => b.subarray(0, b.length - 1))],
      ['trailing byte', 'E2E_ERR_MALFORMED', mutate((b) => concatBytes(b, Uint8Array.of(0)))],
      ['unknown version', 'E2E_ERR_MALFORMED', mutate((b) => ((b[0] = 2), b))],
    ].map(([comment, error, envelope], k) => ({ tcId: valid.length + k + 1, comment: comment!, recipientPrekeyPrivate: priv, envelope: envelope!, result: 'invalid' as const, error: error! }));
    const otherKey = rnd(32);
    invalid.push({ tcId: valid.length + invalid.length + 1, comment: 'opened with another prekey', recipientPrekeyPrivate: bytesToHex(otherKey), envelope: valid[0]!.envelope, result: 'invalid', error: 'E2E_ERR_AUTH_FAILED' });
    return { algorithm: 'wxe2ee v1 envelope: X25519 + HKDF-SHA256 (labelled) + XChaCha20-Poly1305', notes: 'See test-vectors/README.md "envelope.json".', tests: valid, invalidTests: invalid };
  },
  verify(data, p) {
    const d = data as { tests: EnvelopeVector[]; invalidTests: InvalidVector[] };
    const errors: string[] = [];
    for (const t of d.tests) {
      const pair = { privateKey: hexToBytes(t.recipientPrekeyPrivate), publicKey: hexToBytes(t.recipientPrekeyPublic) };
      const eph = { privateKey: hexToBytes(t.ephemeralPrivate), publicKey: hexToBytes(t.ephemeralPublic) };
      if (bytesToHex(p.x25519PublicKey(pair.privateKey)) !== t.recipientPrekeyPublic) errors.push(`tcId ${t.tcId}: recipient public key`);
      const sealed = sealEnvelope(p, { kind: t.kind, groupId: hexToBytes(t.groupId), epoch: t.epoch, recipient: hexToBytes(t.recipient), prekeyKind: t.prekeyKind, prekeyId: t.prekeyId, prekey: pair.publicKey }, eph, hexToBytes(t.payload));
      if (bytesToHex(sealed) !== t.envelope) errors.push(`tcId ${t.tcId}: envelope: sealing again gives other bytes`);
      const i = intermediates(p, eph.privateKey, eph.publicKey, pair.publicKey, hexToBytes(t.header));
      for (const [f, v] of [['sharedSecret', i.shared], ['prk', i.prk], ['key', i.key], ['nonce', i.nonce]] as const) {
        if (bytesToHex(v) !== t[f]) errors.push(`tcId ${t.tcId}: ${f}`);
      }
      try {
        if (bytesToHex(openEnvelope(p, hexToBytes(t.envelope), pair).payload) !== t.payload) errors.push(`tcId ${t.tcId}: payload`);
      } catch (e) {
        errors.push(`tcId ${t.tcId}: does not open: ${isE2eeError(e) ? e.code : String(e)}`);
      }
    }
    for (const t of d.invalidTests) {
      const priv = hexToBytes(t.recipientPrekeyPrivate);
      try {
        openEnvelope(p, hexToBytes(t.envelope), { privateKey: priv, publicKey: p.x25519PublicKey(priv) });
        errors.push(`tcId ${t.tcId}: opened, expected ${t.error}`);
      } catch (e) {
        const code = isE2eeError(e) ? e.code : String(e);
        if (code !== t.error) errors.push(`tcId ${t.tcId}: expected ${t.error}, got ${code}`);
      }
    }
    return errors;
  },
};
