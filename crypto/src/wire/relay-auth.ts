// The relay's login challenge and the device's signed answer (docs/RELAY.md "Auth").
//
// RelayAuthChallenge (chosen by the relay, signed by the device):
//   magic        21 bytes  0xFF || "wxe2ee-relay-auth-v1"
//   audience     u8 len || bytes (1..64)   the relay's name (host), so an answer for one relay
//                                          cannot log in at another
//   nonce        32 bytes  random, single use
//   identityKey  32 bytes  the Ed25519 public key that must sign
//   issuedAt     u64       milliseconds since the Unix epoch
//   expiresAt    u64       milliseconds since the Unix epoch
//
// The device signs it with signWithLabel(SIG.RELAY_AUTH = "sig relay auth"), so the signed
// bytes are u8(len L) || "wxe2ee v1 sig relay auth" || challenge: no other signed object of
// the protocol has that label. The leading 0xFF byte is not a valid version byte of any other
// structure either, so the bytes cannot parse as anything else even without the label.
import { assertBytes, equalBytes, utf8Encode } from '../bytes';
import { E2eeError } from '../errors';
import { signWithLabel, verifyWithLabel } from '../kdf';
import { SIG } from '../labels';
import type { Primitives } from '../primitives/types';
import { WireReader, WireWriter } from './codec';

export const RELAY_AUTH_MAGIC: Uint8Array = Uint8Array.of(0xff, ...utf8Encode('wxe2ee-relay-auth-v1'));
export const RELAY_AUTH_NONCE_BYTES = 32;
export const RELAY_AUTH_MAX_AUDIENCE_BYTES = 64;
export const RELAY_AUTH_SIGNATURE_BYTES = 64;

/** The signature or the challenge was rejected (bad signature, expired, unknown or reused nonce). */
export const RELAY_AUTH_FAILED = 'E2E_ERR_RELAY_AUTH_FAILED';

export interface RelayAuthChallenge {
  audience: Uint8Array;
  nonce: Uint8Array;
  identityKey: Uint8Array;
  issuedAt: number;
  expiresAt: number;
}

export function encodeRelayAuthChallenge(c: RelayAuthChallenge): Uint8Array {
  assertBytes('audience', c.audience);
  if (c.audience.length < 1 || c.audience.length > RELAY_AUTH_MAX_AUDIENCE_BYTES) {
    throw new RangeError(`"audience" expected 1..${RELAY_AUTH_MAX_AUDIENCE_BYTES} bytes, got length=${c.audience.length}`);
  }
  if (c.expiresAt < c.issuedAt) throw new RangeError('"expiresAt" must not be before "issuedAt"');
  return new WireWriter(180)
    .fixed(RELAY_AUTH_MAGIC, RELAY_AUTH_MAGIC.length)
    .bytes8(c.audience, RELAY_AUTH_MAX_AUDIENCE_BYTES)
    .fixed(c.nonce, RELAY_AUTH_NONCE_BYTES)
    .fixed(c.identityKey, 32)
    .u64(c.issuedAt)
    .u64(c.expiresAt)
    .finish();
}

export function decodeRelayAuthChallenge(bytes: Uint8Array): RelayAuthChallenge {
  const r = new WireReader(bytes, 'RelayAuthChallenge');
  const magic = r.fixed('magic', RELAY_AUTH_MAGIC.length);
  if (!equalBytes(magic, RELAY_AUTH_MAGIC)) r.fail('magic', 'not a relay auth challenge');
  const audience = r.bytes8('audience', RELAY_AUTH_MAX_AUDIENCE_BYTES, 1);
  const nonce = r.fixed('nonce', RELAY_AUTH_NONCE_BYTES);
  const identityKey = r.fixed('identityKey', 32);
  const issuedAt = r.u64('issuedAt');
  const expiresAt = r.u64('expiresAt');
  if (expiresAt < issuedAt) r.fail('expiresAt', 'before issuedAt');
  r.end();
  return { audience, nonce, identityKey, issuedAt, expiresAt };
}

/** The device's answer: signWithLabel(seed, SIG.RELAY_AUTH, challengeBytes). */
export function signRelayAuthChallenge(p: Primitives, identitySeed: Uint8Array, challengeBytes: Uint8Array): Uint8Array {
  decodeRelayAuthChallenge(challengeBytes); // never sign bytes that are not a challenge
  return signWithLabel(p, identitySeed, SIG.RELAY_AUTH, challengeBytes);
}

/**
 * The relay's check of an answer: the challenge decodes, is not expired at `now`, names
 * `audience`, and the signature by its identity key verifies under the relay-auth label.
 * Whether the nonce was issued and is unused is the relay's state, checked by the caller.
 * Throws E2eeError(RELAY_AUTH_FAILED) without saying which check failed.
 */
export function verifyRelayAuthAnswer(
  p: Primitives,
  challengeBytes: Uint8Array,
  signature: Uint8Array,
  audience: Uint8Array,
  now: number,
): RelayAuthChallenge {
  const fail = (): never => {
    throw new E2eeError(RELAY_AUTH_FAILED, 'relay auth answer rejected', 'verifyRelayAuthAnswer');
  };
  let c: RelayAuthChallenge;
  try {
    c = decodeRelayAuthChallenge(challengeBytes);
  } catch {
    return fail();
  }
  if (signature.length !== RELAY_AUTH_SIGNATURE_BYTES) return fail();
  if (!equalBytes(c.audience, audience)) return fail();
  if (now > c.expiresAt || now < c.issuedAt - 5_000) return fail();
  if (!p.ed25519IsAcceptablePublicKey(c.identityKey)) return fail();
  if (!verifyWithLabel(p, c.identityKey, SIG.RELAY_AUTH, challengeBytes, signature)) return fail();
  return c;
}
