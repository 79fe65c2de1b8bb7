// Safety numbers: 60 digits two members compare (in person or over another channel) to
// check they see each other's real identity keys. docs/PROTOCOL.md "Safety number".
//
//   digits(key): h = H(key); repeat ITERATIONS times: h = H(h || key)
//                with H = labelled hash "hash safety number"; then the first 30 bytes of h
//                as six 5-byte big-endian integers, each mod 100000, zero-padded to 5 digits.
//   safetyNumber(a, b) = digits(min(a, b)) || digits(max(a, b))   (keys ordered bytewise)
//
// Symmetric: both members compute the same 60 digits. Displayed in 12 groups of 5.
import { assertBytes, concatBytes } from '../bytes';
import { HASH } from '../labels';
import type { Primitives } from '../primitives/types';
import { compareIds } from '../wire/log-entry';
import { labelledHash } from './labelled-hash';

/** Hash iterations per key: slows a search for a key with a colliding number. */
export const SAFETY_NUMBER_ITERATIONS = 2048;

function digitsOf(p: Primitives, identityKey: Uint8Array): string {
  let h = labelledHash(p, HASH.SAFETY_NUMBER, identityKey);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = labelledHash(p, HASH.SAFETY_NUMBER, concatBytes(h, identityKey));
  let out = '';
  for (let c = 0; c < 6; c++) {
    let v = 0;
    for (let k = 0; k < 5; k++) v = v * 256 + h[c * 5 + k]!;
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

/** The 60-digit safety number of two identity keys (order of arguments does not matter). */
export function safetyNumber(p: Primitives, identityKeyA: Uint8Array, identityKeyB: Uint8Array): string {
  assertBytes('identityKeyA', identityKeyA, 32);
  assertBytes('identityKeyB', identityKeyB, 32);
  const [first, second] = compareIds(identityKeyA, identityKeyB) <= 0 ? [identityKeyA, identityKeyB] : [identityKeyB, identityKeyA];
  return digitsOf(p, first) + digitsOf(p, second);
}

/** 60 digits as 12 groups of 5 separated by spaces, for display. */
export function formatSafetyNumber(digits: string): string {
  if (!/^\d{60}$/.test(digits)) throw new RangeError('"digits" expected 60 decimal digits');
  return digits.match(/\d{5}/g)!.join(' ');
}
