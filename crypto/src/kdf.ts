// The one labelled KDF of the protocol, and domain-separated signatures.
//
// Every derived key and every signature in the protocol goes through these two
// functions with a label from labels.ts, so no output of one use can stand in for
// another. Encodings are fixed in docs/PROTOCOL.md ("Labelled KDF", "Signatures").
import { assertBytes, assertInteger, concatBytes, utf8Encode } from './bytes';
import type { Primitives } from './primitives/types';
import { WireWriter } from './wire/codec';

/** Prefix of every KDF and signature label: protocol name and version. */
export const PROTOCOL_LABEL_PREFIX = 'wxe2ee v1 ';

function labelBytes(label: string): Uint8Array {
  if (typeof label !== 'string' || label.length === 0) throw new TypeError('"label" expected a non-empty string');
  const bytes = utf8Encode(PROTOCOL_LABEL_PREFIX + label);
  if (bytes.length > 255) throw new RangeError('"label" longer than 255 bytes');
  return bytes;
}

/**
 * HKDF-Expand(secret, info, length) with
 *   info = u16(length) || u8(len(L)) || L || u32(len(context)) || context,
 *   L    = "wxe2ee v1 " || label (UTF-8).
 * `secret` is a 32-byte pseudorandom key (an epoch secret, a chain key, an HKDF-Extract output).
 */
export function expandWithLabel(
  p: Primitives,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  assertBytes('secret', secret, 32);
  assertBytes('context', context);
  assertInteger('length', length, 1, 255 * 32);
  const info = new WireWriter(8 + context.length)
    .u16(length)
    .bytes8(labelBytes(label))
    .bytes32(context, 0xffffffff)
    .finish();
  return p.hkdfSha256Expand(secret, info, length);
}

/** expandWithLabel with a 32-byte output: the common case for keys and secrets. */
export function deriveSecret(p: Primitives, secret: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  return expandWithLabel(p, secret, label, context, 32);
}

/** HKDF-Extract(salt, ikm): combines input keying material (e.g. a DH output) into a PRK. */
export function extractSecret(p: Primitives, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hkdfSha256Extract(salt, ikm);
}

/**
 * The bytes an Ed25519 signature covers: u8(len(L)) || L || data, L as above.
 * The length prefix makes the label boundary unambiguous, so no signed object of one
 * label can be replayed as an object of another.
 */
export function signatureInput(label: string, data: Uint8Array): Uint8Array {
  const l = labelBytes(label);
  return concatBytes(Uint8Array.of(l.length), l, assertBytes('data', data));
}

export function signWithLabel(p: Primitives, seed: Uint8Array, label: string, data: Uint8Array): Uint8Array {
  return p.ed25519Sign(seed, signatureInput(label, data));
}

export function verifyWithLabel(
  p: Primitives,
  publicKey: Uint8Array,
  label: string,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  return p.ed25519Verify(publicKey, signatureInput(label, data), signature);
}
