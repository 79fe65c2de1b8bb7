// Sealing and opening envelopes (docs/PROTOCOL.md "Envelope").
//
//   shared = X25519(ephemeralPrivate, recipientPrekey)         (all-zero output rejected)
//   prk    = HKDF-Extract(salt = ephemeralPublic || recipientPrekey, ikm = shared)
//   key    = expandWithLabel(prk, "envelope key", header, 32)
//   sealed = XChaCha20-Poly1305(key, nonce = 24 zero bytes, payload, aad = header)
//
// The key is used for exactly one encryption: it depends on the shared secret (fresh per
// ephemeral key and recipient prekey) and on the header (group, epoch, recipient). A nonce
// derived from the same inputs would add nothing, so the nonce is fixed.
//
// The header names group, epoch, recipient, prekey kind and ID, and the ephemeral key, so
// an envelope opens only for the recipient, group and epoch it was made for. A committer
// may use one ephemeral key for all envelopes of one entry (the header, and so the key and
// nonce, still differ per recipient). Authenticity comes from the signed entry that lists
// the envelope's hash, not from the envelope itself.
import { assertBytes, wipe } from '../bytes';
import { AUTH_FAILED, E2eeError } from '../errors';
import { expandWithLabel, extractSecret } from '../kdf';
import { KDF } from '../labels';
import type { Primitives } from '../primitives/types';
import { concatBytes } from '../bytes';
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeEnvelopeHeader,
  type Envelope,
  type EnvelopeHeader,
  type EnvelopeKind,
  type PrekeyKind,
} from '../wire/envelope';

/** The fixed AEAD nonce of envelopes (each envelope key is used once). */
export const ENVELOPE_NONCE = new Uint8Array(24);

export interface EphemeralKey {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateEphemeral(p: Primitives): EphemeralKey {
  const privateKey = p.randomBytes(32);
  return { privateKey, publicKey: p.x25519PublicKey(privateKey) };
}

export interface EnvelopeTarget {
  readonly kind: EnvelopeKind;
  readonly groupId: Uint8Array;
  readonly epoch: number;
  readonly recipient: Uint8Array;
  readonly prekeyKind: PrekeyKind;
  readonly prekeyId: number;
  /** The recipient's X25519 prekey (from a verified prekey bundle). */
  readonly prekey: Uint8Array;
}

function keyAndNonce(p: Primitives, shared: Uint8Array, ephemeral: Uint8Array, prekey: Uint8Array, header: Uint8Array) {
  const prk = extractSecret(p, concatBytes(ephemeral, prekey), shared);
  const key = expandWithLabel(p, prk, KDF.ENVELOPE_KEY, header, 32);
  wipe(prk);
  return { key, nonce: ENVELOPE_NONCE };
}

export function sealEnvelope(p: Primitives, target: EnvelopeTarget, ephemeral: EphemeralKey, payload: Uint8Array): Uint8Array {
  assertBytes('prekey', target.prekey, 32);
  assertBytes('payload', payload);
  const header: EnvelopeHeader = {
    version: 1,
    kind: target.kind,
    groupId: target.groupId,
    epoch: target.epoch,
    recipient: target.recipient,
    prekeyKind: target.prekeyKind,
    prekeyId: target.prekeyId,
    ephemeral: ephemeral.publicKey,
  };
  const headerBytes = encodeEnvelopeHeader(header);
  const shared = p.x25519(ephemeral.privateKey, target.prekey);
  const { key, nonce } = keyAndNonce(p, shared, ephemeral.publicKey, target.prekey, headerBytes);
  const sealed = p.xchachaSeal(key, nonce, payload, headerBytes);
  wipe(shared, key);
  return encodeEnvelope({ ...header, sealed });
}

/**
 * Opens an envelope with the recipient's prekey pair. Throws E2eeError(MALFORMED) for
 * junk, E2eeError(ZERO_SHARED_SECRET) for a small-order ephemeral key, and
 * E2eeError(AUTH_FAILED) when it does not open.
 */
export function openEnvelope(
  p: Primitives,
  envelopeBytes: Uint8Array,
  prekey: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array },
): { envelope: Envelope; payload: Uint8Array } {
  const envelope = decodeEnvelope(envelopeBytes);
  const headerBytes = encodeEnvelopeHeader(envelope);
  const shared = p.x25519(prekey.privateKey, envelope.ephemeral);
  const { key, nonce } = keyAndNonce(p, shared, envelope.ephemeral, prekey.publicKey, headerBytes);
  try {
    return { envelope, payload: p.xchachaOpen(key, nonce, envelope.sealed, headerBytes) };
  } catch (e) {
    if (e instanceof E2eeError && e.code === AUTH_FAILED) throw new E2eeError(AUTH_FAILED, 'envelope does not open', 'openEnvelope');
    throw e;
  } finally {
    wipe(shared, key);
  }
}
