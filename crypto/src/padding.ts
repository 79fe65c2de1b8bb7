// Message padding: Padmé lengths with a minimum size, ISO/IEC 7816-4 style marker.
//
// padded = plaintext || 0x80 || 0x00 * k, where the total length is
//   paddedLength(len(plaintext)) = max(MIN_PADDED_BYTES, padme(len(plaintext) + 1)).
// Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
// Communication with PURBs", 2019) rounds a length L to a multiple of 2^(E - S) with
// E = floor(log2 L), S = floor(log2 E) + 1: at most ~12% overhead, and only
// O(log log L) bits of the length leak. The minimum makes every short message (up to
// 31 bytes) the same size. `unpad` accepts exactly the canonical encoding: the marker
// must sit where the padded length says it does, so each plaintext has one padding.
import { assertBytes, assertInteger } from './bytes';
import { E2eeError } from './errors';
import { MAX_MESSAGE_PLAINTEXT_BYTES, MIN_PADDED_BYTES } from './limits';

/** The padding did not verify (wrong marker, non-zero filler, or a non-canonical length). */
export const BAD_PADDING = 'E2E_ERR_BAD_PADDING';

const MARKER = 0x80;

/** Padmé: the padded length of an L-byte input (L >= 1). */
export function padme(length: number): number {
  assertInteger('length', length, 1, 0x7fffffff);
  if (length < 2) return length;
  const e = 31 - Math.clz32(length); // floor(log2 L)
  const s = 32 - Math.clz32(e); // floor(log2 E) + 1
  const lastBits = e - s;
  const mask = (1 << lastBits) - 1;
  return (length + mask) & ~mask;
}

/** Length of the padded form of a `plaintextLength`-byte message. */
export function paddedLength(plaintextLength: number): number {
  assertInteger('plaintextLength', plaintextLength, 0, MAX_MESSAGE_PLAINTEXT_BYTES);
  return Math.max(MIN_PADDED_BYTES, padme(plaintextLength + 1));
}

/** Pads `plaintext` (at most MAX_MESSAGE_PLAINTEXT_BYTES). */
export function pad(plaintext: Uint8Array): Uint8Array {
  assertBytes('plaintext', plaintext);
  if (plaintext.length > MAX_MESSAGE_PLAINTEXT_BYTES) {
    throw new RangeError(`"plaintext" longer than ${MAX_MESSAGE_PLAINTEXT_BYTES} bytes: ${plaintext.length}`);
  }
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = MARKER;
  return out;
}

/**
 * Removes canonical padding. Returns a subarray view of `padded` (no copy).
 * Throws E2eeError(BAD_PADDING) for anything `pad` would not have produced.
 */
export function unpad(padded: Uint8Array, operation = 'unpad'): Uint8Array {
  assertBytes('padded', padded);
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0) i--;
  if (i < 0 || padded[i] !== MARKER) {
    throw new E2eeError(BAD_PADDING, 'padding marker missing', operation);
  }
  if (i > MAX_MESSAGE_PLAINTEXT_BYTES || paddedLength(i) !== padded.length) {
    throw new E2eeError(BAD_PADDING, 'padded length is not canonical', operation);
  }
  return padded.subarray(0, i);
}
